using Microsoft.Extensions.Logging;

namespace Bridge.Connectors.Xnest;

internal static partial class XnestLog
{
    [LoggerMessage(EventId = 2201, Level = LogLevel.Debug, Message = "{Connector}: joined room {Room} as {Pid} ({Members} members)")]
    public static partial void Joined(ILogger logger, string connector, string room, string pid, int members);

    [LoggerMessage(EventId = 2202, Level = LogLevel.Warning, Message = "{Connector}: room {Room}: undecodable frame dropped: {Error}")]
    public static partial void BadFrame(ILogger logger, string connector, string room, string error);

    [LoggerMessage(EventId = 2203, Level = LogLevel.Warning, Message = "{Connector}: room {Room}: server error frame: {Payload}")]
    public static partial void ServerError(ILogger logger, string connector, string room, string payload);

    [LoggerMessage(EventId = 2204, Message = "{Connector}: room {Room}: catch-up relayed {Relayed} of {Items} history items")]
    private static partial void CatchUp(ILogger logger, LogLevel level, string connector, string room, int relayed, int items);

    /// <summary>Information when the catch-up relayed something, else Debug (one line a room at every reconnect).</summary>
    public static void CatchUp(ILogger logger, string connector, string room, int relayed, int items) =>
        CatchUp(logger, relayed > 0 ? LogLevel.Information : LogLevel.Debug, connector, room, relayed, items);

    [LoggerMessage(EventId = 2205, Level = LogLevel.Debug, Message = "{Connector}: room {Room}: first visit, {Items} history items recorded as seen, none relayed")]
    public static partial void HistorySeeded(ILogger logger, string connector, string room, int items);

    [LoggerMessage(EventId = 2206, Level = LogLevel.Warning, Message = "{Connector}: room {Room}: sink call failed, ending the session to catch up: {Reason}")]
    public static partial void SinkFailed(ILogger logger, string connector, string room, string reason);

    [LoggerMessage(EventId = 2207, Level = LogLevel.Warning, Message = "{Connector}: room {Room}: no echo within {Seconds:0.###} s for a send")]
    public static partial void EchoTimeout(ILogger logger, string connector, string room, double seconds);

    [LoggerMessage(EventId = 2208, Level = LogLevel.Warning, Message = "{Connector}: room {Room}: could not store the dedupe cursor: {Reason}")]
    public static partial void CheckpointFailed(ILogger logger, string connector, string room, string reason);

    [LoggerMessage(EventId = 2209, Level = LogLevel.Information, Message = "{Connector}: room {Room}: renaming from {Current} to {Nickname}")]
    public static partial void Renaming(ILogger logger, string connector, string room, string current, string nickname);

    [LoggerMessage(EventId = 2210, Level = LogLevel.Debug, Message = "{Connector}: room {Room}: frame of type {Type} ignored")]
    public static partial void Ignored(ILogger logger, string connector, string room, string type);
}
