namespace Bridge.Connectors.Glide;

/// <summary>What the <c>data</c> member of an envelope held.</summary>
public enum GlideDataKind : byte
{
    Absent,
    Null,
    Object,
    String,
    Other,
}

/// <summary>
/// A decoded GlideMessage envelope. <c>data</c> and <c>extra</c> stay raw: their byte ranges point
/// into the frame that was decoded (read them with <see cref="GlideDecoder"/> before the frame's
/// buffer is returned).
/// </summary>
public readonly record struct GlideEnvelope(
    long Ver,
    long Seq,
    string Action,
    string? From,
    string? To,
    string? Ticket,
    GlideDataKind DataKind,
    int DataStart,
    int DataLength,
    int ExtraStart,
    int ExtraLength)
{
    public ReadOnlySpan<byte> Data(ReadOnlySpan<byte> frame) => frame.Slice(DataStart, DataLength);

    public ReadOnlySpan<byte> Extra(ReadOnlySpan<byte> frame) => frame.Slice(ExtraStart, ExtraLength);

    public bool HasExtra => ExtraLength > 0;
}

/// <summary>ChatMessage, the data of <c>message.chat</c> and <c>message.group</c> (section 4.1); a value, so decoding one allocates only its strings.</summary>
public readonly record struct GlideChatMessage(
    string? CliMid,
    long Mid,
    long Seq,
    string? From,
    string? To,
    int Type,
    string? Content,
    long SendAt);

/// <summary>
/// An acknowledgement payload: <c>ack.message</c>, <c>ack.request</c> or <c>ack.notify</c>, in the
/// HEAD shape (<c>cli_mid</c>) or the v1.6 shape (<c>cliMid</c>); both keys are accepted.
/// </summary>
public readonly record struct GlideAck(string? CliMid, long Mid, long Seq, string? From, string? To);

/// <summary>The server's hello (section 3.1).</summary>
public readonly record struct GlideHello(string? TempId, long HeartbeatIntervalSeconds);

/// <summary>The data of <c>notify.kickout</c>: the device of the new login.</summary>
public readonly record struct GlideKickOut(string? DeviceId, string? DeviceName);

/// <summary>The data of <c>authenticate</c>.</summary>
public readonly record struct GlideAuthenticate(long Version, string? Credential);

/// <summary>A frame or payload that does not decode; the message is what the session reports.</summary>
public sealed class GlideDecodeException(string message) : FormatException(message);
