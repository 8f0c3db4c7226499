using Microsoft.Extensions.Logging;

namespace Bridge.Host.Routing;

internal static partial class RoutingLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Debug, Message = "No route from {Source}; {EventType} {EventId} not relayed")]
    public static partial void NoRoute(ILogger logger, string source, string eventType, Guid eventId);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Debug, Message = "Routed {EventType} {EventId} from {Source} to {Count} target(s)")]
    public static partial void Routed(ILogger logger, string eventType, Guid eventId, string source, int count);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Skipped {Action} of {EventId} to {Target}: {Reason}")]
    public static partial void Skipped(ILogger logger, string action, Guid eventId, string target, string reason);
}
