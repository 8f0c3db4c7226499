using System.Text.Json;
using System.Text.Json.Serialization;
using Bridge.Contracts.V1;
using static Bridge.Host.Bus.Serialization.BatchJsonReading;

namespace Bridge.Host.Bus.Serialization;

// The three small records every event and instruction carries one or more of, read and written by
// hand: the generated metadata reads a record through its constructor, with an argument buffer,
// a bit array of the parameters seen and a string per value for each one (a fifth of what reading
// a delivery batch allocated). Same JSON as the generated metadata: camel-case names, enums as
// strings, nulls written, unknown properties skipped, a missing constructor argument an error.

/// <summary><see cref="EndpointRef"/> in batches: <c>{"connector", "kind", "nativeId"}</c>.</summary>
internal sealed class EndpointRefJsonConverter : JsonConverter<EndpointRef>
{
    public override EndpointRef Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        ExpectObject(ref reader, typeof(EndpointRef));
        string? connector = null, nativeId = null;
        EndpointKind kind = default;
        bool hasConnector = false, hasKind = false, hasNativeId = false;
        while (NextProperty(ref reader))
        {
            if (Property(ref reader, "connector"u8))
            {
                connector = String(ref reader, "connector", nullable: false);
                hasConnector = true;
            }
            else if (Property(ref reader, "kind"u8))
            {
                kind = JsonSerializer.Deserialize(ref reader, TypeInfo<EndpointKind>(options));
                hasKind = true;
            }
            else if (Property(ref reader, "nativeId"u8))
            {
                nativeId = String(ref reader, "nativeId", nullable: false);
                hasNativeId = true;
            }
            else
            {
                reader.Skip(); // from the name past its value
            }
        }

        var type = typeof(EndpointRef);
        return new EndpointRef(Required(connector, hasConnector, "connector", type), Required(kind, hasKind, "kind", type), Required(nativeId, hasNativeId, "nativeId", type));
    }

    public override void Write(Utf8JsonWriter writer, EndpointRef value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString("connector"u8, value.Connector);
        writer.WritePropertyName("kind"u8);
        JsonSerializer.Serialize(writer, value.Kind, TypeInfo<EndpointKind>(options));
        writer.WriteString("nativeId"u8, value.NativeId);
        writer.WriteEndObject();
    }
}

/// <summary><see cref="Participant"/> in batches: <c>{"connector", "nativeUserId", "displayName"}</c>.</summary>
internal sealed class ParticipantJsonConverter : JsonConverter<Participant>
{
    public override Participant Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        ExpectObject(ref reader, typeof(Participant));
        string? connector = null, user = null, name = null;
        bool hasConnector = false, hasUser = false;
        while (NextProperty(ref reader))
        {
            if (Property(ref reader, "connector"u8))
            {
                connector = String(ref reader, "connector", nullable: false);
                hasConnector = true;
            }
            else if (Property(ref reader, "nativeUserId"u8))
            {
                user = String(ref reader, "nativeUserId", nullable: false);
                hasUser = true;
            }
            else if (Property(ref reader, "displayName"u8))
            {
                name = String(ref reader, "displayName", nullable: true);
            }
            else
            {
                reader.Skip(); // from the name past its value
            }
        }

        var type = typeof(Participant);
        return new Participant(Required(connector, hasConnector, "connector", type), Required(user, hasUser, "nativeUserId", type), name);
    }

    public override void Write(Utf8JsonWriter writer, Participant value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString("connector"u8, value.Connector);
        writer.WriteString("nativeUserId"u8, value.NativeUserId);
        writer.WriteString("displayName"u8, value.DisplayName);
        writer.WriteEndObject();
    }
}

/// <summary>
/// <see cref="MessageBody"/> in batches: <c>{"kind", "text", "url", "fileName", "size"}</c>. The text
/// is read as the UTF-8 it is in the batch, not as a string (<see cref="MessageBody.FromUtf8"/>), and
/// written from it again, so it crosses the router and the delivery consumer without being
/// transcoded twice on each.
/// </summary>
internal sealed class MessageBodyJsonConverter : JsonConverter<MessageBody>
{
    public override MessageBody Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        ExpectObject(ref reader, typeof(MessageBody));
        BodyKind kind = default;
        ReadOnlyMemory<byte>? text = null;
        string? url = null, fileName = null;
        long? size = null;
        bool hasKind = false, hasText = false;
        while (NextProperty(ref reader))
        {
            if (Property(ref reader, "kind"u8))
            {
                kind = JsonSerializer.Deserialize(ref reader, TypeInfo<BodyKind>(options));
                hasKind = true;
            }
            else if (Property(ref reader, "text"u8))
            {
                text = Utf8Text(ref reader, "text");
                hasText = true;
            }
            else if (Property(ref reader, "url"u8))
            {
                url = String(ref reader, "url", nullable: true, intern: false);
            }
            else if (Property(ref reader, "fileName"u8))
            {
                fileName = String(ref reader, "fileName", nullable: true, intern: false);
            }
            else if (Property(ref reader, "size"u8))
            {
                size = reader.TokenType == JsonTokenType.Null ? null : reader.GetInt64();
            }
            else
            {
                reader.Skip(); // from the name past its value
            }
        }

        var type = typeof(MessageBody);
        var bodyKind = Required(kind, hasKind, "kind", type);
        return Required(text, hasText, "text", type) is { } utf8
            ? MessageBody.FromUtf8(bodyKind, utf8, url, fileName, size)
            : new MessageBody(bodyKind, null, url, fileName, size);
    }

    public override void Write(Utf8JsonWriter writer, MessageBody value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WritePropertyName("kind"u8);
        JsonSerializer.Serialize(writer, value.Kind, TypeInfo<BodyKind>(options));
        if (value.TryGetUtf8Text(out var utf8))
        {
            writer.WriteString("text"u8, utf8.Span);
        }
        else
        {
            writer.WriteString("text"u8, value.Text);
        }

        writer.WriteString("url"u8, value.Url);
        writer.WriteString("fileName"u8, value.FileName);
        if (value.Size is { } size)
        {
            writer.WriteNumber("size"u8, size);
        }
        else
        {
            writer.WriteNull("size"u8);
        }

        writer.WriteEndObject();
    }
}
