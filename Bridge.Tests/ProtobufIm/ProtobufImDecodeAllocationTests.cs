using Bridge.Connectors.Abstractions;
using Bridge.Connectors.ProtobufIm;
using Bridge.Connectors.ProtobufIm.Wire;
using Bridge.Tests.Infrastructure;
using Google.Protobuf;

namespace Bridge.Tests.ProtobufIm;

/// <summary>
/// A live push decodes from the frame straight into <see cref="ImPush"/>: the text is the only
/// allocation; the message's own ids (message_id, client_msg_id: unique per message) are values,
/// the repeating ids come from the connector's string cache, and there is no PushMessage, content
/// copy or map. The decoder reads exactly what the generated parser reads.
/// </summary>
public class ProtobufImDecodeAllocationTests
{
    private const string MessageId = "1795308569080001";
    private const string ClientMsgId = "9d1c4a8e-3b7f-4e21-a0c5-6f2d8b9e1a43";

    [Theory]
    [InlineData(100)]
    [InlineData(4096)]
    public void Decoding_a_chat_push_allocates_only_the_text(int chars)
    {
        var text = Allocations.Text(chars);
        var message = new PushMessage
        {
            MessageId = MessageId, ClientMsgId = ClientMsgId, ConversationId = "group_3001", SenderId = "u4711", GroupId = "3001",
            MessageType = ImMessageMapper.TextType, Content = ByteString.CopyFromUtf8(text), SendTime = 1795308569081, ServerTime = 1795308569090, Seq = 912,
        };
        ReadOnlyMemory<byte> frame = ImCodec.Encode(CommandType.CmdPushMsg, 77, message, 1795308569090);
        var cache = new Utf8StringCache();
        ImPush push = default;

        var allocated = Allocations.Of(() =>
        {
            ImCodec.TryDecode(frame, 1 << 20, out var envelope, out _);
            ImPushDecoder.TryDecode(envelope.Body.Span, cache, out push, out _);
        });

        Assert.Equal(ImPush.From(message), push);
        Assert.Equal(MessageId, push.MessageId.ToString());
        Assert.Equal(ClientMsgId, push.ClientMsgId.ToString());
        var bound = Allocations.StringBytes(chars);
        Assert.True(allocated <= bound, $"decoding allocated {allocated} B; the text is {bound} B");
    }

    [Fact]
    public void Random_and_mutated_pushes_decode_exactly_as_the_generated_parser_reads_them()
    {
        var random = new Random(4711);
        var cache = new Utf8StringCache(8);
        int agreed = 0, bothFailed = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var message = ProtobufImCodecTests.RandomPush(random);
            if (random.Next(5) == 0)
            {
                message.Extra["other"] = "x";
            }

            var body = message.ToByteArray();
            if (i % 2 == 1 && body.Length > 0)
            {
                for (var m = random.Next(1, 4); m > 0; m--)
                {
                    body[random.Next(body.Length)] = (byte)random.Next(256);
                }

                if (random.Next(3) == 0)
                {
                    body = body[..random.Next(body.Length)];
                }
            }

            var ours = ImPushDecoder.TryDecode(body, cache, out var push, out var error);
            PushMessage? parsed;
            try
            {
                parsed = PushMessage.Parser.ParseFrom(body);
            }
            catch (InvalidProtocolBufferException)
            {
                parsed = null;
            }

            if (parsed is null)
            {
                Assert.False(ours, $"the generated parser refused body {i} ({Convert.ToHexString(body)}) but the decoder read it");
                Assert.StartsWith("malformed PushMessage: ", error, StringComparison.Ordinal);
                bothFailed++;
                continue;
            }

            Assert.True(ours, $"body {i} ({Convert.ToHexString(body)}): {error}");
            Assert.Equal(ImPush.From(parsed), push);
            agreed++;
        }

        Assert.True(agreed > 10_000 && bothFailed > 100, $"agreed {agreed}, both failed {bothFailed}");
    }
}
