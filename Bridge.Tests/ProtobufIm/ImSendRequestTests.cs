using Bridge.Connectors.Abstractions;
using Bridge.Connectors.ProtobufIm;
using Bridge.Connectors.ProtobufIm.Wire;
using Bridge.Tests.Infrastructure;

namespace Bridge.Tests.ProtobufIm;

/// <summary>
/// The SEND_MSG_REQ the connector writes by hand is byte for byte the frame the generated code
/// writes for the same request, and writing it into a buffer allocates nothing at any text size.
/// </summary>
public class ImSendRequestTests
{
    [Fact]
    public void Random_send_frames_are_the_bytes_the_generated_code_writes()
    {
        var random = new Random(4711);
        for (var i = 0; i < 3_000; i++)
        {
            var request = RandomRequest(random, i % 100 == 0 ? random.Next(16_000, 70_000) : random.Next(0, 300));
            var sequence = random.Next(4) == 0 ? 0u : (uint)random.NextInt64(1, uint.MaxValue);
            var timestamp = random.Next(4) == 0 ? 0 : random.NextInt64(-1, long.MaxValue);

            var expected = ImCodec.Encode(CommandType.CmdSendMsgReq, sequence, request.ToMessage(), timestamp);
            var frame = Write(request, sequence, timestamp);

            Assert.Equal(expected, frame);
            Assert.True(ImCodec.TryDecode(frame, int.MaxValue, out var envelope, out var error), error);
            Assert.True(ImCodec.TryParse(SendMessageRequest.Parser, envelope.Body, out var parsed, out error), error);
            Assert.Equal(request.Content, parsed.Content.ToStringUtf8());
            Assert.Equal(request.ContentBytes, parsed.Content.Length);
            Assert.Equal(request.Origin, parsed.Extra[OriginMarker.Key]);
        }
    }

    [Fact]
    public void A_lone_surrogate_in_the_text_goes_out_as_U_FFFD_as_before()
    {
        var request = new ImSendRequest("k", "single_a_b", "b", "a", string.Empty, 1, "x\uD800y", 5, "origin");
        Assert.Equal(5, request.ContentBytes);

        Assert.True(ImCodec.TryDecode(Write(request, 9, 1), int.MaxValue, out var envelope, out _));
        Assert.True(ImCodec.TryParse(SendMessageRequest.Parser, envelope.Body, out var parsed, out _));
        Assert.Equal("x\uFFFDy", parsed.Content.ToStringUtf8());
    }

    [Theory]
    [InlineData(100)]
    [InlineData(61_440)]
    public void Writing_a_send_frame_into_a_buffer_allocates_nothing(int chars)
    {
        var request = new ImSendRequest("6f1c2b1e8d2a4c559a6e1f3b2a4c5d6e", "group_3001", "u_bridge", string.Empty, "3001", 1, Allocations.Text(chars), 1795308569081, "bridge-origin-6f1c2b1e");
        var buffer = new byte[chars + 1024];

        var allocated = Allocations.Of(() =>
        {
            var bodySize = request.CalculateSize();
            var size = ImCodec.FrameSize(CommandType.CmdSendMsgReq, 42, bodySize, 1795308569081);
            ImCodec.WriteFrame(buffer.AsSpan(0, size), CommandType.CmdSendMsgReq, 42, request, bodySize, 1795308569081);
        });

        Assert.Equal(0, allocated);
    }

    private static byte[] Write(ImSendRequest request, uint sequence, long timestamp)
    {
        var bodySize = request.CalculateSize();
        var frame = new byte[ImCodec.FrameSize(CommandType.CmdSendMsgReq, sequence, bodySize, timestamp)];
        ImCodec.WriteFrame(frame, CommandType.CmdSendMsgReq, sequence, request, bodySize, timestamp);
        return frame;
    }

    private static ImSendRequest RandomRequest(Random random, int textLength)
    {
        string Maybe(int length) => random.Next(3) == 0 ? string.Empty : ProtobufImCodecTests.RandomText(random, length);
        var messageType = random.Next(6) switch
        {
            0 => 0,
            1 => -random.Next(1, 1000),
            _ => random.Next(1, 6),
        };
        var sendTime = random.Next(5) switch
        {
            0 => 0,
            1 => -random.NextInt64(1, long.MaxValue),
            _ => random.NextInt64(1, 2_000_000_000_000),
        };
        return new ImSendRequest(Maybe(32), Maybe(20), Maybe(8), Maybe(8), Maybe(6), messageType,
            ProtobufImCodecTests.RandomText(random, textLength), sendTime, ProtobufImCodecTests.RandomText(random, random.Next(1, 40)));
    }
}
