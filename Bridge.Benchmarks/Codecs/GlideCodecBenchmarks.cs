using BenchmarkDotNet.Attributes;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Glide;

namespace Bridge.Benchmarks.Codecs;

/// <summary>
/// Glide (JSON envelopes). Decode: a <c>message.chat</c> push through the envelope and its
/// ChatMessage data (and the <c>bridgeOrigin</c> lookup in <c>extra</c> the inbound path does),
/// with the connector's string cache, the cliMid located rather than copied, as the inbound path reads it.
/// Encode: the <c>message.group</c> send the connector writes, origin marker in <c>extra</c>.
/// </summary>
public class GlideCodecBenchmarks : CodecBenchmark
{
    private const string OriginKey = "bridgeOrigin";
    private byte[] _push = [];
    private GlideChatMessage _send = new(null, 0, 0, null, null, 0, null, 0);
    private readonly Utf8StringCache _strings = new();

    [GlobalSetup]
    public void Setup()
    {
        CreateText();
        using var frame = new PooledBufferWriter(512);
        var chat = new GlideChatMessage("c1b2a3d4-0001", 90211, 17, "u_4711", "u_bridge", 1, Text, 1795308569081);
        GlideEncoder.Push(frame, GlideActions.Chat, 0, null, "u_bridge", chat, null, default);
        _push = frame.ToArray();
        _send = new GlideChatMessage("6f1c2b1e8d2a4c559a6e1f3b2a4c5d6e", 0, 3, "u_bridge", "room_lobby", 1, Text, 1795308569081);
    }

    [Benchmark]
    public int EncodeSend()
    {
        using var frame = new PooledBufferWriter(512);
        GlideEncoder.Send(frame, GlideActions.Group, 42, "room_lobby", null, _send, OriginKey, "6f1c2b1e-8d2a-4c55-9a6e-1f3b2a4c5d6e");
        return frame.WrittenCount;
    }

    [Benchmark]
    public GlideChatMessage DecodePush()
    {
        var envelope = GlideDecoder.DecodeEnvelope(_push, GlideDecoder.DefaultMaxFrameBytes, _strings);
        var chat = GlideDecoder.ReadChat(envelope.Data(_push), _strings, out _);
        _ = envelope.HasExtra ? GlideDecoder.ReadExtraValue(envelope.Extra(_push), "bridgeOrigin"u8) : null;
        return chat;
    }
}
