using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Bridge.Connectors.Abstractions;
using Bridge.Contracts.V1;

namespace Bridge.Connectors.ErlangGateway;

/// <summary>What the application payload of a push says.</summary>
public readonly record struct InboundContent(string? From, string? To, InboundBody Body, Guid? Origin, bool IsSystem);

/// <summary>
/// A push's body as decoded: its kind and text or URL, as values (no object of its own). A text
/// taken from the payload as it stands is kept as its UTF-8 (<see cref="MessageBody.FromUtf8"/>).
/// </summary>
public readonly record struct InboundBody
{
    private readonly string? _text;
    private readonly ReadOnlyMemory<byte>? _utf8;

    public InboundBody(BodyKind kind, string? text, string? url = null)
    {
        Kind = kind;
        _text = text;
        Url = url;
    }

    private InboundBody(ReadOnlyMemory<byte> utf8)
    {
        Kind = BodyKind.Text;
        _utf8 = utf8;
    }

    public BodyKind Kind { get; init; }

    /// <summary>The text (made from the UTF-8 on each read when held so: for tests and logs, not the relay).</summary>
    public string? Text => _text ?? (_utf8 is { } utf8 ? Encoding.UTF8.GetString(utf8.Span) : null);

    public string? Url { get; }

    public static InboundBody FromText(string text) => new(BodyKind.Text, text);

    /// <summary>A text body held as valid UTF-8, handed over.</summary>
    public static InboundBody FromUtf8(ReadOnlyMemory<byte> utf8) => new(utf8);

    public static InboundBody Media(BodyKind kind, string url) => new(kind, null, url);

    /// <summary>The event's body (built when the event is, not while decoding).</summary>
    public MessageBody ToMessageBody() => _utf8 is { } utf8 ? MessageBody.FromUtf8(Kind, utf8, Url) : new(Kind, _text, Url);
}

/// <summary>
/// The two payload conventions: raw UTF-8 text, or the vendor's JSON envelope
/// <c>{"from":"…","to":"…","content":"…"}</c> where <c>content</c> is text or a string holding
/// JSON with a <c>type</c>. On send the bridge writes the same convention it reads.
/// </summary>
public static class ErlangPayload
{
    // Chat text stays readable UTF-8 instead of \uXXXX escapes (the payload is not embedded in HTML).
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    /// <summary>
    /// The sender and body of a push payload. With a <paramref name="cache"/>, the envelope's
    /// repeating <c>from</c>/<c>to</c> values come from it instead of being allocated per push.
    /// </summary>
    public static InboundContent Decode(ReadOnlySpan<byte> payload, PayloadFormat format, Utf8StringCache? cache = null)
    {
        if (format == PayloadFormat.XywyJson && TryDecodeEnvelope(payload, cache, out var content))
        {
            return content;
        }

        // Raw text (or a payload that is not the envelope): keep it as it is; invalid UTF-8 becomes U+FFFD.
        var body = System.Text.Unicode.Utf8.IsValid(payload) ? InboundBody.FromUtf8(payload.ToArray()) : InboundBody.FromText(Utf8.GetString(payload));
        return new InboundContent(null, null, body, null, false);
    }

    /// <summary>
    /// Reads the envelope with <see cref="Utf8JsonReader"/> straight from the payload: only the values
    /// the event needs become strings. As with a parsed document, a repeated key's last value wins,
    /// and anything that is not one well-formed JSON object (or holds invalid UTF-8) is not the envelope.
    /// </summary>
    private static bool TryDecodeEnvelope(ReadOnlySpan<byte> payload, Utf8StringCache? cache, out InboundContent content)
    {
        content = default;
        if (payload.IsEmpty || payload[0] != (byte)'{')
        {
            return false;
        }

        try
        {
            var reader = new Utf8JsonReader(payload);
            reader.Read();
            string? from = null, to = null, origin = null;
            var isSystem = false;
            InboundBody? body = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("from"u8))
                {
                    reader.Read();
                    from = ScalarText(ref reader, cache);
                }
                else if (reader.ValueTextEquals("to"u8))
                {
                    reader.Read();
                    to = ScalarText(ref reader, cache);
                }
                else if (reader.ValueTextEquals("content"u8))
                {
                    reader.Read();
                    body = BodyFromContent(ref reader, payload);
                }
                else if (reader.ValueTextEquals("role"u8))
                {
                    reader.Read();
                    isSystem = reader.TokenType switch
                    {
                        JsonTokenType.String => reader.ValueTextEquals("0"u8),
                        JsonTokenType.Number => reader.ValueSpan.SequenceEqual("0"u8),
                        _ => false,
                    };
                    reader.Skip();
                }
                else if (reader.ValueTextEquals(OriginMarker.Key))
                {
                    reader.Read();
                    origin = ScalarText(ref reader, null);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject)
            {
                return false;
            }

            var decoded = body ?? InboundBody.FromText(string.Empty);
            if (isSystem)
            {
                decoded = decoded with { Kind = BodyKind.System };
            }

            content = new InboundContent(from, to, decoded, OriginMarker.TryParse(origin, out var id) ? id : null, isSystem);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false; // a string with invalid UTF-8: not the envelope, so the raw-text path takes it
        }
    }

    /// <summary>A string's value or a number's text; null for other values (which are skipped).</summary>
    private static string? ScalarText(ref Utf8JsonReader reader, Utf8StringCache? cache)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return Utf8StringCache.GetString(ref reader, cache);
            case JsonTokenType.Number:
                if (cache is not null && cache.TryGet(reader.ValueSpan, out var cached))
                {
                    return cached;
                }

                var number = Utf8.GetString(reader.ValueSpan);
                cache?.Add(reader.ValueSpan, number);
                return number;
            default:
                reader.Skip();
                return null;
        }
    }

    /// <summary>The body of the current <c>content</c> value (the reader ends on its last token).</summary>
    private static InboundBody BodyFromContent(ref Utf8JsonReader reader, ReadOnlySpan<byte> payload)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String when reader.ValueSpan is not [(byte)'{' or (byte)'\\', ..]:
                // Plain text: a text holding typed JSON starts with a brace (or an escape that may be one).
                return JsonUtf8Text.TryRead(ref reader, out var utf8)
                    ? InboundBody.FromUtf8(utf8)
                    : throw new InvalidOperationException("The content is not valid UTF-8.");
            case JsonTokenType.String:
                return BodyFromText(reader.GetString()!);
            case JsonTokenType.StartObject:
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                var raw = payload[start..(int)reader.BytesConsumed];
                using (var document = JsonDocument.Parse(raw.ToArray()))
                {
                    return BodyFromTyped(document.RootElement) ?? InboundBody.FromText(Utf8.GetString(raw));
                }

            default:
                var valueStart = (int)reader.TokenStartIndex;
                reader.Skip();
                return BodyFromText(Utf8.GetString(payload[valueStart..(int)reader.BytesConsumed]));
        }
    }

    private static string? ScalarText(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number => v.GetRawText(),
            _ => null,
        }
        : null;

    /// <summary><c>content</c> text is plain text, or (xywy apps) a string holding JSON with a <c>type</c>.</summary>
    private static InboundBody BodyFromText(string text)
    {
        if (text.StartsWith('{'))
        {
            try
            {
                using var inner = JsonDocument.Parse(text);
                if (inner.RootElement.ValueKind == JsonValueKind.Object && BodyFromTyped(inner.RootElement) is { } typed)
                {
                    return typed;
                }
            }
            catch (JsonException)
            {
                // Text that merely starts with a brace.
            }
        }

        return InboundBody.FromText(text);
    }

    private static InboundBody? BodyFromTyped(JsonElement obj)
    {
        var type = ScalarText(obj, "type");
        if (type is null)
        {
            return null;
        }

        var text = ScalarText(obj, "text") ?? ScalarText(obj, "content") ?? ScalarText(obj, "msg");
        var url = ScalarText(obj, "url") ?? ScalarText(obj, "img") ?? ScalarText(obj, "image");
        return type switch
        {
            "image" when url is not null => InboundBody.Media(BodyKind.Image, url),
            "text" when text is not null => InboundBody.FromText(text),
            _ when text is not null => InboundBody.FromText(text),
            _ => null,
        };
    }

    /// <summary>
    /// The payload for an outbound message: the text itself, or the envelope with <c>from</c> = the
    /// bridge account, <c>to</c> (1:1 only) and the origin marker.
    /// </summary>
    public static byte[] Encode(PayloadFormat format, string self, string? to, MessageBody body, Guid eventId)
    {
        var text = OutboundText.PlainOf(body);
        if (format == PayloadFormat.Text)
        {
            var bytes = new byte[text.ByteCount];
            text.WriteUtf8(bytes);
            return bytes;
        }

        return Envelope(self, to, text, eventId);
    }

    /// <summary>A vendor envelope, as a simulated xywy user would write it.</summary>
    public static byte[] Envelope(string from, string? to, string content, Guid? origin = null) =>
        Envelope(from, to, new OutboundText(content), origin);

    /// <summary>A vendor envelope whose content may already be UTF-8 (written from it as it is).</summary>
    public static byte[] Envelope(string from, string? to, OutboundText content, Guid? origin = null)
    {
        // A pooled scratch buffer: the JSON writer asks for room for the worst-case UTF-8 expansion
        // of each string, which would make a plain growable array reallocate several times.
        using var buffer = new PooledBufferWriter(content.ByteCount + 64);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("from", from);
            if (to is not null)
            {
                writer.WriteString("to", to);
            }

            if (content.IsUtf8)
            {
                writer.WriteString("content"u8, content.Utf8);
            }
            else
            {
                writer.WriteString("content"u8, content.ToString());
            }

            if (origin is { } id)
            {
                writer.WriteString(OriginMarker.Key, OriginMarker.Format(id));
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
