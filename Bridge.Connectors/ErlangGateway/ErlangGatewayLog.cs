using Microsoft.Extensions.Logging;

namespace Bridge.Connectors.ErlangGateway;

internal static partial class ErlangGatewayLog
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "{Connector}: CONNECT refused: {Reason}")]
    public static partial void ConnectRefused(ILogger logger, string connector, string reason);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "{Connector}: malformed packet from the server ignored: {Error}")]
    public static partial void MalformedPacket(ILogger logger, string connector, string error);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "{Connector}: the server answered INVALID_PACKET (a packet the bridge sent was rejected)")]
    public static partial void InvalidPacket(ILogger logger, string connector);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "{Connector}: push {MsgId} not durable, not acknowledged (the server resends it): {Reason}")]
    public static partial void PushNotDurable(ILogger logger, string connector, ErlangMsgId msgId, string reason);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Debug, Message = "{Connector}: push {MsgId} is a resend; dropped")]
    public static partial void ResendDropped(ILogger logger, string connector, ErlangMsgId msgId);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Debug, Message = "{Connector}: push {MsgId} is the bridge's own message; acknowledged, not relayed")]
    public static partial void OwnMessage(ILogger logger, string connector, ErlangMsgId msgId);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Warning, Message = "{Connector}: unexpected {Kind} frame ignored (the gateway speaks binary only)")]
    public static partial void UnexpectedFrame(ILogger logger, string connector, string kind);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Debug, Message = "{Connector}: acknowledgement {MsgId} matches no send in flight")]
    public static partial void UnmatchedAck(ILogger logger, string connector, string msgId);

    [LoggerMessage(EventId = 4009, Level = LogLevel.Warning, Message = "{Connector}: send {MsgId} to {Target} failed: {Reason}")]
    public static partial void SendFailed(ILogger logger, string connector, string msgId, string target, string reason);

    [LoggerMessage(EventId = 4010, Level = LogLevel.Warning, Message = "{Connector}: TCP interface {Endpoint}: {Reason}")]
    public static partial void TcpFailed(ILogger logger, string connector, string endpoint, string reason);

    [LoggerMessage(EventId = 4011, Level = LogLevel.Debug, Message = "{Connector}: could not acknowledge push {MsgId}: {Reason}")]
    public static partial void AckFailed(ILogger logger, string connector, ErlangMsgId msgId, string reason);
}
