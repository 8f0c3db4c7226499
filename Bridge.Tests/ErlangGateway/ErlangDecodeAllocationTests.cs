using System.Text;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.ErlangGateway;
using Bridge.Contracts.V1;
using Bridge.Tests.Infrastructure;

namespace Bridge.Tests.ErlangGateway;

/// <summary>
/// Decoding a push (frame, MsgId, payload) allocates the text alone: the MsgId is read as a value
/// (its string is the event's native id, made when the event is built, as is the event's
/// <see cref="MessageBody"/>); in the JSON envelope convention the sender uid comes from the
/// inbound string cache and no document is built.
/// </summary>
public class ErlangDecodeAllocationTests
{
    [Theory]
    [InlineData(PayloadFormat.Text, 100)]
    [InlineData(PayloadFormat.Text, 4096)]
    [InlineData(PayloadFormat.XywyJson, 100)]
    [InlineData(PayloadFormat.XywyJson, 4096)]
    public void Decoding_a_chat_push_allocates_only_the_text(PayloadFormat format, int chars)
    {
        var text = Allocations.Text(chars);
        var payload = format == PayloadFormat.Text ? Encoding.UTF8.GetBytes(text) : ErlangPayload.Envelope("10042", null, text);
        ReadOnlyMemory<byte> frame = ErlangCodec.Message(ErlangCommand.GroupPublish, PacketSource.Server, 3001, ErlangCodecTests.MsgId, [], payload);
        var cache = new Utf8StringCache();
        ErlangMsgId msgId = default;
        InboundContent content = default;

        var allocated = Allocations.Of(() =>
        {
            ErlangCodec.TryDecode(frame, PacketSource.Server, out var packet);
            msgId = packet.Id;
            content = ErlangPayload.Decode(packet.Payload.Span, format, cache);
        });

        Assert.Equal(ErlangCodecTests.MsgIdText, msgId.ToString());
        Assert.Equal(text, content.Body.Text);
        Assert.Equal(format == PayloadFormat.Text ? null : "10042", content.From);
        var bound = Allocations.StringBytes(chars);
        Assert.True(allocated <= bound, $"decoding allocated {allocated} B; the text is {bound} B");
    }

    [Fact]
    public void A_numeric_sender_uid_comes_from_the_cache_too()
    {
        var text = Allocations.Text(100);
        var payload = Encoding.UTF8.GetBytes($$"""{"from":10042,"content":"{{text}}"}""");
        var cache = new Utf8StringCache();
        InboundContent content = default;

        var allocated = Allocations.Of(() => content = ErlangPayload.Decode(payload, PayloadFormat.XywyJson, cache));

        Assert.Equal(("10042", text), (content.From, content.Body.Text));
        Assert.True(allocated <= Allocations.StringBytes(100), $"decoding allocated {allocated} B; the text is {Allocations.StringBytes(100)} B");
    }

    [Theory]
    [InlineData("""{"from":"7","content":"a","from":"9"}""", "9", "a")]
    [InlineData("""{"from":12,"content":{"type":"image","url":"http://x/y.png"}}""", "12", null)]
    [InlineData("""{"from":"1","content":{"k":1}}""", "1", """{"k":1}""")]
    [InlineData("""{"from":"1","content":42}""", "1", "42")]
    [InlineData("""{"from":"1","content":"{\"type\":\"text\",\"text\":\"inner\"}"}""", "1", "inner")]
    [InlineData("""{"from":"1","role":0,"content":"sys"}""", "1", "sys")]
    [InlineData("""{"from":"1","content":"a",}""", null, """{"from":"1","content":"a",}""")]
    [InlineData("""{"from":"1","content":"a" """, null, """{"from":"1","content":"a" """)]
    public void The_envelope_reads_like_a_parsed_document(string json, string? from, string? text)
    {
        var cache = new Utf8StringCache();
        for (var pass = 0; pass < 2; pass++)
        {
            var content = ErlangPayload.Decode(Encoding.UTF8.GetBytes(json), PayloadFormat.XywyJson, cache);
            Assert.Equal(from, content.From);
            Assert.Equal(text, content.Body.Text);
        }

        var role = ErlangPayload.Decode(Encoding.UTF8.GetBytes("""{"from":"1","role":"0","content":"x"}"""), PayloadFormat.XywyJson, cache);
        Assert.True(role.IsSystem);
        Assert.Equal(BodyKind.System, role.Body.Kind);
        var image = ErlangPayload.Decode(Encoding.UTF8.GetBytes("""{"from":"1","content":{"type":"image","url":"http://x/y.png"}}"""), PayloadFormat.XywyJson, cache);
        Assert.Equal((BodyKind.Image, "http://x/y.png"), (image.Body.Kind, image.Body.Url));
    }

    [Fact]
    public void Invalid_utf8_inside_the_envelope_falls_back_to_raw_text()
    {
        byte[] payload = [.. "{\"from\":\"1\",\"content\":\"a"u8, 0xC3, 0x28, .. "\"}"u8];
        var content = ErlangPayload.Decode(payload, PayloadFormat.XywyJson, new Utf8StringCache());
        Assert.Null(content.From);
        Assert.Contains('\uFFFD', content.Body.Text!);
    }

    [Fact]
    public void Mutated_envelopes_never_throw()
    {
        var random = new Random(17);
        var seeds = new[]
        {
            ErlangPayload.Envelope("10042", "10001", "hello", Guid.NewGuid()),
            Encoding.UTF8.GetBytes("""{"from":1,"role":"0","content":{"type":"image","url":"http://x/y.png"},"extra":[1,{"a":null}]}"""),
            Encoding.UTF8.GetBytes("""{"from":"1","content":"{\"type\":\"text\",\"text\":\"inner\"}"}"""),
        };
        var cache = new Utf8StringCache(4);
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = (byte[])seeds[i % seeds.Length].Clone();
            for (var m = random.Next(1, 4); m > 0; m--)
            {
                bytes[random.Next(bytes.Length)] = random.Next(4) == 0 ? (byte)random.Next(0x80, 0x100) : (byte)random.Next(0x20, 0x7F);
            }

            var length = random.Next(3) == 0 ? random.Next(1, bytes.Length) : bytes.Length;
            var content = ErlangPayload.Decode(bytes.AsSpan(0, length), PayloadFormat.XywyJson, cache);
            Assert.True(content.Body.Text is not null || content.Body.Url is not null, $"a body without text or URL from mutation {i}");
        }
    }
}
