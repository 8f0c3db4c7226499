using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;
using Bridge.Connectors.ErlangGateway;
using Bridge.Simulators.Hosting;
using Microsoft.AspNetCore.Http;

namespace Bridge.Simulators.ErlangGateway;

public sealed partial class ErlangGatewaySimulator
{
    private static readonly HttpClient UserCentreClient = new() { Timeout = TimeSpan.FromSeconds(5) };

    /// <summary>One WebSocket client from CONNECT to close.</summary>
    private async Task RunConnectionAsync(HttpContext context, WebSocket socket)
    {
        using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        var user = await AcceptConnectAsync(socket, lifetime.Token).ConfigureAwait(false);
        if (user is null)
        {
            return;
        }

        var (account, clientId) = user.Value;
        var session = new SimulatedSession(socket, account, clientId, Options, lifetime.Token);
        if (!await ResolveDuplicateAsync(session).ConfigureAwait(false))
        {
            await RefuseAsync(socket, ConnectAckCode.DuplicateConnection, account.Username).ConfigureAwait(false);
            return;
        }

        Interlocked.Increment(ref _logins);
        var timers = Task.CompletedTask;
        var flush = Task.CompletedTask;
        try
        {
            await session.SendAsync(ErlangCodec.ConnectAck(ConnectAckCode.Accepted)).ConfigureAwait(false);
            timers = session.RunTimersAsync();
            // Queued pushes go out while acks are read, so a long queue cannot wedge both sides.
            flush = FlushOfflineAsync(session);
            await ReadPacketsAsync(socket, session).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The client went away.
        }
        finally
        {
            session.Abort(session.CloseReason ?? "connection ended");
            await flush.ConfigureAwait(false);
            Unregister(session);
            await timers.ConfigureAwait(false);
            Interlocked.Add(ref _closedResends, session.Resends);
        }
    }

    /// <summary>The first packet must be CONNECT; answers CONNECT_ACK 3 (and closes) on bad credentials.</summary>
    private async Task<(SimulatedUser User, byte? ClientId)?> AcceptConnectAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Options.ConnectTimeout);
        var first = await WebSocketIo.ReadMessageAsync(socket, Options.MaxPacketBytes, timeout.Token).ConfigureAwait(false);
        if (first is not { Type: WebSocketMessageType.Binary } message
            || ErlangCodec.TryDecode(message.Data, PacketSource.Client, out var packet) is not null
            || packet.Command != ErlangCommand.Connect)
        {
            _connectRefusals.Enqueue("first packet was not CONNECT: connection closed");
            await CloseQuietlyAsync(socket, "first packet must be CONNECT").ConfigureAwait(false);
            return null;
        }

        var connect = packet.Connect!;
        var user = await AuthenticateAsync(connect.Username, connect.Password, cancellationToken).ConfigureAwait(false);
        if (user is null)
        {
            await RefuseAsync(socket, ConnectAckCode.BadUsernameOrPassword, connect.Username).ConfigureAwait(false);
            return null;
        }

        return (user, connect.ClientId);
    }

    private async Task<SimulatedUser?> AuthenticateAsync(string username, string password, CancellationToken cancellationToken)
    {
        if (UserCenterUrl is not { } url)
        {
            return Authenticate(username, password);
        }

        try
        {
            using var content = new FormUrlEncodedContent([new("username", username), new("password", password)]);
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
            request.Headers.Accept.ParseAdd("application/json");
            using var response = await UserCentreClient.SendAsync(request, cancellationToken).ConfigureAwait(false);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
            var root = json.RootElement;
            if (root.TryGetProperty("result", out var result) && result.ValueKind == JsonValueKind.String && result.GetString() == "pass"
                && root.TryGetProperty("uid", out var uid) && uid.TryGetUInt32(out var number))
            {
                return _users.TryGetValue(username, out var known) ? known with { Uid = number } : new SimulatedUser(username, password, number);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or InvalidOperationException or TaskCanceledException)
        {
            // An unreachable or confused user centre denies the login.
        }

        return null;
    }

    /// <summary>
    /// Duplicate login: refuse the new connection with code 1 (false), or register it and kick the
    /// old one on the same ClientId with LOGOUT (20).
    /// </summary>
    private async Task<bool> ResolveDuplicateAsync(SimulatedSession session)
    {
        var list = _sessions.GetOrAdd(session.User.Uid, _ => []);
        List<SimulatedSession> kicked;
        lock (list)
        {
            var mode = Options.DuplicateLogin == DuplicateLoginMode.Auto
                ? session.ClientId is null ? DuplicateLoginMode.RefuseNew : DuplicateLoginMode.KickOld
                : Options.DuplicateLogin;
            if (mode == DuplicateLoginMode.RefuseNew && list.Count > 0)
            {
                return false;
            }

            kicked = mode == DuplicateLoginMode.KickOld ? list.Where(s => s.ClientId == session.ClientId).ToList() : [];
            list.RemoveAll(kicked.Contains);
            list.Add(session);
        }

        foreach (var old in kicked)
        {
            try
            {
                await old.SendAsync(ErlangCodec.Bare(ErlangCommand.Logout)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
            {
                // Already gone.
            }

            await old.CloseAsync("logged out: the same account logged in elsewhere").ConfigureAwait(false);
        }

        return true;
    }

    private async Task RefuseAsync(WebSocket socket, byte code, string username)
    {
        _connectRefusals.Enqueue($"{username}: CONNECT_ACK {code}");
        try
        {
            await socket.SendAsync(ErlangCodec.ConnectAck(code), WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or IOException)
        {
            return;
        }

        await CloseQuietlyAsync(socket, $"CONNECT_ACK {code}").ConfigureAwait(false);
    }

    /// <summary>Starts the close handshake and waits (briefly) for the client's answer, so what was written before arrives.</summary>
    private static async Task CloseQuietlyAsync(WebSocket socket, string reason)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, reason, timeout.Token).ConfigureAwait(false);
            await WebSocketIo.AwaitPeerCloseAsync(socket, TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            // Gone already, or the close frame could not be sent in time.
        }

        socket.Abort();
    }

    private async Task FlushOfflineAsync(SimulatedSession session)
    {
        if (!_offline.TryGetValue(session.User.Uid, out var queue))
        {
            return;
        }

        try
        {
            while (!session.Closed.IsCancellationRequested && queue.TryDequeue(out var push))
            {
                if (!await session.PushAsync(push).ConfigureAwait(false))
                {
                    Enqueue(session.User.Uid, push);
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The connection ended; what was not acknowledged is queued again by Unregister.
        }
    }

    private void Unregister(SimulatedSession session)
    {
        if (_sessions.TryGetValue(session.User.Uid, out var list))
        {
            lock (list)
            {
                list.Remove(session);
            }
        }

        // Unacknowledged pushes of a dropped (or kicked) connection are delivered again after the next login.
        foreach (var push in session.TakeUnacknowledged())
        {
            Enqueue(session.User.Uid, push);
        }
    }

    private async Task ReadPacketsAsync(WebSocket socket, SimulatedSession session)
    {
        while (!session.Closed.IsCancellationRequested)
        {
            await session.WhileStalledAsync().ConfigureAwait(false);
            var message = await WebSocketIo.ReadMessageAsync(socket, Options.MaxPacketBytes, session.Closed).ConfigureAwait(false);
            if (message is null)
            {
                return;
            }

            ErlangPacket packet = default;
            var error = message.Value.Type == WebSocketMessageType.Binary
                ? ErlangCodec.TryDecode(message.Value.Data, PacketSource.Client, out packet)
                : "text frame (binary only)";
            if (error is not null || packet.Command is ErlangCommand.Connect or ErlangCommand.ConnectAck or ErlangCommand.Ping)
            {
                if (Options.CloseOnInvalidPacket)
                {
                    await session.CloseAsync($"invalid packet: {error}").ConfigureAwait(false);
                    return;
                }

                await session.SendAsync(ErlangCodec.Bare(ErlangCommand.InvalidPacket)).ConfigureAwait(false);
                continue;
            }

            if (!await HandlePacketAsync(session, packet).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    /// <summary>Handles one client packet; false when the client said DISCONNECT.</summary>
    private async Task<bool> HandlePacketAsync(SimulatedSession session, ErlangPacket packet)
    {
        switch (packet.Command)
        {
            case ErlangCommand.PingResp:
                Interlocked.Increment(ref _pingResponses);
                session.PingAnswered();
                return true;
            case ErlangCommand.PubAck or ErlangCommand.GroupPubAck or ErlangCommand.GroupPartPubAck:
                var acked = packet.MsgId;
                session.Acknowledge(acked);
                AddBounded(_acknowledged.GetOrAdd(session.User.Uid, _ => new()), (acked, session.Resends), Options.MaxRecordedPerUser);
                return true;
            case ErlangCommand.Publish or ErlangCommand.GroupPublish or ErlangCommand.GroupPartPublish:
                var msgId = packet.MsgId;
                var uids = packet.Command == ErlangCommand.GroupPartPublish ? packet.Uids() : [];
                await RouteAsync(session.User.Uid, packet.Command, packet.TargetId, uids, msgId, packet.Payload.ToArray()).ConfigureAwait(false);
                if (Options.NeverAckSends)
                {
                    return true;
                }

                await session.SendAsync(ErlangCodec.Ack(ErlangCodec.AckFor(packet.Command), msgId)).ConfigureAwait(false);
                return true;
            case ErlangCommand.Disconnect:
                Interlocked.Increment(ref _clientDisconnects);
                await session.CloseAsync("the client sent DISCONNECT").ConfigureAwait(false);
                return false;
            default:
                await session.SendAsync(ErlangCodec.Bare(ErlangCommand.InvalidPacket)).ConfigureAwait(false);
                return true;
        }
    }
}
