using Microsoft.Extensions.Logging;

namespace Bridge.Connectors.ProtobufIm;

internal static partial class ProtobufImLog
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "{Connector}: authenticated as {UserId} (own sender seq {MaxSeq})")]
    public static partial void Authenticated(ILogger logger, string connector, string userId, long maxSeq);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "{Connector}: {Reason}")]
    public static partial void AuthRefused(ILogger logger, string connector, string reason);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "{Connector}: dropped a malformed frame: {Error}")]
    public static partial void MalformedFrame(ILogger logger, string connector, string error);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Debug, Message = "{Connector}: ignored {Kind} frame (command {Command}, sequence {Sequence})")]
    public static partial void Ignored(ILogger logger, string connector, string kind, int command, uint sequence);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Information, Message = "{Connector}: catch-up from seq {FromSeq}: {Pages} page(s), {Messages} message(s), {Posted} handed to the sink")]
    public static partial void CatchUpDone(ILogger logger, string connector, long fromSeq, int pages, int messages, int posted);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Warning, Message = "{Connector}: catch-up stopped early: {Reason}")]
    public static partial void CatchUpStopped(ILogger logger, string connector, string reason);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Warning, Message = "{Connector}: the sink could not make message {MessageId} durable ({Reason}); not acknowledged, reconnecting to catch up")]
    public static partial void SinkFailed(ILogger logger, string connector, string messageId, string reason);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Warning, Message = "{Connector}: send {ClientMsgId} to {Target} failed: {Result}")]
    public static partial void SendFailed(ILogger logger, string connector, string clientMsgId, string target, string result);

    [LoggerMessage(EventId = 5009, Level = LogLevel.Warning, Message = "{Connector}: the server sent KICK_OUT (reason {Reason}): {Message}")]
    public static partial void KickOut(ILogger logger, string connector, int reason, string message);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Warning, Message = "{Connector}: could not store the catch-up cursor: {Reason}")]
    public static partial void CursorSaveFailed(ILogger logger, string connector, string reason);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Warning, Message = "{Connector}: group/{GroupId} is send-only: the v1 server stores group messages but pushes them to no one")]
    public static partial void GroupSendOnly(ILogger logger, string connector, string groupId);

    [LoggerMessage(EventId = 5012, Level = LogLevel.Information, Message = "{Connector}: live fill from seq {FromSeq} (pushes the server may have dropped): {Pages} page(s), {Messages} message(s), {Posted} handed to the sink")]
    public static partial void LiveFillDone(ILogger logger, string connector, long fromSeq, int pages, int messages, int posted);

    [LoggerMessage(EventId = 5013, Level = LogLevel.Debug, Message = "{Connector}: {Sign}; a live fill will look for dropped pushes")]
    public static partial void FillOpened(ILogger logger, string connector, string sign);

    [LoggerMessage(EventId = 5014, Level = LogLevel.Information, Message = "{Connector}: a send that got no reply ({ClientMsgId}) was looked up through SYNC before it is tried again: stored {Stored}")]
    public static partial void UnansweredSendChecked(ILogger logger, string connector, string clientMsgId, bool stored);
}
