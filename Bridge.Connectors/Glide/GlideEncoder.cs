using Bridge.Connectors.Abstractions;
using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Bridge.Connectors.Glide;

/// <summary>
/// Writes Glide frames with <see cref="Utf8JsonWriter"/>, keys in the server's order
/// (ver, seq, action, from, to, data, ticket, extra; omitempty like Go). <c>data</c> is always
/// embedded JSON, never a JSON-encoded string. Client frames are what the connector sends; server
/// frames are what the simulator sends (byte-exact with the protocol document's examples).
/// </summary>
public static class GlideEncoder
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = false };

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    private static Utf8JsonWriter Writer(IBufferWriter<byte> output)
    {
        var writer = t_writer ??= new Utf8JsonWriter(output, WriterOptions);
        writer.Reset(output);
        return writer;
    }

    private static void Start(Utf8JsonWriter w, long seq, string action, string? from = null, string? to = null)
    {
        w.WriteStartObject();
        w.WriteNumber("ver"u8, 1);
        if (seq != 0)
        {
            w.WriteNumber("seq"u8, seq);
        }

        w.WriteString("action"u8, action);
        if (!string.IsNullOrEmpty(from))
        {
            w.WriteString("from"u8, from);
        }

        if (!string.IsNullOrEmpty(to))
        {
            w.WriteString("to"u8, to);
        }

        w.WritePropertyName("data"u8);
    }

    private static void End(Utf8JsonWriter w, string? ticket = null, string? extraKey = null, string? extraValue = null)
    {
        if (!string.IsNullOrEmpty(ticket))
        {
            w.WriteString("ticket"u8, ticket);
        }

        if (extraKey is not null)
        {
            w.WriteStartObject("extra"u8);
            w.WriteString(extraKey, extraValue);
            w.WriteEndObject();
        }

        w.WriteEndObject();
        w.Flush();
    }

    // ---- client frames -------------------------------------------------------------------

    /// <summary><c>{"ver":1,"seq":N,"action":"authenticate","data":{"version":1,"credential":"…"}}</c></summary>
    public static void Authenticate(IBufferWriter<byte> output, long seq, string credential, long version = 1)
    {
        var w = Writer(output);
        Start(w, seq, GlideActions.Authenticate);
        w.WriteStartObject();
        w.WriteNumber("version"u8, version);
        w.WriteString("credential"u8, credential);
        w.WriteEndObject();
        End(w);
    }

    /// <summary><c>{"ver":1,"seq":N,"action":"heartbeat","data":{}}</c></summary>
    public static void ClientHeartbeat(IBufferWriter<byte> output, long seq)
    {
        var w = Writer(output);
        Start(w, seq, GlideActions.Heartbeat);
        w.WriteStartObject();
        w.WriteEndObject();
        End(w);
    }

    /// <summary>A client send: <c>message.chat</c> to a uid or <c>message.group</c> to a channel.</summary>
    public static void Send(IBufferWriter<byte> output, string action, long seq, string to, string? ticket, GlideChatMessage data, string? extraKey = null, string? extraValue = null) =>
        Send(output, action, seq, to, ticket, data, default, extraKey, extraValue);

    /// <summary>
    /// As above, with the content given as <paramref name="content"/> when that holds UTF-8 (written
    /// as it is; <see cref="GlideChatMessage.Content"/> is then not read).
    /// </summary>
    public static void Send(IBufferWriter<byte> output, string action, long seq, string to, string? ticket, GlideChatMessage data, OutboundText content, string? extraKey, string? extraValue)
    {
        var w = Writer(output);
        Start(w, seq, action, null, to);
        WriteChatForSend(w, data, content);
        End(w, ticket, extraKey, extraValue);
    }

    /// <summary>
    /// The portable <c>ack.request</c> (section 4.3): <c>to</c>, <c>data.to</c> and <c>data.from</c> all
    /// name the original sender, so both server generations route it back to them.
    /// </summary>
    public static void AckRequest(IBufferWriter<byte> output, string originalSender, string? cliMid, long mid, long seq) =>
        AckRequest(output, originalSender, cliMid.AsSpan(), mid, seq);

    /// <summary>As above, with the cliMid as characters (the inbound path reads it back from the message's native id).</summary>
    public static void AckRequest(IBufferWriter<byte> output, string originalSender, ReadOnlySpan<char> cliMid, long mid, long seq)
    {
        var w = Writer(output);
        Start(w, 0, GlideActions.AckRequest, null, originalSender);
        w.WriteStartObject();
        if (!cliMid.IsEmpty)
        {
            w.WriteString("cli_mid"u8, cliMid);
        }

        w.WriteNumber("seq"u8, seq);
        w.WriteNumber("mid"u8, mid);
        w.WriteString("from"u8, originalSender);
        w.WriteString("to"u8, originalSender);
        w.WriteEndObject();
        End(w);
    }

    // ---- server frames (simulator) -------------------------------------------------------

    /// <summary><c>{"ver":1,"action":"hello","data":{"temp_id":"tmp@…","heartbeat_interval":30}}</c></summary>
    public static void Hello(IBufferWriter<byte> output, string tempId, long heartbeatSeconds)
    {
        var w = Writer(output);
        Start(w, 0, GlideActions.Hello);
        w.WriteStartObject();
        w.WriteString("temp_id"u8, tempId);
        w.WriteNumber("heartbeat_interval"u8, heartbeatSeconds);
        w.WriteEndObject();
        End(w);
    }

    /// <summary>A notify with a string or null data: <c>{"ver":1,"seq":1,"action":"notify.error","data":"…"}</c>.</summary>
    public static void Notify(IBufferWriter<byte> output, long seq, string action, string? text)
    {
        var w = Writer(output);
        Start(w, seq, action);
        if (text is null)
        {
            w.WriteNullValue();
        }
        else
        {
            w.WriteStringValue(text);
        }

        End(w);
    }

    /// <summary><c>{"ver":1,"action":"notify.kickout","data":{"device_id":"2"}}</c></summary>
    public static void KickOut(IBufferWriter<byte> output, string? deviceId, string? deviceName)
    {
        var w = Writer(output);
        Start(w, 0, GlideActions.NotifyKickOut);
        w.WriteStartObject();
        if (!string.IsNullOrEmpty(deviceId))
        {
            w.WriteString("device_id"u8, deviceId);
        }

        if (!string.IsNullOrEmpty(deviceName))
        {
            w.WriteString("device_name"u8, deviceName);
        }

        w.WriteEndObject();
        End(w);
    }

    /// <summary>[HEAD] <c>ack.message</c>: <c>{"cli_mid","mid","from","seq"}</c>; [v1.6]: <c>{"cliMid","mid"}</c>.</summary>
    public static void AckMessage(IBufferWriter<byte> output, bool headShape, string? cliMid, long mid, string? from, long seq)
    {
        var w = Writer(output);
        Start(w, 0, GlideActions.AckMessage);
        w.WriteStartObject();
        if (!string.IsNullOrEmpty(cliMid))
        {
            w.WriteString(headShape ? "cli_mid"u8 : "cliMid"u8, cliMid);
        }

        if (mid != 0)
        {
            w.WriteNumber("mid"u8, mid);
        }

        if (headShape)
        {
            if (!string.IsNullOrEmpty(from))
            {
                w.WriteString("from"u8, from);
            }

            if (seq != 0)
            {
                w.WriteNumber("seq"u8, seq);
            }
        }

        w.WriteEndObject();
        End(w);
    }

    /// <summary>A pushed chat or group message; <paramref name="rawExtra"/> is the client's extra, verbatim.</summary>
    public static void Push(IBufferWriter<byte> output, string action, long seq, string? from, string? to, GlideChatMessage data, string? ticket, ReadOnlySpan<byte> rawExtra)
    {
        var w = Writer(output);
        Start(w, seq, action, from, to);
        WriteChat(w, data);
        if (!string.IsNullOrEmpty(ticket))
        {
            w.WriteString("ticket"u8, ticket);
        }

        if (!rawExtra.IsEmpty)
        {
            w.WritePropertyName("extra"u8);
            w.WriteRawValue(rawExtra, skipInputValidation: true);
        }

        w.WriteEndObject();
        w.Flush();
    }

    /// <summary>An envelope whose data is given as raw JSON (forwarded acks, passthrough).</summary>
    public static void Raw(IBufferWriter<byte> output, long seq, string action, string? from, string? to, ReadOnlySpan<byte> rawData)
    {
        var w = Writer(output);
        Start(w, seq, action, from, to);
        if (rawData.IsEmpty)
        {
            w.WriteNullValue();
        }
        else
        {
            w.WriteRawValue(rawData, skipInputValidation: false);
        }

        End(w);
    }

    /// <summary>
    /// A forwarded delivery ack: [HEAD] <c>{"cli_mid","seq","mid","from","to"}</c>, [v1.6]
    /// <c>{"seq","mid","from"}</c>; omitempty.
    /// </summary>
    public static void AckNotify(IBufferWriter<byte> output, bool headShape, in GlideAck ack)
    {
        var w = Writer(output);
        Start(w, 0, GlideActions.AckNotify);
        w.WriteStartObject();
        if (headShape && !string.IsNullOrEmpty(ack.CliMid))
        {
            w.WriteString("cli_mid"u8, ack.CliMid);
        }

        if (ack.Seq != 0)
        {
            w.WriteNumber("seq"u8, ack.Seq);
        }

        if (ack.Mid != 0)
        {
            w.WriteNumber("mid"u8, ack.Mid);
        }

        if (!string.IsNullOrEmpty(ack.From))
        {
            w.WriteString("from"u8, ack.From);
        }

        if (headShape && !string.IsNullOrEmpty(ack.To))
        {
            w.WriteString("to"u8, ack.To);
        }

        w.WriteEndObject();
        End(w);
    }

    /// <summary>ChatMessage as Go encodes it: every field omitempty, in declaration order.</summary>
    private static void WriteChat(Utf8JsonWriter w, GlideChatMessage m)
    {
        w.WriteStartObject();
        if (!string.IsNullOrEmpty(m.CliMid))
        {
            w.WriteString("cliMid"u8, m.CliMid);
        }

        if (m.Mid != 0)
        {
            w.WriteNumber("mid"u8, m.Mid);
        }

        if (m.Seq != 0)
        {
            w.WriteNumber("seq"u8, m.Seq);
        }

        if (!string.IsNullOrEmpty(m.From))
        {
            w.WriteString("from"u8, m.From);
        }

        if (!string.IsNullOrEmpty(m.To))
        {
            w.WriteString("to"u8, m.To);
        }

        if (m.Type != 0)
        {
            w.WriteNumber("type"u8, m.Type);
        }

        if (!string.IsNullOrEmpty(m.Content))
        {
            w.WriteString("content"u8, m.Content);
        }

        if (m.SendAt != 0)
        {
            w.WriteNumber("sendAt"u8, m.SendAt);
        }

        w.WriteEndObject();
    }

    /// <summary>ChatMessage as the SDKs send it: every field present (mid 0 on a first send).</summary>
    private static void WriteChatForSend(Utf8JsonWriter w, GlideChatMessage m, OutboundText content)
    {
        w.WriteStartObject();
        w.WriteString("cliMid"u8, m.CliMid);
        w.WriteNumber("mid"u8, m.Mid);
        w.WriteNumber("seq"u8, m.Seq);
        w.WriteString("from"u8, m.From);
        w.WriteString("to"u8, m.To);
        w.WriteNumber("type"u8, m.Type);
        if (content.IsUtf8)
        {
            w.WriteString("content"u8, content.Utf8);
        }
        else
        {
            w.WriteString("content"u8, m.Content);
        }

        w.WriteNumber("sendAt"u8, m.SendAt);
        w.WriteEndObject();
    }
}
