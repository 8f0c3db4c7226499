using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Bridge.Connectors.Abstractions;
using Bridge.Contracts.V1;

namespace Bridge.Connectors.ErlangGateway;

/// <summary>What the application payload of a push says.</summary>
public readonly record struct InboundContent(string? From, string? To, MessageBody Body, Guid? Origin, bool IsSystem);

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

    public static InboundContent Decode(ReadOnlySpan<byte> payload, PayloadFormat format)
    {
        if (format == PayloadFormat.XywyJson && TryDecodeEnvelope(payload, out var content))
        {
            return content;
        }

        // Raw text (or a payload that is not the envelope): keep it as it is; invalid UTF-8 becomes U+FFFD.
        return new InboundContent(null, null, MessageBody.FromText(Utf8.GetString(payload)), null, false);
    }

    private static bool TryDecodeEnvelope(ReadOnlySpan<byte> payload, out InboundContent content)
    {
        content = default;
        if (payload.IsEmpty || payload[0] != (byte)'{')
        {
            return false;
        }

        try
        {
            var reader = new Utf8JsonReader(payload);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            var from = ScalarText(root, "from");
            var to = ScalarText(root, "to");
            var isSystem = ScalarText(root, "role") == "0";
            Guid? origin = OriginMarker.TryParse(ScalarText(root, OriginMarker.Key), out var id) ? id : null;
            var body = root.TryGetProperty("content", out var c) ? BodyFromContent(c) : MessageBody.FromText(string.Empty);
            if (isSystem)
            {
                body = body with { Kind = BodyKind.System };
            }

            content = new InboundContent(from, to, body, origin, isSystem);
            return true;
        }
        catch (JsonException)
        {
            return false;
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

    /// <summary><c>content</c> is plain text, or (xywy apps) a string holding JSON with a <c>type</c>.</summary>
    private static MessageBody BodyFromContent(JsonElement content)
    {
        if (content.ValueKind == JsonValueKind.Object)
        {
            return BodyFromTyped(content) ?? MessageBody.FromText(content.GetRawText());
        }

        var text = content.ValueKind == JsonValueKind.String ? content.GetString() ?? string.Empty : content.GetRawText();
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

        return MessageBody.FromText(text);
    }

    private static MessageBody? BodyFromTyped(JsonElement obj)
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
            "image" when url is not null => MessageBody.Media(BodyKind.Image, url),
            "text" when text is not null => MessageBody.FromText(text),
            _ when text is not null => MessageBody.FromText(text),
            _ => null,
        };
    }

    /// <summary>
    /// The payload for an outbound message: the text itself, or the envelope with <c>from</c> = the
    /// bridge account, <c>to</c> (1:1 only) and the origin marker.
    /// </summary>
    public static byte[] Encode(PayloadFormat format, string self, string? to, MessageBody body, Guid eventId)
    {
        var text = body.AsPlainText();
        if (format == PayloadFormat.Text)
        {
            return Encoding.UTF8.GetBytes(text);
        }

        return Envelope(self, to, text, eventId);
    }

    /// <summary>A vendor envelope, as a simulated xywy user would write it.</summary>
    public static byte[] Envelope(string from, string? to, string content, Guid? origin = null)
    {
        var buffer = new ArrayBufferWriter<byte>(content.Length + 64);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("from", from);
            if (to is not null)
            {
                writer.WriteString("to", to);
            }

            writer.WriteString("content", content);
            if (origin is { } id)
            {
                writer.WriteString(OriginMarker.Key, OriginMarker.Format(id));
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
