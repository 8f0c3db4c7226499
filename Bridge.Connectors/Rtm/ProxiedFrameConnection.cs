using System.Buffers;
using Bridge.Connectors.Rtm.Fpnn;
using Bridge.Connectors.Rtm.MsgPack;
using Bridge.Connectors.Transport;

namespace Bridge.Connectors.Rtm;

/// <summary>
/// A connection to an RTM <c>proxyEndpoint</c>: every outgoing packet goes out wrapped as
/// <c>msgpack({endpoint:"host:port", data:bin})</c>; incoming data is raw FPNN.
/// </summary>
public sealed class ProxiedFrameConnection(IFrameConnection inner, string targetEndpoint) : IFrameConnection
{
    public string Description => $"{inner.Description} (proxy to {targetEndpoint})";

    public long LastReceivedTimestamp => inner.LastReceivedTimestamp;

    public static byte[] Wrap(string targetEndpoint, ReadOnlySpan<byte> packet)
    {
        var buffer = new ArrayBufferWriter<byte>(packet.Length + 64);
        var writer = new MsgPackWriter(buffer);
        writer.WriteMapHeader(2);
        writer.WriteString("endpoint"u8);
        writer.WriteString(targetEndpoint);
        writer.WriteString("data"u8);
        writer.WriteBinary(packet);
        return buffer.WrittenSpan.ToArray();
    }

    public ValueTask SendAsync(ReadOnlyMemory<byte> payload, FrameKind kind, CancellationToken cancellationToken) =>
        inner.SendAsync(Wrap(targetEndpoint, payload.Span), kind, cancellationToken);

    public ValueTask<ReceivedFrame> ReceiveAsync(CancellationToken cancellationToken) => inner.ReceiveAsync(cancellationToken);

    public Task CloseAsync(string reason, CancellationToken cancellationToken) => inner.CloseAsync(reason, cancellationToken);

    public void Abort() => inner.Abort();

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
