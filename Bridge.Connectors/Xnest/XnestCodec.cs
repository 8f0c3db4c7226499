using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Bridge.Connectors.Abstractions;

namespace Bridge.Connectors.Xnest;

/// <summary>
/// Encodes and decodes xnest server frames: one JSON object per text frame, keys in the order
/// <c>from, xnest, type, payload, send_time</c>, non-ASCII as raw UTF-8 and <c>/</c> unescaped
/// (as jsx 2.3.1 writes them). Decoding never throws: malformed, truncated, oversize or invalid
/// UTF-8 input yields an exact error text.
/// </summary>
public static class XnestCodec
{
    /// <summary>Largest frame the decoder accepts by default (the server has no limit; the connector has).</summary>
    public const int DefaultMaxFrameBytes = 1 << 20;

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    public static string TypeName(XnestFrameType type) => type switch
    {
        XnestFrameType.Self => "self",
        XnestFrameType.MemberCount => "member_count",
        XnestFrameType.Members => "members",
        XnestFrameType.History => "history",
        XnestFrameType.Join => "join",
        XnestFrameType.Leave => "leave",
        XnestFrameType.Normal => "normal",
        XnestFrameType.ChangeName => "changename",
        XnestFrameType.Private => "private",
        XnestFrameType.Call => "call",
        XnestFrameType.Error => "error",
        XnestFrameType.Audio => "audio",
        XnestFrameType.Picture => "picture",
        XnestFrameType.File => "file",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "no wire name"),
    };

    private static XnestFrameType ParseType(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("normal"u8) ? XnestFrameType.Normal
        : reader.ValueTextEquals("self"u8) ? XnestFrameType.Self
        : reader.ValueTextEquals("member_count"u8) ? XnestFrameType.MemberCount
        : reader.ValueTextEquals("members"u8) ? XnestFrameType.Members
        : reader.ValueTextEquals("history"u8) ? XnestFrameType.History
        : reader.ValueTextEquals("join"u8) ? XnestFrameType.Join
        : reader.ValueTextEquals("leave"u8) ? XnestFrameType.Leave
        : reader.ValueTextEquals("changename"u8) ? XnestFrameType.ChangeName
        : reader.ValueTextEquals("private"u8) ? XnestFrameType.Private
        : reader.ValueTextEquals("call"u8) ? XnestFrameType.Call
        : reader.ValueTextEquals("error"u8) ? XnestFrameType.Error
        : reader.ValueTextEquals("audio"u8) ? XnestFrameType.Audio
        : reader.ValueTextEquals("picture"u8) ? XnestFrameType.Picture
        : reader.ValueTextEquals("file"u8) ? XnestFrameType.File
        : XnestFrameType.Unknown;

    /// <summary>
    /// Decodes one server frame; false with <paramref name="error"/> when it is not a valid frame.
    /// With a <paramref name="cache"/>, the values that repeat (sender pid, room, send time) come
    /// from it instead of being allocated for every frame.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> json, out XnestFrame frame, out string? error, int maxFrameBytes = DefaultMaxFrameBytes, Utf8StringCache? cache = null)
    {
        frame = default;
        if (json.Length == 0)
        {
            error = "empty frame";
            return false;
        }

        if (json.Length > maxFrameBytes)
        {
            error = $"frame of {json.Length} bytes exceeds the limit of {maxFrameBytes} bytes";
            return false;
        }

        try
        {
            error = Decode(json, cache, out frame);
            return error is null;
        }
        catch (JsonException ex)
        {
            var at = ex.BytePositionInLine ?? 0;
            error = at >= json.Length ? $"truncated JSON after {json.Length} bytes" : $"malformed JSON at byte {at}";
            return false;
        }
        catch (InvalidOperationException)
        {
            error = "invalid UTF-8 or a value of the wrong JSON type";
            return false;
        }
    }

    private static string? Decode(ReadOnlySpan<byte> json, Utf8StringCache? cache, out XnestFrame frame)
    {
        frame = default;
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 8 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return "frame is not a JSON object";
        }

        string? from = null, room = null, sendTime = null, text = null, typeName = null;
        var type = XnestFrameType.Unknown;
        var sawType = false;
        long? number = null;
        List<XnestMember>? members = null;
        List<XnestHistoryItem>? history = null;
        var payloadKind = JsonTokenType.None;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("from"u8))
            {
                from = ReadString(ref reader, cache);
            }
            else if (reader.ValueTextEquals("xnest"u8))
            {
                room = ReadString(ref reader, cache);
            }
            else if (reader.ValueTextEquals("type"u8))
            {
                Next(ref reader);
                if (reader.TokenType != JsonTokenType.String)
                {
                    return "'type' is not a string";
                }

                sawType = true;
                type = ParseType(ref reader);
                typeName = type == XnestFrameType.Unknown ? reader.GetString() : null;
            }
            else if (reader.ValueTextEquals("send_time"u8))
            {
                sendTime = ReadString(ref reader, cache);
            }
            else if (reader.ValueTextEquals("payload"u8))
            {
                Next(ref reader);
                payloadKind = reader.TokenType;
                switch (reader.TokenType)
                {
                    case JsonTokenType.String:
                        text = reader.GetString();
                        break;
                    case JsonTokenType.Number:
                        number = reader.TryGetInt64(out var n) ? n : null;
                        if (number is null)
                        {
                            return "'payload' is not a whole number";
                        }

                        break;
                    case JsonTokenType.StartArray:
                        var arrayError = ReadArray(ref reader, out members, out history);
                        if (arrayError is not null)
                        {
                            return arrayError;
                        }

                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
            else
            {
                Next(ref reader);
                reader.Skip();
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject)
        {
            return "frame is not a JSON object";
        }

        if (reader.Read())
        {
            return "data after the JSON object";
        }

        if (!sawType)
        {
            return "frame lacks 'type'";
        }

        if (from is null)
        {
            return "frame lacks 'from'";
        }

        var expected = type switch
        {
            XnestFrameType.MemberCount => JsonTokenType.Number,
            XnestFrameType.Members or XnestFrameType.History => JsonTokenType.StartArray,
            XnestFrameType.Unknown => JsonTokenType.None,
            _ => JsonTokenType.String,
        };
        if (expected != JsonTokenType.None && payloadKind != expected)
        {
            return $"payload of a '{TypeName(type)}' frame must be {(expected == JsonTokenType.String ? "a string" : expected == JsonTokenType.Number ? "a number" : "an array")}";
        }

        if (type == XnestFrameType.Members && history is { Count: > 0 })
        {
            return "payload of a 'members' frame must hold {pid, nickname} objects";
        }

        if (type == XnestFrameType.History && members is { Count: > 0 })
        {
            return "payload of a 'history' frame must hold {from, payload, send_time} objects";
        }

        frame = new XnestFrame(
            from,
            room ?? string.Empty,
            type,
            sendTime ?? string.Empty,
            text,
            number,
            type == XnestFrameType.Members ? (IReadOnlyList<XnestMember>?)members ?? [] : null,
            type == XnestFrameType.History ? (IReadOnlyList<XnestHistoryItem>?)history ?? [] : null,
            typeName);
        return null;
    }

    /// <summary>Reads an array of member objects or of history items (told apart by their keys).</summary>
    private static string? ReadArray(ref Utf8JsonReader reader, out List<XnestMember>? members, out List<XnestHistoryItem>? history)
    {
        members = null;
        history = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return "array payload holds a non-object";
            }

            string? pid = null, nickname = null, from = null, payload = null, type = null, sendTime = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("pid"u8))
                {
                    pid = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("nickname"u8))
                {
                    nickname = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("from"u8))
                {
                    from = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("payload"u8))
                {
                    payload = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("type"u8))
                {
                    type = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("send_time"u8))
                {
                    sendTime = ReadString(ref reader);
                }
                else
                {
                    Next(ref reader);
                    reader.Skip();
                }
            }

            if (pid is not null)
            {
                (members ??= []).Add(new XnestMember(pid, nickname ?? string.Empty));
            }
            else if (from is not null && payload is not null)
            {
                (history ??= []).Add(new XnestHistoryItem(from, payload, type, sendTime ?? string.Empty));
            }
            else
            {
                return "array item is neither a member {pid, nickname} nor a history item {from, payload, send_time}";
            }
        }

        return members is not null && history is not null ? "array mixes members and history items" : null;
    }

    private static void Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new JsonException("truncated", null, null, long.MaxValue);
        }
    }

    /// <summary>A string value (a non-string value is read as null and skipped).</summary>
    private static string? ReadString(ref Utf8JsonReader reader, Utf8StringCache? cache = null)
    {
        Next(ref reader);
        if (reader.TokenType == JsonTokenType.String)
        {
            return Utf8StringCache.GetString(ref reader, cache);
        }

        reader.Skip();
        return null;
    }

    /// <summary>Writes a server frame exactly as the server emits it (one line, keys in wire order).</summary>
    public static void Encode(XnestFrame frame, IBufferWriter<byte> output)
    {
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("from"u8, frame.From);
        writer.WriteString("xnest"u8, frame.Room);
        writer.WriteString("type"u8, frame.TypeName ?? TypeName(frame.Type));
        writer.WritePropertyName("payload"u8);
        if (frame.Number is { } number)
        {
            writer.WriteNumberValue(number);
        }
        else if (frame.Members is { } members)
        {
            writer.WriteStartArray();
            foreach (var m in members)
            {
                writer.WriteStartObject();
                writer.WriteString("pid"u8, m.Pid);
                writer.WriteString("nickname"u8, m.Nickname);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }
        else if (frame.History is { } history)
        {
            writer.WriteStartArray();
            foreach (var h in history)
            {
                writer.WriteStartObject();
                writer.WriteString("from"u8, h.From);
                writer.WriteString("payload"u8, h.Payload);
                if (h.Type is not null)
                {
                    writer.WriteString("type"u8, h.Type);
                }

                writer.WriteString("send_time"u8, h.SendTime);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }
        else
        {
            writer.WriteStringValue(frame.Text ?? string.Empty);
        }

        writer.WriteString("send_time"u8, frame.SendTime);
        writer.WriteEndObject();
    }

    public static byte[] Encode(XnestFrame frame)
    {
        // Written into a pooled buffer and copied out once: the JSON writer asks for room for the
        // text escaped at its longest, which a fresh growing buffer paid for with an array or two
        // per frame (the simulator encodes every broadcast this way).
        using var buffer = new PooledBufferWriter(1024);
        Encode(frame, buffer);
        return buffer.ToArray();
    }
}
