using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Bridge.Connectors.ErlangGateway;

namespace Bridge.Simulators.ErlangGateway;

/// <summary>
/// The gateway's TCP interface (real port 19095): long-lived connections, every message
/// <c>[4-byte big-endian length][body]</c>; PUBLISH (client layout, no CONNECT) is routed as from
/// uid 0 and answered with PUB_ACK; anything else gets INVALID_PACKET.
/// </summary>
internal sealed class ErlangTcpInterface(ErlangGatewaySimulator simulator, int port, IPAddress address)
{
    private readonly List<Socket> _connections = [];
    private TcpListener? _listener;
    private CancellationTokenSource? _stop;

    public int Port { get; private set; } = port;

    public void Start()
    {
        if (_listener is not null)
        {
            return;
        }

        var listener = new TcpListener(address, Port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _listener = listener;
        _stop = new CancellationTokenSource();
        _ = AcceptAsync(listener, _stop.Token);
    }

    public void Stop()
    {
        _stop?.Cancel();
        _listener?.Stop();
        _listener = null;
        lock (_connections)
        {
            foreach (var socket in _connections)
            {
                socket.Close(0);
            }

            _connections.Clear();
        }

        _stop?.Dispose();
        _stop = null;
    }

    private async Task AcceptAsync(TcpListener listener, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            socket.NoDelay = true;
            lock (_connections)
            {
                _connections.Add(socket);
            }

            _ = ServeAsync(socket, cancellationToken);
        }
    }

    private async Task ServeAsync(Socket socket, CancellationToken cancellationToken)
    {
        var header = new byte[4];
        try
        {
            await using var stream = new NetworkStream(socket, ownsSocket: true);
            while (!cancellationToken.IsCancellationRequested)
            {
                await stream.ReadExactlyAsync(header, cancellationToken).ConfigureAwait(false);
                var bigEndian = simulator.Options.TcpLengthBigEndian;
                var length = bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(header) : BinaryPrimitives.ReadUInt32LittleEndian(header);
                if (length > (uint)simulator.Options.MaxPacketBytes)
                {
                    return;
                }

                var body = new byte[length];
                await stream.ReadExactlyAsync(body, cancellationToken).ConfigureAwait(false);
                var reply = await HandleAsync(body).ConfigureAwait(false);
                var frame = new byte[4 + reply.Length];
                if (bigEndian)
                {
                    BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)reply.Length);
                }
                else
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)reply.Length);
                }

                reply.CopyTo(frame, 4);
                await stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException or ObjectDisposedException or EndOfStreamException)
        {
            // Client gone or server stopped.
        }
        finally
        {
            lock (_connections)
            {
                _connections.Remove(socket);
            }
        }
    }

    private async Task<byte[]> HandleAsync(byte[] body)
    {
        if (ErlangCodec.TryDecode(body, PacketSource.Client, out var packet) is not null || packet.Command != ErlangCommand.Publish)
        {
            return ErlangCodec.Bare(ErlangCommand.InvalidPacket);
        }

        var msgId = packet.MsgId;
        await simulator.RouteAsync(0, ErlangCommand.Publish, packet.TargetId, [], msgId, packet.Payload.ToArray()).ConfigureAwait(false);
        return ErlangCodec.Ack(ErlangCommand.PubAck, msgId);
    }
}
