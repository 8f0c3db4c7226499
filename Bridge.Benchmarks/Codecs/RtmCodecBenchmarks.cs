using BenchmarkDotNet.Attributes;
using Bridge.Connectors.Rtm;
using Bridge.Connectors.Rtm.Fpnn;

namespace Bridge.Benchmarks.Codecs;

/// <summary>
/// RTM (FPNN + msgpack). Decode: <c>pushroommsg</c> as the gate writes it, through
/// <see cref="FpnnDecoder"/> and <see cref="RtmPushDecoder"/> to the <see cref="RtmPush"/> the session
/// normalizes. Encode: the <c>sendroommsg</c> quest the connector writes (with its origin attrs).
/// </summary>
public class RtmCodecBenchmarks : CodecBenchmark
{
    private const long Rid = 7001;
    private string _attrs = string.Empty;
    private byte[] _push = [];

    [GlobalSetup]
    public void Setup()
    {
        CreateText();
        _attrs = RtmNormalizer.OriginAttrs(Guid.Parse("6f1c2b1e-8d2a-4c55-9a6e-1f3b2a4c5d6e"));
        using var writer = FpnnPacketWriter.Quest("pushroommsg", 41);
        var w = writer.Payload;
        w.WriteMapHeader(7);
        w.WriteString("from");
        w.WriteInt64(123789);
        w.WriteString("rid");
        w.WriteInt64(Rid);
        w.WriteString("mid");
        w.WriteInt64(1795308569080001);
        w.WriteString("mtype");
        w.WriteInt64(RtmMtypes.Chat);
        w.WriteString("msg");
        w.WriteString(Text);
        w.WriteString("attrs");
        w.WriteString(string.Empty);
        w.WriteString("mtime");
        w.WriteInt64(1795308569081);
        _push = writer.ToArray();
    }

    [Benchmark]
    public int EncodeSend()
    {
        using var quest = RtmQuests.Send(42, RtmConversationType.Room, Rid, 1795308569080002, RtmMtypes.Chat, Text, _attrs);
        return quest.Complete().Length;
    }

    [Benchmark]
    public RtmPush DecodePush()
    {
        FpnnDecoder.TryDecode(_push, FpnnDecoder.DefaultMaxPayloadBytes, out var packet, out _, out _);
        RtmPushDecoder.TryDecode(RtmPushDecoder.TypeOf(packet.Method)!.Value, packet.Payload, out var push, out _);
        return push;
    }
}
