using System.Text;
using BenchmarkDotNet.Attributes;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.ErlangGateway;
using Bridge.Contracts.V1;

namespace Bridge.Benchmarks.Codecs;

/// <summary>
/// Erlang gateway (custom binary). Decode: a GROUP_PUBLISH push through <see cref="ErlangCodec"/>,
/// its MsgId (a value) and <see cref="ErlangPayload"/> to the sender and body, in both payload
/// conventions (raw UTF-8 text, the default; the vendor's JSON envelope). Encode: the payload and
/// the GROUP_PUBLISH frame the connector writes into a pooled buffer.
/// </summary>
public class ErlangGatewayCodecBenchmarks : CodecBenchmark
{
    private static readonly Guid EventId = Guid.Parse("6f1c2b1e-8d2a-4c55-9a6e-1f3b2a4c5d6e");
    private const string SendMsgId = "6f1c2b1e8d2a4c559a6e1f3b2a4c5d6e";
    private static readonly byte[] MsgId = Encoding.ASCII.GetBytes("0f8e7d6c5b4a39281706f5e4d3c2b1a0");

    private readonly Utf8StringCache _strings = new();
    private ReadOnlyMemory<byte> _textPush;
    private ReadOnlyMemory<byte> _jsonPush;
    private MessageBody _body = MessageBody.FromText(string.Empty);

    [Params(PayloadFormat.Text, PayloadFormat.XywyJson)]
    public PayloadFormat Format { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        CreateText();
        _body = MessageBody.FromText(Text);
        _textPush = ErlangCodec.Message(ErlangCommand.GroupPublish, PacketSource.Server, 3001, MsgId, [], Encoding.UTF8.GetBytes(Text));
        _jsonPush = ErlangCodec.Message(ErlangCommand.GroupPublish, PacketSource.Server, 3001, MsgId, [], ErlangPayload.Envelope("10042", null, Text));
    }

    [Benchmark]
    public int EncodeSend()
    {
        var payload = ErlangPayload.Encode(Format, "10001", null, _body, EventId);
        var length = ErlangCodec.MessageLength(ErlangCommand.GroupPublish, PacketSource.Client, 0, payload.Length);
        var frame = System.Buffers.ArrayPool<byte>.Shared.Rent(length);
        ErlangCodec.WriteMessage(frame, ErlangCommand.GroupPublish, PacketSource.Client, 3001, Encoding.ASCII.GetBytes(SendMsgId), [], payload);
        System.Buffers.ArrayPool<byte>.Shared.Return(frame);
        return length;
    }

    [Benchmark]
    public InboundContent DecodePush()
    {
        ErlangCodec.TryDecode(Format == PayloadFormat.Text ? _textPush : _jsonPush, PacketSource.Server, out var packet);
        _ = packet.Id;
        return ErlangPayload.Decode(packet.Payload.Span, Format, _strings);
    }
}
