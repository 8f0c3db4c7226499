using System.Text;
using System.Text.Json;
using Bridge.Connectors.Abstractions;

namespace Bridge.Connectors.Glide;

/// <summary>
/// Decodes Glide frames with <see cref="Utf8JsonReader"/>: the envelope first (no allocation for known
/// actions), then the payload a caller needs from the envelope's raw <c>data</c>. Key matching is
/// case-insensitive like the server's Go decoder (<c>cliMid</c> and <c>cli_mid</c> stay different keys).
/// Every failure is a <see cref="GlideDecodeException"/> whose text follows the server's Go errors.
/// </summary>
public static partial class GlideDecoder
{
    public const int DefaultMaxFrameBytes = 1 << 20;

    private static readonly JsonReaderOptions Options = new() { MaxDepth = 64, CommentHandling = JsonCommentHandling.Disallow };

    private enum Expect
    {
        Key,
        Value,
        End,
    }

    /// <summary>The envelope; with a <paramref name="cache"/>, repeating <c>from</c>/<c>to</c>/<c>ticket</c> values come from it.</summary>
    public static GlideEnvelope DecodeEnvelope(ReadOnlySpan<byte> frame, int maxFrameBytes = DefaultMaxFrameBytes, Utf8StringCache? cache = null)
    {
        if (frame.Length > maxFrameBytes)
        {
            throw new GlideDecodeException($"frame of {frame.Length} bytes exceeds the limit of {maxFrameBytes} bytes");
        }

        var reader = new Utf8JsonReader(frame, Options);
        var expect = Expect.Value;
        try
        {
            if (!reader.Read())
            {
                throw new GlideDecodeException("unexpected end of JSON input");
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw TypeError(reader, "messages.GlideMessage", null);
            }

            long ver = 0, seq = 0;
            string action = string.Empty;
            string? from = null, to = null, ticket = null;
            var dataKind = GlideDataKind.Absent;
            int dataStart = 0, dataLength = 0, extraStart = 0, extraLength = 0;
            while (true)
            {
                expect = Expect.Key;
                reader.Read();
                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    break;
                }

                expect = Expect.Value;
                if (NameIs(ref reader, "action"u8))
                {
                    reader.Read();
                    action = ReadAction(ref reader);
                }
                else if (NameIs(ref reader, "seq"u8))
                {
                    reader.Read();
                    seq = Int64(ref reader, "GlideMessage.seq");
                }
                else if (NameIs(ref reader, "data"u8))
                {
                    reader.Read();
                    dataStart = (int)reader.TokenStartIndex;
                    dataKind = reader.TokenType switch
                    {
                        JsonTokenType.Null => GlideDataKind.Null,
                        JsonTokenType.StartObject => GlideDataKind.Object,
                        JsonTokenType.String => GlideDataKind.String,
                        _ => GlideDataKind.Other,
                    };
                    reader.Skip();
                    dataLength = (int)reader.BytesConsumed - dataStart;
                }
                else if (NameIs(ref reader, "from"u8))
                {
                    reader.Read();
                    from = String(ref reader, "GlideMessage.from", cache);
                }
                else if (NameIs(ref reader, "to"u8))
                {
                    reader.Read();
                    to = String(ref reader, "GlideMessage.to", cache);
                }
                else if (NameIs(ref reader, "ver"u8))
                {
                    reader.Read();
                    ver = Int64(ref reader, "GlideMessage.ver");
                }
                else if (NameIs(ref reader, "ticket"u8))
                {
                    reader.Read();
                    ticket = String(ref reader, "GlideMessage.ticket", cache);
                }
                else if (NameIs(ref reader, "extra"u8))
                {
                    reader.Read();
                    (extraStart, extraLength) = ReadExtraRange(ref reader);
                }
                else if (NameIs(ref reader, "msg"u8) || NameIs(ref reader, "sign"u8))
                {
                    reader.Read();
                    _ = String(ref reader, "GlideMessage.msg");
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            expect = Expect.End;
            reader.Read();
            return new GlideEnvelope(ver == 0 ? 1 : ver, seq, action, from, to, ticket, dataKind, dataStart, dataLength, extraStart, extraLength);
        }
        catch (JsonException ex)
        {
            throw Translate(frame, ex, expect);
        }
    }

    /// <summary>
    /// Decodes ChatMessage from the raw <c>data</c> of a chat or group frame; with a
    /// <paramref name="cache"/>, the repeating <c>from</c>/<c>to</c> values come from it.
    /// </summary>
    public static GlideChatMessage ReadChat(ReadOnlySpan<byte> data, Utf8StringCache? cache = null) =>
        ReadChat(data, cache, deferCliMid: false, out _);

    /// <summary>
    /// As <see cref="ReadChat(ReadOnlySpan{byte}, Utf8StringCache?)"/>, for the inbound path: a
    /// cliMid that is valid UTF-8 and not escaped is not made a string of its own;
    /// <paramref name="cliMidAt"/> says where its bytes are in <paramref name="data"/> (empty when
    /// there is none, or when it was escaped and is in <see cref="GlideChatMessage.CliMid"/>), and
    /// the message's native id is built from them.
    /// </summary>
    public static GlideChatMessage ReadChat(ReadOnlySpan<byte> data, Utf8StringCache? cache, out Range cliMidAt) =>
        ReadChat(data, cache, deferCliMid: true, out cliMidAt);

    private static GlideChatMessage ReadChat(ReadOnlySpan<byte> data, Utf8StringCache? cache, bool deferCliMid, out Range cliMidAt)
    {
        cliMidAt = default;
        var reader = StartObject(data, "messages.ChatMessage");
        try
        {
            string? cliMid = null, from = null, to = null, content = null;
            long mid = 0, seq = 0, sendAt = 0;
            var type = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (NameIs(ref reader, "content"u8))
                {
                    reader.Read();
                    content = String(ref reader, "ChatMessage.content");
                }
                else if (NameIs(ref reader, "climid"u8))
                {
                    reader.Read();
                    if (deferCliMid && reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped && System.Text.Unicode.Utf8.IsValid(reader.ValueSpan))
                    {
                        var start = (int)reader.TokenStartIndex + 1;
                        cliMidAt = start..(start + reader.ValueSpan.Length);
                        cliMid = null;
                    }
                    else
                    {
                        cliMid = String(ref reader, "ChatMessage.cliMid");
                        cliMidAt = default;
                    }
                }
                else if (NameIs(ref reader, "mid"u8))
                {
                    reader.Read();
                    mid = Int64(ref reader, "ChatMessage.mid");
                }
                else if (NameIs(ref reader, "seq"u8))
                {
                    reader.Read();
                    seq = Int64(ref reader, "ChatMessage.seq");
                }
                else if (NameIs(ref reader, "from"u8))
                {
                    reader.Read();
                    from = String(ref reader, "ChatMessage.from", cache);
                }
                else if (NameIs(ref reader, "to"u8))
                {
                    reader.Read();
                    to = String(ref reader, "ChatMessage.to", cache);
                }
                else if (NameIs(ref reader, "type"u8))
                {
                    reader.Read();
                    type = Int32(ref reader, "ChatMessage.type");
                }
                else if (NameIs(ref reader, "sendat"u8))
                {
                    reader.Read();
                    sendAt = Int64(ref reader, "ChatMessage.sendAt");
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            return new GlideChatMessage(cliMid, mid, seq, from, to, type, content, sendAt);
        }
        catch (JsonException ex)
        {
            throw Translate(data, ex, Expect.Value);
        }
    }

    /// <summary>Decodes an ack payload in either server generation's shape.</summary>
    public static GlideAck ReadAck(ReadOnlySpan<byte> data)
    {
        var reader = StartObject(data, "messages.AckMessage");
        try
        {
            string? cliMid = null, from = null, to = null;
            long mid = 0, seq = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (NameIs(ref reader, "cli_mid"u8) || NameIs(ref reader, "climid"u8))
                {
                    reader.Read();
                    cliMid = String(ref reader, "AckMessage.cli_mid") ?? cliMid;
                }
                else if (NameIs(ref reader, "mid"u8))
                {
                    reader.Read();
                    mid = Int64(ref reader, "AckMessage.mid");
                }
                else if (NameIs(ref reader, "seq"u8))
                {
                    reader.Read();
                    seq = Int64(ref reader, "AckMessage.seq");
                }
                else if (NameIs(ref reader, "from"u8))
                {
                    reader.Read();
                    from = String(ref reader, "AckMessage.from");
                }
                else if (NameIs(ref reader, "to"u8))
                {
                    reader.Read();
                    to = String(ref reader, "AckMessage.to");
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            return new GlideAck(cliMid, mid, seq, from, to);
        }
        catch (JsonException ex)
        {
            throw Translate(data, ex, Expect.Value);
        }
    }

    public static GlideHello ReadHello(ReadOnlySpan<byte> data)
    {
        var reader = StartObject(data, "messages.ServerHello");
        try
        {
            string? tempId = null;
            long interval = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (NameIs(ref reader, "temp_id"u8))
                {
                    reader.Read();
                    tempId = String(ref reader, "ServerHello.temp_id");
                }
                else if (NameIs(ref reader, "heartbeat_interval"u8))
                {
                    reader.Read();
                    interval = Int64(ref reader, "ServerHello.heartbeat_interval");
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            return new GlideHello(tempId, interval);
        }
        catch (JsonException ex)
        {
            throw Translate(data, ex, Expect.Value);
        }
    }

    public static GlideKickOut ReadKickOut(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty || data.SequenceEqual("null"u8))
        {
            return default;
        }

        var reader = StartObject(data, "messages.KickOutNotify");
        try
        {
            string? deviceId = null, deviceName = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (NameIs(ref reader, "device_id"u8))
                {
                    reader.Read();
                    deviceId = String(ref reader, "KickOutNotify.device_id");
                }
                else if (NameIs(ref reader, "device_name"u8))
                {
                    reader.Read();
                    deviceName = String(ref reader, "KickOutNotify.device_name");
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            return new GlideKickOut(deviceId, deviceName);
        }
        catch (JsonException ex)
        {
            throw Translate(data, ex, Expect.Value);
        }
    }

    public static GlideAuthenticate ReadAuthenticate(ReadOnlySpan<byte> data)
    {
        var reader = StartObject(data, "messages.AuthenticationMessage");
        try
        {
            string? credential = null;
            long version = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (NameIs(ref reader, "credential"u8))
                {
                    reader.Read();
                    credential = String(ref reader, "AuthenticationMessage.credential");
                }
                else if (NameIs(ref reader, "version"u8))
                {
                    reader.Read();
                    version = Int64(ref reader, "AuthenticationMessage.version");
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            return new GlideAuthenticate(version, credential);
        }
        catch (JsonException ex)
        {
            throw Translate(data, ex, Expect.Value);
        }
    }

    /// <summary>The text of a notify: a JSON string's value, null for <c>null</c>, else the raw JSON.</summary>
    public static string? ReadText(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty || data.SequenceEqual("null"u8))
        {
            return null;
        }

        if (data[0] != (byte)'"')
        {
            return Encoding.UTF8.GetString(data);
        }

        var reader = new Utf8JsonReader(data, Options);
        try
        {
            reader.Read();
            return Text(ref reader);
        }
        catch (JsonException ex)
        {
            throw Translate(data, ex, Expect.Value);
        }
    }

    /// <summary>The value of one key of a raw <c>extra</c> object (null when absent).</summary>
    public static string? ReadExtraValue(ReadOnlySpan<byte> extra, ReadOnlySpan<byte> key)
    {
        if (extra.IsEmpty)
        {
            return null;
        }

        var reader = new Utf8JsonReader(extra, Options);
        try
        {
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var match = reader.ValueTextEquals(key);
                reader.Read();
                if (match && reader.TokenType == JsonTokenType.String)
                {
                    return Text(ref reader);
                }

                reader.Skip();
            }

            return null;
        }
        catch (JsonException ex)
        {
            throw Translate(extra, ex, Expect.Value);
        }
    }

    /// <summary>The whole raw <c>extra</c> object as a map.</summary>
    public static Dictionary<string, string> ReadExtra(ReadOnlySpan<byte> extra)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (extra.IsEmpty)
        {
            return map;
        }

        var reader = new Utf8JsonReader(extra, Options);
        try
        {
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = Text(ref reader)!;
                reader.Read();
                map[name] = Text(ref reader) ?? string.Empty;
            }

            return map;
        }
        catch (JsonException ex)
        {
            throw Translate(extra, ex, Expect.Value);
        }
    }
}
