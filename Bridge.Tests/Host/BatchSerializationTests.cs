using System.Runtime.Serialization;
using System.Text;
using System.Text.Json;
using Bridge.Contracts.V1;
using Bridge.Host.Bus.Serialization;
using MassTransit.Context;
using MassTransit.Serialization;

namespace Bridge.Tests.Host;

/// <summary>The bridge's own wire format for the route and delivery batches: what goes in comes out, and a bad body is a clear error.</summary>
public class BatchSerializationTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 5, 4, 30, 1, 123, TimeSpan.FromHours(2));
    private static readonly EndpointRef Room = new("alpha", EndpointKind.Room, "lobby");
    private static readonly EndpointRef Group = new("beta", EndpointKind.Group, "g-1");

    private static RouteBatch EveryKindOfEvent() => new(
    [
        new InboundEvent(Posted: new MessagePosted(Guid.NewGuid(), Room, new Participant("alpha", "u1", "Ünïcødé 😀"),
            new MessageBody(BodyKind.Image, "caption", "https://cdn.example/x.png", "x.png", 12_345), "n-1", At, At.AddMilliseconds(7),
            ReplyToNativeId: "n-0", Attributes: new Dictionary<string, string> { ["k"] = "v", ["quote"] = "\"\\\n" }), TraceParent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
        new InboundEvent(Edited: new MessageEdited(Guid.NewGuid(), Room, new Participant("alpha", "u1"), "n-1", MessageBody.FromText("edited"), At)),
        new InboundEvent(Deleted: new MessageDeleted(Guid.NewGuid(), Room, DeletedBy: null, "n-1", At)),
        new InboundEvent(Membership: new MembershipChanged(Guid.NewGuid(), Room, new Participant("alpha", "u2", "Bob"), MembershipChange.Renamed, "Robert", At)),
    ]);

    private static DeliveryBatch TwoInstructions() => new(
    [
        new DeliverMessage(Guid.NewGuid(), "lobby", Room, Group, DeliveryAction.Post, new Participant("alpha", "u1", "Alice"), MessageBody.FromText("hello"),
            "idem-1", At, At.AddSeconds(1), ReplyToTargetNativeId: "t-0", MappedSenderId: "b-1", TraceParent: "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01"),
        new DeliverMessage(Guid.NewGuid(), "lobby", Room, Group, DeliveryAction.Delete, new Participant("alpha", "u1"), new MessageBody(BodyKind.System, null),
            "idem-2", At, At, TargetNativeMessageId: "t-9"),
    ]);

    private static byte[] Write<T>(BatchSerializer<T> serializer, T batch)
        where T : class => serializer.GetMessageBody(new MessageSendContext<T>(batch, CancellationToken.None)).GetBytes();

    private static T Read<T>(BatchSerializer<T> serializer, byte[] body)
        where T : class
    {
        var context = serializer.Deserialize(new MemoryMessageBody(body), new DictionarySendHeaders(new Dictionary<string, object?>()));
        Assert.True(context.IsSupportedMessageType<T>());
        Assert.False(context.IsSupportedMessageType<MessagePosted>());
        Assert.True(context.TryGetMessage<T>(out var message));
        return message!;
    }

    [Fact]
    public void A_route_batch_with_every_kind_of_event_and_every_optional_field_comes_back_equal()
    {
        var batch = EveryKindOfEvent();
        var body = Write(BatchSerialization.Route, batch);
        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(batch, BatchJson.TypeInfo<RouteBatch>()), body); // unescaped Ünïcødé, as the one-call form writes it
        var read = Read(BatchSerialization.Route, body);
        Assert.Equivalent(batch, read, strict: true);
        Assert.Equal(batch.Events.Select(e => e.EventId), read.Events.Select(e => e.EventId));
        Assert.Equal(At, read.Events[0].Posted!.SentAt);
        Assert.Equal(At.Offset, read.Events[0].Posted!.SentAt.Offset);
    }

    [Fact]
    public void A_delivery_batch_with_every_action_and_optional_field_comes_back_equal()
    {
        var batch = TwoInstructions();
        var body = Write(BatchSerialization.Delivery, batch);
        var read = Read(BatchSerialization.Delivery, body);
        Assert.Equivalent(batch, read, strict: true);

        // The body is what the serializer's own one-call form writes, byte for byte.
        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(batch, BatchJson.TypeInfo<DeliveryBatch>()), body);
    }

    [Fact]
    public void Text_travels_as_utf8_escaped_only_where_json_requires()
    {
        var text = string.Concat(Enumerable.Repeat("中文消息 <b>&'ünï", 100)) + "\"\\\n\u0001😀";
        var batch = new DeliveryBatch([TwoInstructions().Deliveries[0] with { Body = MessageBody.FromText(text) }]);

        var body = Write(BatchSerialization.Delivery, batch);

        Assert.Equal(text, Read(BatchSerialization.Delivery, body).Deliveries[0].Body.Text);
        var json = Encoding.UTF8.GetString(body);
        Assert.Contains("中文消息 <b>&'ünï中文消息", json, StringComparison.Ordinal);
        Assert.Contains("\\\"\\\\\\n\\u0001", json, StringComparison.Ordinal);
        Assert.True(body.Length < Encoding.UTF8.GetByteCount(text) + 1_000, $"{body.Length} B for {Encoding.UTF8.GetByteCount(text)} B of UTF-8 text");
    }

    [Fact]
    public void A_text_read_from_a_batch_stays_utf8_and_is_written_back_byte_for_byte()
    {
        var text = "中文 \"quoted\" back\\slash\nline\u0001 😀 " + new string('x', 5_000);
        var first = Write(BatchSerialization.Delivery, new DeliveryBatch([TwoInstructions().Deliveries[0] with { Body = MessageBody.FromText(text) }]));

        var read = Read(BatchSerialization.Delivery, first);

        var body = read.Deliveries[0].Body;
        Assert.True(body.TryGetUtf8Text(out var utf8));
        Assert.Equal(Encoding.UTF8.GetBytes(text), utf8.ToArray());
        Assert.Equal(first, Write(BatchSerialization.Delivery, read));
        Assert.Equal(MessageBody.FromText(text), body);
    }

    [Fact]
    public void A_mutated_batch_is_read_or_refused_with_a_serialization_error_and_never_anything_else()
    {
        var text = "中文 \"quoted\" back\\slash\nline\u0001 😀 café " + new string('x', 200);
        var valid = Write(BatchSerialization.Delivery, new DeliveryBatch([TwoInstructions().Deliveries[0] with { Body = MessageBody.FromText(text) }]));
        var random = new Random(2026);
        int read = 0, changed = 0;
        for (var i = 0; i < 5_000; i++)
        {
            var bytes = (byte[])valid.Clone();
            for (var m = random.Next(1, 4); m > 0; m--)
            {
                bytes[random.Next(bytes.Length)] = random.Next(3) == 0 ? (byte)random.Next(0x80, 0x100) : (byte)random.Next(0x20, 0x7F);
            }

            try
            {
                var batch = Read(BatchSerialization.Delivery, bytes);
                _ = Write(BatchSerialization.Delivery, batch); // what was read can be written again
                var body = batch.Deliveries[0].Body;
                Assert.True(!body.TryGetUtf8Text(out var utf8) || System.Text.Unicode.Utf8.IsValid(utf8.Span), $"mutation {i} let invalid UTF-8 through");
                read++;
                changed += body.Text == text ? 0 : 1;
            }
            catch (SerializationException)
            {
                // refused, with the contract named (see the tests above)
            }
        }

        Assert.InRange(read, 1, 4_999); // both outcomes happened
        Assert.True(changed > 0, "no mutated text was read");
    }

    [Fact]
    public void The_body_is_the_batch_alone_without_envelope_or_derived_properties()
    {
        using var json = JsonDocument.Parse(Write(BatchSerialization.Route, EveryKindOfEvent()));
        Assert.Equal(["events"], json.RootElement.EnumerateObject().Select(p => p.Name));
        var first = json.RootElement.GetProperty("events")[0];
        Assert.Equal(["posted", "edited", "deleted", "membership", "traceParent"], first.EnumerateObject().Select(p => p.Name));
        var conversation = first.GetProperty("posted").GetProperty("conversation");
        Assert.Equal(["connector", "kind", "nativeId"], conversation.EnumerateObject().Select(p => p.Name));
        Assert.Equal("Room", conversation.GetProperty("kind").GetString());
    }

    [Theory]
    [InlineData("{\"events\": [", "is not a valid RouteBatch")]
    [InlineData("{}", "missing required properties including: 'events'")]
    [InlineData("{\"events\": null}", "events")]
    [InlineData("{\"events\": [{\"posted\": {\"eventId\": \"not-a-guid\"}}]}", "is not a valid RouteBatch")]
    [InlineData("[1, 2]", "is not a valid RouteBatch")]
    [InlineData("null", "body is null")]
    public void A_malformed_route_batch_is_a_serialization_error_that_says_what_is_wrong(string body, string expected)
    {
        var error = Assert.Throws<SerializationException>(() => Read(BatchSerialization.Route, Encoding.UTF8.GetBytes(body)));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains(BatchSerialization.RouteBatchMediaType, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_null_where_the_contract_has_none_and_invalid_utf8_are_refused()
    {
        var valid = Encoding.UTF8.GetString(Write(BatchSerialization.Delivery, TwoInstructions()));
        var nullBody = valid.Replace("\"body\":{", "\"body\":null,\"x\":{", StringComparison.Ordinal);
        var error = Assert.Throws<SerializationException>(() => Read(BatchSerialization.Delivery, Encoding.UTF8.GetBytes(nullBody)));
        Assert.Contains("body", error.Message, StringComparison.Ordinal);

        var bytes = Encoding.UTF8.GetBytes(valid.Replace("hello", "hel\u00ffo", StringComparison.Ordinal));
        var at = Array.IndexOf(bytes, (byte)0xC3);
        bytes[at] = 0xFF; // a lone 0xFF byte is never UTF-8
        error = Assert.Throws<SerializationException>(() => Read(BatchSerialization.Delivery, bytes));
        Assert.Contains("'text' is not valid UTF-8", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Endpoints_senders_and_bodies_are_read_in_any_property_order_with_escapes_and_unknown_properties_and_their_ids_are_shared()
    {
        // As another writer may lay them out: reordered, escaped, with properties this build does not know.
        const string Instruction = """
            {"eventId":"4f7c0d6e-9a51-4c1a-9d52-3f0e6f1b2a11","route":"lobby",
             "source":{"nativeId":"lob\u0062y","extra":{"a":[1,2]},"kind":"Room","connector":"alpha"},
             "target":{"connector":"beta","kind":"group","nativeId":"g-1"},
             "action":"Post",
             "originalSender":{"nativeUserId":"u1","connector":"alpha","future":true},
             "body":{"size":null,"text":"caf\u00e9","kind":"Text"},
             "idempotencyKey":"idem-1","originSentAt":"2026-12-05T04:30:01.123+02:00","ingestedAt":"2026-12-05T04:30:02.123+02:00"}
            """;
        var body = Encoding.UTF8.GetBytes($$"""{"deliveries":[{{Instruction}},{{Instruction}}]}""");

        var first = Read(BatchSerialization.Delivery, body).Deliveries;
        var d = first[0];
        Assert.Equal(new EndpointRef("alpha", EndpointKind.Room, "lobby"), d.Source);
        Assert.Equal(new EndpointRef("beta", EndpointKind.Group, "g-1"), d.Target);
        Assert.Equal(new Participant("alpha", "u1"), d.OriginalSender);
        Assert.Equal(new MessageBody(BodyKind.Text, "café"), d.Body);

        // The ids that repeat from instruction to instruction (and batch to batch) are one string each.
        var again = Read(BatchSerialization.Delivery, body).Deliveries;
        Assert.Same(first[0].Target.NativeId, first[1].Target.NativeId);
        Assert.Same(first[0].Target.Connector, again[1].Target.Connector);
        Assert.Same(first[0].OriginalSender.NativeUserId, again[0].OriginalSender.NativeUserId);
    }

    [Theory]
    [InlineData("\"target\":{\"connector\":\"beta\",\"kind\":\"Group\"}", "nativeId")]
    [InlineData("\"target\":{\"connector\":null,\"kind\":\"Group\",\"nativeId\":\"g\"}", "connector")]
    [InlineData("\"target\":{\"connector\":\"beta\",\"kind\":\"Nowhere\",\"nativeId\":\"g\"}", "is not a valid DeliveryBatch")]
    [InlineData("\"target\":[\"beta\"]", "is not a valid DeliveryBatch")]
    [InlineData("\"target\":{\"connector\":7,\"kind\":\"Group\",\"nativeId\":\"g\"}", "connector")]
    public void A_malformed_endpoint_is_refused_with_what_is_wrong(string target, string expected)
    {
        var valid = Encoding.UTF8.GetString(Write(BatchSerialization.Delivery, TwoInstructions()));
        var broken = valid.Replace("\"target\":{\"connector\":\"beta\",\"kind\":\"Group\",\"nativeId\":\"g-1\"}", target, StringComparison.Ordinal);
        Assert.NotEqual(valid, broken);
        var error = Assert.Throws<SerializationException>(() => Read(BatchSerialization.Delivery, Encoding.UTF8.GetBytes(broken)));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"idempotencyKey\":\"idem-1\",", "", "missing required properties including: 'idempotencyKey'")]
    [InlineData("\"route\":\"lobby\"", "\"route\":null", "'route' must not be null")]
    [InlineData("\"originalSender\":{", "\"originalSender\":null,\"x\":{", "'originalSender' must not be null")]
    [InlineData("\"action\":\"Post\"", "\"action\":\"Shout\"", "is not a valid DeliveryBatch")]
    [InlineData("\"ingestedAt\":\"", "\"ingestedAt\":\"yesterday", "is not a valid DeliveryBatch")]
    public void A_malformed_instruction_is_refused_with_what_is_wrong(string part, string replacement, string expected)
    {
        var valid = Encoding.UTF8.GetString(Write(BatchSerialization.Delivery, new DeliveryBatch([TwoInstructions().Deliveries[0]])));
        var broken = valid.Replace(part, replacement, StringComparison.Ordinal);
        Assert.NotEqual(valid, broken);
        var error = Assert.Throws<SerializationException>(() => Read(BatchSerialization.Delivery, Encoding.UTF8.GetBytes(broken)));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_instruction_is_written_with_every_property_in_declaration_order_nulls_included()
    {
        using var json = JsonDocument.Parse(Write(BatchSerialization.Delivery, TwoInstructions()));
        var second = json.RootElement.GetProperty("deliveries")[1];
        Assert.Equal(typeof(DeliverMessage).GetConstructors()[0].GetParameters().Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name!)),
            second.EnumerateObject().Select(p => p.Name));
        Assert.Equal(JsonValueKind.Null, second.GetProperty("replyToTargetNativeId").ValueKind);
        Assert.Equal("Delete", second.GetProperty("action").GetString());
    }

    [Fact]
    public void A_serializer_refuses_to_write_a_message_of_another_contract()
    {
        var error = Assert.Throws<SerializationException>(() => BatchSerialization.Route.GetMessageBody(new MessageSendContext<DeliveryBatch>(TwoInstructions(), CancellationToken.None)));
        Assert.Equal($"{BatchSerialization.RouteBatchMediaType} carries RouteBatch only, not DeliveryBatch", error.Message);
    }
}
