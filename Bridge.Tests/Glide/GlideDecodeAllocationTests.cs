using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Glide;
using Bridge.Tests.Infrastructure;

namespace Bridge.Tests.Glide;

/// <summary>
/// Decoding a chat push (envelope, ChatMessage, the origin lookup) allocates the text and the
/// message's own client id (its native identity, unique per message); uids come from the
/// connector's string cache and the ChatMessage is a value.
/// </summary>
public class GlideDecodeAllocationTests
{
    private const string CliMid = "c1b2a3d4-0001";

    [Theory]
    [InlineData(GlideActions.Chat, 100)]
    [InlineData(GlideActions.Chat, 4096)]
    [InlineData(GlideActions.Group, 100)]
    public void Decoding_a_chat_push_allocates_only_the_text_and_the_message_id(string action, int chars)
    {
        var text = Allocations.Text(chars);
        var expected = new GlideChatMessage(CliMid, 90211, 17, "u_4711", "u_bridge", 1, text, 1795308569081);
        using var buffer = new GlideFrameBuffer();
        GlideEncoder.Push(buffer, action, 0, action == GlideActions.Group ? "u_4711" : null, "u_bridge", expected, null, default);
        var frame = buffer.ToArray();
        var cache = new Utf8StringCache();
        GlideChatMessage chat = default;
        string? origin = "unset";

        var allocated = Allocations.Of(() =>
        {
            var envelope = GlideDecoder.DecodeEnvelope(frame, GlideDecoder.DefaultMaxFrameBytes, cache);
            chat = GlideDecoder.ReadChat(envelope.Data(frame), cache);
            origin = envelope.HasExtra ? GlideDecoder.ReadExtraValue(envelope.Extra(frame), "bridgeOrigin"u8) : null;
        });

        Assert.Equal(expected, chat);
        Assert.Null(origin);
        var bound = Allocations.StringBytes(chars) + Allocations.StringBytes(CliMid.Length);
        Assert.True(allocated <= bound, $"decoding allocated {allocated} B; text {Allocations.StringBytes(chars)} B + cliMid {Allocations.StringBytes(CliMid.Length)} B = {bound} B");
    }

    [Fact]
    public void A_cached_decoder_reports_invalid_utf8_like_an_uncached_one()
    {
        var cache = new Utf8StringCache();
        byte[] good = [.. """{"from":"u1","to":"u2","content":"x"}"""u8];
        Assert.Equal("u1", GlideDecoder.ReadChat(good, cache).From);
        byte[] bad = [.. "{\"from\":\"u"u8, 0xC3, 0x28, .. "\",\"content\":\"x\"}"u8];
        var cached = Assert.Throws<GlideDecodeException>(() => GlideDecoder.ReadChat(bad, cache));
        var plain = Assert.Throws<GlideDecodeException>(() => GlideDecoder.ReadChat(bad));
        Assert.Equal(plain.Message, cached.Message);
    }
}
