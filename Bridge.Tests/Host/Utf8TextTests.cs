using System.Text;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.ErlangGateway;
using Bridge.Connectors.Glide;
using Bridge.Connectors.ProtobufIm;
using Bridge.Connectors.ProtobufIm.Wire;
using Bridge.Connectors.Rtm;
using Bridge.Contracts.V1;
using Bridge.Host.Routing;
using Google.Protobuf;

namespace Bridge.Tests.Host;

/// <summary>
/// A text held as UTF-8 (<see cref="MessageBody.FromUtf8"/>) is the same body as the text held as
/// a string, is formatted to the same text, and goes into every frame as the same bytes (xnest
/// sends the string: it matches a post's echo by its text).
/// </summary>
public class Utf8TextTests
{
    private const string Text = "中文 \"quoted\" back\\slash\nline\u0001 😀 café";

    private static MessageBody Utf8Body(string text, BodyKind kind = BodyKind.Text) => MessageBody.FromUtf8(kind, Encoding.UTF8.GetBytes(text));

    [Fact]
    public void A_body_held_as_utf8_equals_the_body_held_as_a_string_and_makes_its_string_once()
    {
        var utf8 = Utf8Body(Text);
        var text = MessageBody.FromText(Text);

        Assert.True(utf8.HasText);
        Assert.Equal(Encoding.UTF8.GetByteCount(Text), utf8.TextSizeEstimate());
        Assert.Equal(text, utf8);
        Assert.Equal(utf8, text);
        Assert.Equal(text.GetHashCode(), utf8.GetHashCode());
        Assert.Equal(Utf8Body(Text), utf8);
        Assert.NotEqual(Utf8Body(Text + "!"), utf8);
        Assert.NotEqual(Utf8Body(Text, BodyKind.System), utf8);
        Assert.Equal(Text, utf8.Text);
        Assert.Same(utf8.Text, utf8.Text);
        Assert.Equal(Text, utf8.AsPlainText());
        Assert.False(text.TryGetUtf8Text(out _));
    }

    [Fact]
    public void A_new_text_drops_the_utf8_and_a_new_kind_keeps_it()
    {
        var body = Utf8Body(Text);

        var replaced = body with { Text = "other" };
        Assert.False(replaced.TryGetUtf8Text(out _));
        Assert.Equal("other", replaced.Text);

        var system = body with { Kind = BodyKind.System };
        Assert.True(system.TryGetPlainUtf8(out var utf8));
        Assert.Equal(Encoding.UTF8.GetBytes(Text), utf8.ToArray());

        var caption = Utf8Body("caption", BodyKind.Image) with { Url = "http://x/1.png" };
        Assert.False(caption.TryGetPlainUtf8(out _));
        Assert.Equal("caption http://x/1.png", caption.AsPlainText());
        Assert.Equal("caption http://x/1.png", OutboundText.PlainOf(caption).ToString());
    }

    [Theory]
    [InlineData("[{source}] {sender}: {text}")]
    [InlineData("<{text}> ({route}) {other} {text")]
    [InlineData("{text}{text}")]
    [InlineData("{sender}")]
    [InlineData("")]
    public void A_utf8_text_is_formatted_to_the_utf8_of_the_string_result(string template)
    {
        foreach (var text in new[] { Text, string.Empty, new string('x', 70_000) })
        {
            var sender = "Ann \uD800 Ünï"; // a lone surrogate becomes U+FFFD either way
            var expected = MessageFormatter.Format(MessageBody.FromText(text), template, "rtm", sender, "lobby");

            var formatted = MessageFormatter.Format(Utf8Body(text), template, "rtm", sender, "lobby");

            Assert.True(formatted.TryGetUtf8Text(out var utf8));
            Assert.Equal(Encoding.UTF8.GetBytes(expected.Text!), utf8.ToArray());
            Assert.Equal(Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(expected.Text!)), formatted.Text);
        }
    }

    [Fact]
    public void The_template_of_the_text_alone_passes_a_utf8_body_on_as_it_is()
    {
        var body = Utf8Body(new string('z', 60_000));
        Assert.Same(body, MessageFormatter.Format(body, "{text}", "s", "Ann", "r"));
    }

    [Fact]
    public void Protobuf_im_writes_the_same_send_frame_from_utf8_and_drops_a_nul_as_before()
    {
        foreach (var text in new[] { Text, "nul\0inside" })
        {
            var message = new OutboundMessage(new EndpointRef("pbim", EndpointKind.Group, "3001"), Utf8Body(text), "k-1", new Participant("rtm", "u1"), Guid.NewGuid());
            var expected = ImMessageMapper.ToSendRequest(message with { Body = MessageBody.FromText(text) }, "u_bridge", 5)!.Value;

            var request = ImMessageMapper.ToSendRequest(message, "u_bridge", 5)!.Value;

            Assert.Equal(Frame(expected), Frame(request));
            Assert.Equal(text.Replace('\0', '\uFFFD'), request.Content);
        }
    }

    [Theory]
    [InlineData(PayloadFormat.Text)]
    [InlineData(PayloadFormat.XywyJson)]
    public void The_erlang_gateway_keeps_a_pushed_text_as_utf8_and_writes_the_same_payload_from_it(PayloadFormat format)
    {
        var id = Guid.NewGuid();
        var payload = ErlangPayload.Encode(format, "10001", "10042", MessageBody.FromText(Text), id);

        var body = ErlangPayload.Decode(payload, format).Body.ToMessageBody();

        Assert.True(body.TryGetUtf8Text(out var utf8));
        Assert.Equal(Encoding.UTF8.GetBytes(Text), utf8.ToArray());
        Assert.Equal(payload, ErlangPayload.Encode(format, "10001", "10042", body, id));
    }

    [Fact]
    public void An_erlang_content_that_escapes_its_opening_brace_is_still_read_for_a_typed_body()
    {
        var payload = Encoding.UTF8.GetBytes("""{"from":"1","content":"\u007b\"type\":\"image\",\"url\":\"http://x/y.png\"}"}""");
        var body = ErlangPayload.Decode(payload, PayloadFormat.XywyJson).Body;
        Assert.Equal((BodyKind.Image, "http://x/y.png"), (body.Kind, body.Url));
    }

    [Fact]
    public void Rtm_writes_the_same_send_quest_from_utf8()
    {
        using var expected = RtmQuests.Send(2, RtmConversationType.Room, 7, 11, 30, Text, "{}");
        using var quest = RtmQuests.Send(2, RtmConversationType.Room, 7, 11, 30, OutboundText.PlainOf(Utf8Body(Text)), "{}");
        Assert.Equal(expected.ToArray(), quest.ToArray());
    }

    [Fact]
    public void Glide_writes_the_same_send_frame_from_utf8()
    {
        var withText = new GlideChatMessage("8F0C", 0, 3, "1001", "1002", 1, Text, 1720000000123);
        using var expected = new PooledBufferWriter();
        GlideEncoder.Send(expected, GlideActions.Chat, 7, "1002", "ticket", withText, "bridgeOrigin", "0123456789abcdef");

        using var frame = new PooledBufferWriter();
        GlideEncoder.Send(frame, GlideActions.Chat, 7, "1002", "ticket", withText with { Content = null }, OutboundText.PlainOf(Utf8Body(Text)), "bridgeOrigin", "0123456789abcdef");

        Assert.Equal(expected.WrittenSpan.ToArray(), frame.WrittenSpan.ToArray());
    }

    [Fact]
    public void Protobuf_im_keeps_a_pushed_text_as_utf8_and_reads_invalid_utf8_and_media_as_before()
    {
        static MessagePosted Posted(int type, byte[] content)
        {
            var message = new PushMessage { MessageId = "m-1", ClientMsgId = "c-1", ConversationId = "group_3001", SenderId = "u1", GroupId = "3001", MessageType = type, Content = ByteString.CopyFrom(content), Seq = 5 };
            ReadOnlyMemory<byte> frame = ImCodec.Encode(CommandType.CmdPushMsg, 77, message, 1795308569090);
            Assert.True(ImCodec.TryDecode(frame, 1 << 20, out var envelope, out _));
            Assert.True(ImPushDecoder.TryDecode(envelope.Body.Span, null, out var push, out _));
            Assert.Equal(ImPush.From(message), push);
            return ImMessageMapper.ToPosted("pbim", push, "bridge", DateTimeOffset.UnixEpoch);
        }

        var text = Posted(ImMessageMapper.TextType, Encoding.UTF8.GetBytes(Text)).Body;
        Assert.True(text.TryGetUtf8Text(out var utf8));
        Assert.Equal(Encoding.UTF8.GetBytes(Text), utf8.ToArray());

        var invalid = Posted(ImMessageMapper.TextType, [.. "a"u8, 0xC3, 0x28]).Body;
        Assert.False(invalid.TryGetUtf8Text(out _));
        Assert.Equal("a\uFFFD(", invalid.Text);

        var image = Posted(ImMessageMapper.ImageType, Encoding.UTF8.GetBytes("http://x/y.png")).Body;
        Assert.Equal((BodyKind.Image, "http://x/y.png"), (image.Kind, image.Url));
        Assert.Equal(ImContent.From(Encoding.UTF8.GetBytes("é")), ImContent.From(Encoding.UTF8.GetBytes("é")));
        Assert.NotEqual(ImContent.From(Encoding.UTF8.GetBytes("é")), ImContent.From(Encoding.UTF8.GetBytes("e")));
    }

    [Fact]
    public void No_outbound_text_is_not_utf8_and_is_empty()
    {
        OutboundText none = default;
        Assert.False(none.IsUtf8);
        Assert.Equal((0, string.Empty), (none.ByteCount, none.ToString()));
    }

    private static byte[] Frame(ImSendRequest request)
    {
        var bytes = new byte[request.CalculateSize()];
        request.WriteTo(bytes);
        return bytes;
    }
}
