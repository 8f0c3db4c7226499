using Microsoft.Extensions.Logging;

namespace Bridge.Connectors.Glide;

/// <summary>Log lines of the Glide connector. Never logs envelopes (group pushes carry tickets) or secrets.</summary>
internal static partial class GlideLog
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "{Connector}: authenticated as uid {Uid} (server temp id {TempId}, heartbeat {HeartbeatSeconds} s)")]
    public static partial void Authenticated(ILogger logger, string connector, string uid, string? tempId, long heartbeatSeconds);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "{Connector}: authentication failed: {Reason}")]
    public static partial void AuthenticationFailed(ILogger logger, string connector, string reason);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "{Connector}: kicked out by another login of uid {Uid} (device {DeviceId}); not reconnecting at once")]
    public static partial void KickedOut(ILogger logger, string connector, string uid, string? deviceId);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Debug, Message = "{Connector}: dropped a frame that does not decode: {Error}")]
    public static partial void UndecodableFrame(ILogger logger, string connector, string error);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Warning, Message = "{Connector}: the sink failed for {NativeId} (not durable, not acknowledged): {Error}")]
    public static partial void SinkFailed(ILogger logger, string connector, string nativeId, string error);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Debug, Message = "{Connector}: server said {Action} (seq {Seq}): {Text}")]
    public static partial void UnmatchedNotify(ILogger logger, string connector, string action, long seq, string? text);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Debug, Message = "{Connector}: own message {CliMid} echoed by {Channel}; dropped")]
    public static partial void OwnEcho(ILogger logger, string connector, string? cliMid, string channel);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Information, Message = "{Connector}: ticket for {Target} refused ({Reason}); fetching a new one and retrying once")]
    public static partial void TicketRefused(ILogger logger, string connector, string target, string? reason);

    [LoggerMessage(EventId = 5009, Level = LogLevel.Warning, Message = "{Connector}: send to {Target} failed: {Result}")]
    public static partial void SendFailed(ILogger logger, string connector, string target, string result);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Debug, Message = "{Connector}: acknowledgement for {NativeId} not sent: {Error}")]
    public static partial void AckFailed(ILogger logger, string connector, string nativeId, string error);
}
