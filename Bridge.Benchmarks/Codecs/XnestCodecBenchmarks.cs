using System.Text;
using BenchmarkDotNet.Attributes;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Xnest;

namespace Bridge.Benchmarks.Codecs;

/// <summary>
/// xnest (JSON text frames). Decode: a <c>normal</c> room message through <see cref="XnestCodec"/>
/// (with the room's string cache) to the <see cref="XnestFrame"/> the room connection turns into an event. Encode: what the
/// connector writes for a room post (the neutralized text as one UTF-8 text frame).
/// </summary>
public class XnestCodecBenchmarks : CodecBenchmark
{
    private readonly Utf8StringCache _strings = new(128);
    private byte[] _push = [];

    [GlobalSetup]
    public void Setup()
    {
        CreateText();
        _push = XnestCodec.Encode(new XnestFrame("<0.4711.0>", "lobby", XnestFrameType.Normal, "2026-12-03 07:21:59", Text));
    }

    [Benchmark]
    public int EncodeSend() => Encoding.UTF8.GetBytes(XnestClientFrames.Neutralize(Text)).Length;

    [Benchmark]
    public XnestFrame? DecodePush()
    {
        XnestCodec.TryDecode(_push, out var frame, out _, XnestCodec.DefaultMaxFrameBytes, _strings);
        return frame;
    }
}
