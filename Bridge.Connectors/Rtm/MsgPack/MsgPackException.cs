namespace Bridge.Connectors.Rtm.MsgPack;

/// <summary>Malformed, truncated or over-limit msgpack input; the message says what and where.</summary>
public sealed class MsgPackException(string message) : FormatException(message);
