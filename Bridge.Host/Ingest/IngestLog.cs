using Microsoft.Extensions.Logging;

namespace Bridge.Host.Ingest;

internal static partial class IngestLog
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "Ingested {EventType} {EventId} from {Conversation} (native {NativeId})")]
    public static partial void Ingested(ILogger logger, string eventType, Guid eventId, string conversation, string nativeId);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Debug, Message = "Dropped {EventType} {EventId} from {Conversation}: {Outcome}")]
    public static partial void Dropped(ILogger logger, string eventType, Guid eventId, string conversation, string outcome);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "Could not make {EventType} {EventId} from {Conversation} durable: {Reason}; it stays unacknowledged at the backend")]
    public static partial void NotDurable(ILogger logger, string eventType, Guid eventId, string conversation, string reason);
}
