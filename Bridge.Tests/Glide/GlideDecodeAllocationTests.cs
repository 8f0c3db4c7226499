using System.Text;
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
    public void Decoding_a_chat_push_allocates_only_the_text(string action, int chars)
    {
        var text = Allocations.Text(chars);
        var expected = new GlideChatMessage(CliMid, 90211, 17, "u_4711", "u_bridge", 1, text, 1795308569081);
        using var buffer = new PooledBufferWriter(512);
        GlideEncoder.Push(buffer, action, 0, action == GlideActions.Group ? "u_4711" : null, "u_bridge", expected, null, default);
        var frame = buffer.ToArray();
        var cache = new Utf8StringCache();
        GlideChatMessage chat = default;
        Range cliMidAt = default;
        var dataStart = 0;
        string? origin = "unset";

        var allocated = Allocations.Of(() =>
        {
            var envelope = GlideDecoder.DecodeEnvelope(frame, GlideDecoder.DefaultMaxFrameBytes, cache);
            chat = GlideDecoder.ReadChat(envelope.Data(frame), cache, out cliMidAt);
            dataStart = envelope.DataStart;
            origin = envelope.HasExtra ? GlideDecoder.ReadExtraValue(envelope.Extra(frame), "bridgeOrigin"u8) : null;
        });

        // The cliMid is not a string of its own: its bytes are located, and the inbound path builds
        // the message's native id (sender:cliMid) from them in one allocation.
        Assert.Equal(expected with { CliMid = null }, chat);
        Assert.Equal(CliMid, Encoding.UTF8.GetString(frame.AsSpan(dataStart)[cliMidAt]));
        Assert.Null(origin);
        var bound = Allocations.StringBytes(chars);
        Assert.True(allocated <= bound, $"decoding allocated {allocated} B; the text alone is {bound} B");
    }

    [Theory]
    [InlineData(true, "c1b2a3d4-0001")]
    [InlineData(false, null)]
    public void The_ack_of_a_push_carries_the_cli_mid_read_back_from_its_native_id(bool hasCliMid, string? cliMid)
    {
        var push = new GlidePush(null, true, "u_4711", hasCliMid, 90211, 17, hasCliMid ? $"u_4711:{cliMid}" : "u_4711:mid-90211-17");
        using var buffer = new PooledBufferWriter(512);
        GlideEncoder.AckRequest(buffer, push.Sender, push.CliMid, push.Mid, push.Seq);
        var frame = buffer.ToArray();
        var envelope = GlideDecoder.DecodeEnvelope(frame, GlideDecoder.DefaultMaxFrameBytes);
        var ack = GlideDecoder.ReadAck(envelope.Data(frame));
        Assert.Equal((cliMid, 90211L, 17L, "u_4711"), (ack.CliMid, ack.Mid, ack.Seq, ack.From));
    }

    [Fact]
    public void An_escaped_cli_mid_is_decoded_as_a_string_instead()
    {
        var frame = Encoding.UTF8.GetBytes("""{"cliMid":"c\u0031d","mid":1,"seq":2,"from":"u1","to":"u2","type":1,"content":"hi","sendAt":3}""");
        var chat = GlideDecoder.ReadChat(frame, new Utf8StringCache(), out var cliMidAt);
        Assert.Equal("c1d", chat.CliMid);
        Assert.True(frame.AsSpan()[cliMidAt].IsEmpty);
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
