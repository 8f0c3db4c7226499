using Microsoft.Extensions.Logging;

namespace Bridge.Host.Delivery;

internal static partial class DeliveryLog
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Debug, Message = "Delivered {Action} of {EventId} to {Target} as {NativeId} in {Milliseconds:0.0} ms")]
    public static partial void Delivered(ILogger logger, string action, Guid eventId, string target, string nativeId, double milliseconds);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Debug, Message = "{EventId} was already delivered to {Target} as {NativeId}; not sent again")]
    public static partial void AlreadyDelivered(ILogger logger, Guid eventId, string target, string nativeId);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "Delivery of {EventId} to {Target} failed (attempt {Attempt}): {Result}; retrying in {DelayMs:0} ms")]
    public static partial void Retrying(ILogger logger, Guid eventId, string target, int attempt, string result, double delayMs);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Error, Message = "Delivery of {EventId} to {Target} gave up after {Attempts} attempt(s): {Reason}; moved to the dead-letter queue")]
    public static partial void GaveUp(ILogger logger, Guid eventId, string target, int attempts, string reason);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Information, Message = "Skipped {Action} of {EventId} to {Target}: {Reason}")]
    public static partial void Skipped(ILogger logger, string action, Guid eventId, string target, string reason);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Information, Message = "{Target} is not connected; holding {EventId} until it is back")]
    public static partial void Holding(ILogger logger, string target, Guid eventId);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Warning, Message = "Could not publish {EventType}: {Reason}")]
    public static partial void OutcomeNotPublished(ILogger logger, string eventType, string reason);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Information, Message = "No queue is bound to {EventType}: publishing one event of it every {ProbeMs:0} ms until one is")]
    public static partial void OutcomesUnheard(ILogger logger, string eventType, double probeMs);

    [LoggerMessage(EventId = 5009, Level = LogLevel.Information, Message = "A queue is bound to {EventType}: publishing every event of it")]
    public static partial void OutcomesHeard(ILogger logger, string eventType);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Warning, Message = "{Queue}: delivery tag {DeliveryTag} waited {WaitMs:0} ms for earlier messages that never reached the consumer and went ahead without them")]
    public static partial void TagGap(ILogger logger, string queue, ulong deliveryTag, double waitMs);
}
