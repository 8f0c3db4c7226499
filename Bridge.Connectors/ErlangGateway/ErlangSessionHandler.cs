using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Transport;
using Microsoft.Extensions.Logging;

namespace Bridge.Connectors.ErlangGateway;

/// <summary>
/// One WebSocket session: CONNECT → CONNECT_ACK (0 connected; 1 duplicate → kicked; 2/3 → bad
/// credentials), then answer every PING with PING_RESP at once, hand pushes to
/// <see cref="ErlangInbound"/>, complete sends on their acks, and end the session on the server's
/// DISCONNECT (9), LOGOUT (20) or INVALID_PACKET (10). Says DISCONNECT on a clean stop.
/// </summary>
internal sealed class ErlangSessionHandler(
    string name,
    ErlangGatewayOptions options,
    ErlangInbound inbound,
    PendingRequests<string, ErlangCommand> pending,
    ILogger logger) : ISessionHandler
{
    private static readonly ReadOnlyMemory<byte> PingResp = ErlangCodec.Bare(ErlangCommand.PingResp);
    private static readonly ReadOnlyMemory<byte> Disconnect = ErlangCodec.Bare(ErlangCommand.Disconnect);

    private readonly KeyValuePair<string, object?> _tag = ConnectorDiagnostics.Tag(name);

    public async Task<SessionEnd> RunAsync(SessionContext context, CancellationToken cancellationToken)
    {
        var connection = context.Connection;
        try
        {
            var connect = ErlangCodec.Connect(options.Username, options.Password.Reveal(), options.Role, options.ClientId);
            await connection.SendAsync(connect, FrameKind.Binary, cancellationToken).ConfigureAwait(false);
            ConnectorDiagnostics.FramesSent.Add(1, _tag);
            var refused = await AwaitConnectAckAsync(connection, cancellationToken).ConfigureAwait(false);
            if (refused is not null)
            {
                return refused;
            }

            context.MarkConnected();
            context.KeepaliveSeen();
            while (true)
            {
                var end = await ReceiveOneAsync(context, cancellationToken).ConfigureAwait(false);
                if (end is not null)
                {
                    return end;
                }
            }
        }
        finally
        {
            pending.FailAll(new ConnectionLostException("the connection ended before the acknowledgement arrived"));
        }
    }

    public async Task GoodbyeAsync(IFrameConnection connection, CancellationToken cancellationToken)
    {
        await connection.SendAsync(Disconnect, FrameKind.Binary, cancellationToken).ConfigureAwait(false);
        ConnectorDiagnostics.FramesSent.Add(1, _tag);
    }

    private async Task<SessionEnd?> AwaitConnectAckAsync(IFrameConnection connection, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        try
        {
            while (true)
            {
                using var frame = await connection.ReceiveAsync(timeout.Token).ConfigureAwait(false);
                if (frame.Kind == FrameKind.Close)
                {
                    return SessionEnd.Transient($"the server closed the connection before CONNECT_ACK{CloseText(frame)}");
                }

                ConnectorDiagnostics.FramesReceived.Add(1, _tag);
                var error = ErlangCodec.TryDecode(frame.Memory, PacketSource.Server, out var packet);
                if (error is null && packet.Command == ErlangCommand.Ping)
                {
                    await connection.SendAsync(PingResp, FrameKind.Binary, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                if (error is not null || packet.Command != ErlangCommand.ConnectAck)
                {
                    ConnectorDiagnostics.Errors.Add(1, _tag);
                    return SessionEnd.Transient($"expected CONNECT_ACK, got {error ?? ErlangCodec.Name(packet.Command)}");
                }

                return MapConnectAck(packet.Code);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return SessionEnd.Transient($"no CONNECT_ACK within {options.ConnectTimeout.TotalSeconds:0.###} s");
        }
    }

    private SessionEnd? MapConnectAck(byte code)
    {
        if (code == ConnectAckCode.Accepted)
        {
            return null;
        }

        var reason = ConnectAckCode.Describe(code);
        ErlangGatewayLog.ConnectRefused(logger, name, reason);
        return code switch
        {
            ConnectAckCode.DuplicateConnection => SessionEnd.Kicked(reason),
            ConnectAckCode.InvalidVhost or ConnectAckCode.BadUsernameOrPassword => SessionEnd.BadCredentials(reason),
            _ => SessionEnd.BadCredentials(reason),
        };
    }

    private async Task<SessionEnd?> ReceiveOneAsync(SessionContext context, CancellationToken cancellationToken)
    {
        var connection = context.Connection;
        using var frame = await connection.ReceiveAsync(cancellationToken).ConfigureAwait(false);
        if (frame.Kind == FrameKind.Close)
        {
            return SessionEnd.Transient($"the server closed the connection{CloseText(frame)}");
        }

        ConnectorDiagnostics.FramesReceived.Add(1, _tag);
        if (frame.Kind == FrameKind.Text)
        {
            ConnectorDiagnostics.Errors.Add(1, _tag);
            ErlangGatewayLog.UnexpectedFrame(logger, name, "text");
            return null;
        }

        var error = ErlangCodec.TryDecode(frame.Memory, PacketSource.Server, out var packet);
        if (error is not null)
        {
            ConnectorDiagnostics.Errors.Add(1, _tag);
            ErlangGatewayLog.MalformedPacket(logger, name, error);
            return null;
        }

        switch (packet.Command)
        {
            case ErlangCommand.Ping:
                context.KeepaliveSeen();
                await connection.SendAsync(PingResp, FrameKind.Binary, cancellationToken).ConfigureAwait(false);
                ConnectorDiagnostics.FramesSent.Add(1, _tag);
                return null;
            case ErlangCommand.Publish or ErlangCommand.GroupPublish or ErlangCommand.GroupPartPublish:
                await inbound.OnPushAsync(packet, connection, cancellationToken).ConfigureAwait(false);
                return null;
            case ErlangCommand.PubAck or ErlangCommand.GroupPubAck or ErlangCommand.GroupPartPubAck:
                var msgId = packet.MsgId;
                if (!pending.TryComplete(msgId, packet.Command))
                {
                    ErlangGatewayLog.UnmatchedAck(logger, name, msgId);
                }

                return null;
            case ErlangCommand.Disconnect:
                return SessionEnd.Transient("the server sent DISCONNECT (9)");
            case ErlangCommand.Logout:
                return SessionEnd.Kicked("logged out: the same account logged in elsewhere (LOGOUT 20)");
            case ErlangCommand.InvalidPacket:
                ConnectorDiagnostics.Errors.Add(1, _tag);
                ErlangGatewayLog.InvalidPacket(logger, name);
                return SessionEnd.Transient("the server answered INVALID_PACKET (10): it rejected a packet the bridge sent");
            default:
                ConnectorDiagnostics.Errors.Add(1, _tag);
                ErlangGatewayLog.MalformedPacket(logger, name, $"unexpected {ErlangCodec.Name(packet.Command)} from the server");
                return null;
        }
    }

    private static string CloseText(ReceivedFrame frame) =>
        frame.CloseStatus is null ? string.Empty : $" (close {frame.CloseStatus}{(string.IsNullOrEmpty(frame.CloseDescription) ? string.Empty : ": " + frame.CloseDescription)})";
}
