using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Xnest;
using Bridge.Tests.Infrastructure;

namespace Bridge.Tests.Xnest;

/// <summary>
/// Decoding a room message allocates its text and nothing else: the <see cref="XnestFrame"/> is a
/// value, and the pid, room and send time repeat and come from the room's string cache.
/// </summary>
public class XnestDecodeAllocationTests
{
    [Theory]
    [InlineData(100)]
    [InlineData(4096)]
    public void Decoding_a_chat_push_allocates_only_the_text(int chars)
    {
        var text = Allocations.Text(chars);
        var expected = new XnestFrame("<0.4711.0>", "lobby", XnestFrameType.Normal, "2026-12-03 07:21:59", text);
        var bytes = XnestCodec.Encode(expected);
        var cache = new Utf8StringCache();
        XnestFrame frame = default;

        var allocated = Allocations.Of(() => XnestCodec.TryDecode(bytes, out frame, out _, XnestCodec.DefaultMaxFrameBytes, cache));

        Assert.Equal(expected, frame);
        Assert.True(allocated <= Allocations.StringBytes(chars), $"decoding allocated {allocated} B; the text alone is {Allocations.StringBytes(chars)} B");
    }

    [Fact]
    public void Without_a_cache_the_repeating_values_are_allocated_and_the_frame_is_the_same()
    {
        var bytes = XnestCodec.Encode(new XnestFrame("<0.4711.0>", "lobby", XnestFrameType.Normal, "2026-12-03 07:21:59", "hi"));
        Assert.True(XnestCodec.TryDecode(bytes, out var plain, out _));
        var cache = new Utf8StringCache();
        Assert.True(XnestCodec.TryDecode(bytes, out var first, out _, XnestCodec.DefaultMaxFrameBytes, cache));
        Assert.True(XnestCodec.TryDecode(bytes, out var second, out _, XnestCodec.DefaultMaxFrameBytes, cache));
        Assert.Equal(plain, second);
        Assert.Same(first!.From, second!.From);
        Assert.Same(first.SendTime, second.SendTime);
        Assert.NotSame(first.Text, second.Text);
    }

    [Fact]
    public void A_cached_decoder_still_rejects_invalid_utf8_in_a_repeated_value()
    {
        var cache = new Utf8StringCache();
        var good = XnestCodec.Encode(new XnestFrame("<0.1.0>", "lobby", XnestFrameType.Normal, "t", "x"));
        Assert.True(XnestCodec.TryDecode(good, out _, out _, XnestCodec.DefaultMaxFrameBytes, cache));
        byte[] bad = [.. "{\"from\":\"<0.1.0>\",\"xnest\":\"lob"u8, 0xC3, 0x28, .. "\",\"type\":\"normal\",\"payload\":\"x\",\"send_time\":\"t\"}"u8];
        Assert.False(XnestCodec.TryDecode(bad, out _, out var error, XnestCodec.DefaultMaxFrameBytes, cache));
        Assert.False(XnestCodec.TryDecode(bad, out _, out var plainError));
        Assert.Equal(plainError, error);
    }
}
