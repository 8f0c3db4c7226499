using Microsoft.Extensions.Logging;

namespace Bridge.Connectors.Rtm;

internal static partial class RtmLog
{
    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "{Connector}: logged in to the RTM gate as uid {Uid} (pid {Pid})")]
    public static partial void LoggedIn(ILogger logger, string connector, long uid, long pid);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "{Connector}: auth refused: {Reason}")]
    public static partial void AuthRefused(ILogger logger, string connector, string reason);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Warning, Message = "{Connector}: kicked out: another login took uid {Uid}; not reconnecting soon")]
    public static partial void Kicked(ILogger logger, string connector, long uid);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Warning, Message = "{Connector}: removed from room {Rid} (kickoutroom)")]
    public static partial void KickedOutOfRoom(ILogger logger, string connector, long rid);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Warning, Message = "{Connector}: could not enter room {Rid}: {Reason}")]
    public static partial void EnterRoomFailed(ILogger logger, string connector, long rid, string reason);

    [LoggerMessage(EventId = 7006, Level = LogLevel.Warning, Message = "{Connector}: malformed packet from the gate: {Reason}; reconnecting")]
    public static partial void Malformed(ILogger logger, string connector, string reason);

    [LoggerMessage(EventId = 7007, Level = LogLevel.Warning, Message = "{Connector}: push {Method} could not be made durable: {Reason}; not acknowledged, reconnecting to catch up")]
    public static partial void SinkFailed(ILogger logger, string connector, string method, string reason);

    [LoggerMessage(EventId = 7008, Level = LogLevel.Debug, Message = "{Connector}: push {Mid} from {From} not relayed: {Reason}")]
    public static partial void Dropped(ILogger logger, string connector, long mid, long from, string reason);

    [LoggerMessage(EventId = 7009, Message = "{Connector}: caught up {Count} message(s) on {Endpoint}")]
    private static partial void CaughtUp(ILogger logger, LogLevel level, string connector, int count, string endpoint);

    /// <summary>Information when the endpoint had something to catch up, else Debug (the pass's summary, 7015, says it ran).</summary>
    public static void CaughtUp(ILogger logger, string connector, int count, string endpoint) =>
        CaughtUp(logger, count > 0 ? LogLevel.Information : LogLevel.Debug, connector, count, endpoint);

    [LoggerMessage(EventId = 7015, Level = LogLevel.Information, Message = "{Connector}: catch-up pass done: {Count} message(s) caught up over {Endpoints} endpoint(s), {Incomplete} not complete")]
    public static partial void CatchUpPassDone(ILogger logger, string connector, int count, int endpoints, int incomplete);

    [LoggerMessage(EventId = 7010, Level = LogLevel.Warning, Message = "{Connector}: catch-up of {Endpoint} failed: {Reason}")]
    public static partial void CatchUpFailed(ILogger logger, string connector, string endpoint, string reason);

    [LoggerMessage(EventId = 7011, Level = LogLevel.Debug, Message = "{Connector}: gate chose {Gate} (dispatch)")]
    public static partial void Dispatched(ILogger logger, string connector, string gate);

    [LoggerMessage(EventId = 7012, Level = LogLevel.Warning, Message = "{Connector}: unknown quest {Method} from the gate")]
    public static partial void UnknownQuest(ILogger logger, string connector, string method);

    [LoggerMessage(EventId = 7013, Level = LogLevel.Warning, Message = "{Connector}: send to {Target} failed: {Result}")]
    public static partial void SendFailed(ILogger logger, string connector, string target, string result);

    [LoggerMessage(EventId = 7014, Level = LogLevel.Information, Message = "{Connector}: mid {Mid} was already delivered (200053); counted as sent")]
    public static partial void AlreadyDelivered(ILogger logger, string connector, long mid);
}
