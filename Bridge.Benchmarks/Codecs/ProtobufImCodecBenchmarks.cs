using System.Buffers;
using BenchmarkDotNet.Attributes;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.ProtobufIm;
using Bridge.Connectors.ProtobufIm.Wire;
using Bridge.Contracts.V1;
using Google.Protobuf;

namespace Bridge.Benchmarks.Codecs;

/// <summary>
/// protobuf-IM (protobuf in binary WebSocket messages). Decode: a CMD_PUSH_MSG frame through
/// <see cref="ImCodec"/> (envelope) and <see cref="ImPushDecoder"/> (the PushMessage body, text
/// decoded, repeating ids from the connector's string cache) to the <see cref="ImPush"/> the
/// inbound pipeline takes. Encode: the SEND_MSG_REQ the connector builds and frames.
/// </summary>
public class ProtobufImCodecBenchmarks : CodecBenchmark
{
    private readonly Utf8StringCache _strings = new();
    private ReadOnlyMemory<byte> _push;
    private OutboundMessage _send = null!;

    [GlobalSetup]
    public void Setup()
    {
        CreateText();
        var push = new PushMessage
        {
            MessageId = "1795308569080001-4711",
            ClientMsgId = "c1b2a3d4-0001",
            ConversationId = "group_3001",
            SenderId = "u4711",
            GroupId = "3001",
            MessageType = ImMessageMapper.TextType,
            Content = ByteString.CopyFromUtf8(Text),
            SendTime = 1795308569081,
            ServerTime = 1795308569090,
            Seq = 912,
        };
        _push = ImCodec.Encode(CommandType.CmdPushMsg, 77, push, 1795308569090);
        _send = new OutboundMessage(
            new EndpointRef("im", EndpointKind.Group, "3001"),
            MessageBody.FromText(Text),
            "6f1c2b1e8d2a4c559a6e1f3b2a4c5d6e",
            new Participant("rtm", "123789"),
            Guid.Parse("6f1c2b1e-8d2a-4c55-9a6e-1f3b2a4c5d6e"));
    }

    [Benchmark]
    public int EncodeSend()
    {
        var request = ImMessageMapper.ToSendRequest(_send, "u_bridge", 1795308569081)!.Value;
        var bodySize = request.CalculateSize();
        var size = ImCodec.FrameSize(CommandType.CmdSendMsgReq, 42, bodySize, 1795308569081);
        var frame = ArrayPool<byte>.Shared.Rent(size);
        ImCodec.WriteFrame(frame.AsSpan(0, size), CommandType.CmdSendMsgReq, 42, request, bodySize, 1795308569081);
        ArrayPool<byte>.Shared.Return(frame);
        return size;
    }

    [Benchmark]
    public ImPush DecodePush()
    {
        ImCodec.TryDecode(_push, 1 << 20, out var envelope, out _);
        ImPushDecoder.TryDecode(envelope.Body.Span, _strings, out var push, out _);
        return push;
    }
}
