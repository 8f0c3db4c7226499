using Bridge.Connectors.Rtm;
using Bridge.Connectors.Rtm.Fpnn;
using Bridge.Tests.Infrastructure;

namespace Bridge.Tests.Rtm;

/// <summary>
/// Decoding a chat push (FPNN packet, then the msgpack map to <see cref="RtmPush"/>, a value)
/// allocates the message text and nothing else: ids and times are numbers, attrs is empty.
/// </summary>
public class RtmDecodeAllocationTests
{
    [Theory]
    [InlineData("pushroommsg", "rid", 100)]
    [InlineData("pushroommsg", "rid", 4096)]
    [InlineData("pushmsg", "to", 100)]
    [InlineData("pushgroupmsg", "gid", 100)]
    public void Decoding_a_chat_push_allocates_only_the_text(string method, string targetKey, int chars)
    {
        var text = Allocations.Text(chars);
        using var writer = FpnnPacketWriter.Quest(method, 41);
        var w = writer.Payload;
        w.WriteMapHeader(7);
        w.WriteString("from");
        w.WriteInt64(123789);
        w.WriteString(targetKey);
        w.WriteInt64(7001);
        w.WriteString("mid");
        w.WriteInt64(1795308569080001);
        w.WriteString("mtype");
        w.WriteInt64(RtmMtypes.Chat);
        w.WriteString("msg");
        w.WriteString(text);
        w.WriteString("attrs");
        w.WriteString(string.Empty);
        w.WriteString("mtime");
        w.WriteInt64(1795308569081);
        var frame = writer.ToArray();
        RtmPush push = default;

        var allocated = Allocations.Of(() =>
        {
            FpnnDecoder.TryDecode(frame, FpnnDecoder.DefaultMaxPayloadBytes, out var packet, out _, out _);
            RtmPushDecoder.TryDecode(RtmPushDecoder.TypeOf(packet.Method)!.Value, packet.Payload, out push, out _);
        });

        Assert.Equal((123789L, 7001L, 1795308569080001L, text), (push.From, push.Target, push.Mid, push.Msg));
        Assert.True(allocated <= Allocations.StringBytes(chars), $"decoding allocated {allocated} B; the text is {Allocations.StringBytes(chars)} B");
    }
}
