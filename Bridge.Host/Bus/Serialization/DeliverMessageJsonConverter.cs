using System.Text.Json;
using System.Text.Json.Serialization;
using Bridge.Contracts.V1;
using static Bridge.Host.Bus.Serialization.BatchJsonReading;

namespace Bridge.Host.Bus.Serialization;

/// <summary>
/// <see cref="DeliverMessage"/> in delivery batches, read and written by hand like the small records
/// it carries (<see cref="EndpointRefJsonConverter"/>): through its constructor the generated
/// metadata kept an argument array per instruction and boxed the event id, the action and both
/// times into it. Same JSON: camel-case names in declaration order, the action as a string, nulls
/// written, unknown properties skipped, a missing required property or a null where the contract
/// has none an error.
/// </summary>
internal sealed class DeliverMessageJsonConverter : JsonConverter<DeliverMessage>
{
    private static readonly EndpointRefJsonConverter Endpoints = new();
    private static readonly ParticipantJsonConverter Participants = new();
    private static readonly MessageBodyJsonConverter Bodies = new();

    [Flags]
    private enum Seen
    {
        None = 0,
        EventId = 1,
        Route = 2,
        Source = 4,
        Target = 8,
        Action = 16,
        OriginalSender = 32,
        Body = 64,
        IdempotencyKey = 128,
        OriginSentAt = 256,
        IngestedAt = 512,
        Required = 1023,
    }

    public override DeliverMessage Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        ExpectObject(ref reader, typeof(DeliverMessage));
        Guid eventId = default;
        string? route = null, idempotencyKey = null, replyTo = null, targetNativeId = null, mappedSender = null, traceParent = null;
        EndpointRef? source = null, target = null;
        DeliveryAction action = default;
        Participant? sender = null;
        MessageBody? body = null;
        DateTimeOffset originSentAt = default, ingestedAt = default;
        var seen = Seen.None;
        while (NextProperty(ref reader))
        {
            if (Property(ref reader, "eventId"u8))
            {
                eventId = reader.GetGuid();
                seen |= Seen.EventId;
            }
            else if (Property(ref reader, "route"u8))
            {
                route = String(ref reader, "route", nullable: false);
                seen |= Seen.Route;
            }
            else if (Property(ref reader, "source"u8))
            {
                source = Nested(ref reader, Endpoints, "source", options);
                seen |= Seen.Source;
            }
            else if (Property(ref reader, "target"u8))
            {
                target = Nested(ref reader, Endpoints, "target", options);
                seen |= Seen.Target;
            }
            else if (Property(ref reader, "action"u8))
            {
                action = JsonSerializer.Deserialize(ref reader, TypeInfo<DeliveryAction>(options));
                seen |= Seen.Action;
            }
            else if (Property(ref reader, "originalSender"u8))
            {
                sender = Nested(ref reader, Participants, "originalSender", options);
                seen |= Seen.OriginalSender;
            }
            else if (Property(ref reader, "body"u8))
            {
                body = Nested(ref reader, Bodies, "body", options);
                seen |= Seen.Body;
            }
            else if (Property(ref reader, "idempotencyKey"u8))
            {
                idempotencyKey = String(ref reader, "idempotencyKey", nullable: false, intern: false);
                seen |= Seen.IdempotencyKey;
            }
            else if (Property(ref reader, "originSentAt"u8))
            {
                originSentAt = reader.GetDateTimeOffset();
                seen |= Seen.OriginSentAt;
            }
            else if (Property(ref reader, "ingestedAt"u8))
            {
                ingestedAt = reader.GetDateTimeOffset();
                seen |= Seen.IngestedAt;
            }
            else if (Property(ref reader, "replyToTargetNativeId"u8))
            {
                replyTo = String(ref reader, "replyToTargetNativeId", nullable: true, intern: false);
            }
            else if (Property(ref reader, "targetNativeMessageId"u8))
            {
                targetNativeId = String(ref reader, "targetNativeMessageId", nullable: true, intern: false);
            }
            else if (Property(ref reader, "mappedSenderId"u8))
            {
                mappedSender = String(ref reader, "mappedSenderId", nullable: true);
            }
            else if (Property(ref reader, "traceParent"u8))
            {
                traceParent = String(ref reader, "traceParent", nullable: true, intern: false);
            }
            else
            {
                reader.Skip(); // from the name past its value
            }
        }

        if (seen != Seen.Required)
        {
            throw Missing(seen);
        }

        return new DeliverMessage(eventId, route!, source!, target!, action, sender!, body!, idempotencyKey!, originSentAt, ingestedAt,
            replyTo, targetNativeId, mappedSender, traceParent);
    }

    public override void Write(Utf8JsonWriter writer, DeliverMessage value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString("eventId"u8, value.EventId);
        writer.WriteString("route"u8, value.Route);
        writer.WritePropertyName("source"u8);
        Endpoints.Write(writer, value.Source, options);
        writer.WritePropertyName("target"u8);
        Endpoints.Write(writer, value.Target, options);
        writer.WritePropertyName("action"u8);
        JsonSerializer.Serialize(writer, value.Action, TypeInfo<DeliveryAction>(options));
        writer.WritePropertyName("originalSender"u8);
        Participants.Write(writer, value.OriginalSender, options);
        writer.WritePropertyName("body"u8);
        Bodies.Write(writer, value.Body, options);
        writer.WriteString("idempotencyKey"u8, value.IdempotencyKey);
        writer.WriteString("originSentAt"u8, value.OriginSentAt);
        writer.WriteString("ingestedAt"u8, value.IngestedAt);
        writer.WriteString("replyToTargetNativeId"u8, value.ReplyToTargetNativeId);
        writer.WriteString("targetNativeMessageId"u8, value.TargetNativeMessageId);
        writer.WriteString("mappedSenderId"u8, value.MappedSenderId);
        writer.WriteString("traceParent"u8, value.TraceParent);
        writer.WriteEndObject();
    }

    /// <summary>A record inside the instruction, which none of them may leave null.</summary>
    private static T Nested<T>(ref Utf8JsonReader reader, JsonConverter<T> converter, string property, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Null
            ? throw new JsonException($"The property '{property}' must not be null.")
            : converter.Read(ref reader, typeof(T), options)!;

    private static JsonException Missing(Seen seen)
    {
        var first = Enum.GetValues<Seen>().First(flag => flag is not Seen.None and not Seen.Required && !seen.HasFlag(flag));
        var name = JsonNamingPolicy.CamelCase.ConvertName(first.ToString());
        return new JsonException($"JSON deserialization for type '{typeof(DeliverMessage).FullName}' was missing required properties including: '{name}'.");
    }
}
