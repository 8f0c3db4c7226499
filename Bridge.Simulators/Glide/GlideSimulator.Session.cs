using System.Net.WebSockets;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Glide;
using Bridge.Simulators.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Bridge.Simulators.Glide;

/// <summary>The WebSocket side: hello, the read and write loops, heartbeats, authenticate.</summary>
public sealed partial class GlideSimulator
{
    private void MapRoutes(IEndpointRouteBuilder routes)
    {
        SimulatorServer.MapWebSocket(routes, "/ws", RunSocketAsync);
        MapApi(routes);
    }

    private async Task RunSocketAsync(HttpContext context, WebSocket socket)
    {
        var client = new GlideSimClient(NewTempId(), socket, _options.SendQueueCapacity, _time);
        lock (_gate)
        {
            RegisterLocked(client, client.Id, null);
        }

        using var abort = CancellationTokenSource.CreateLinkedTokenSource(client.Cts.Token, context.RequestAborted);
        var writer = WriteLoopAsync(client, abort.Token);
        try
        {
            client.Deliver(Frame(b => GlideEncoder.Hello(b, client.Id, (long)Math.Max(1, _options.HeartbeatInterval.TotalSeconds))));
            while (!abort.IsCancellationRequested)
            {
                while (client.Stalled)
                {
                    await Task.Delay(10, abort.Token).ConfigureAwait(false);
                }

                var message = await WebSocketIo.ReadMessageAsync(socket, _options.MaxFrameBytes, abort.Token).ConfigureAwait(false);
                if (message is null)
                {
                    break;
                }

                while (client.Stalled)
                {
                    await Task.Delay(10, abort.Token).ConfigureAwait(false);
                }

                Handle(client, message.Value.Data);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // Dropped, stopped, or the client went away.
        }
        finally
        {
            Unregister(client);
            client.Outbox!.Writer.TryComplete();
            client.Abort();
            await writer.ConfigureAwait(false);
        }
    }

    private async Task WriteLoopAsync(GlideSimClient client, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var frame in client.Outbox!.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                while (client.Stalled)
                {
                    await Task.Delay(10, cancellationToken).ConfigureAwait(false);
                }

                await client.Socket!.SendAsync(frame, WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            client.Abort();
        }
    }

    /// <summary>The timing wheel: server heartbeats after a write-idle period, lost counting and the silence drop.</summary>
    private CancellationTokenSource StartTicker()
    {
        var cts = new CancellationTokenSource();
        _ = Task.Run(async () =>
        {
            try
            {
                while (!cts.IsCancellationRequested)
                {
                    await Task.Delay(_options.Tick, _time, cts.Token).ConfigureAwait(false);
                    Tick();
                }
            }
            catch (OperationCanceledException)
            {
                // Disposed.
            }
        });
        return cts;
    }

    private void Tick()
    {
        var interval = _options.HeartbeatInterval;
        foreach (var client in _clients.Values)
        {
            if (client.IsVirtual)
            {
                continue;
            }

            if (_time.GetElapsedTime(client.TimerStart) >= interval)
            {
                client.TimerStart = _time.GetTimestamp();
                client.Lost++;
                if (client.Lost > _options.HeartbeatLostLimit)
                {
                    client.Abort();
                    continue;
                }

                client.Deliver(ServerHeartbeat);
            }
            else if (_time.GetElapsedTime(client.LastWrite) >= interval)
            {
                client.Deliver(ServerHeartbeat);
            }
        }
    }

    private static readonly byte[] ServerHeartbeat = "{\"ver\":1,\"action\":\"heartbeat\",\"data\":null}"u8.ToArray();

    /// <summary>One frame from a client: decode (errors answered, connection kept), then route by action.</summary>
    private void Handle(GlideSimClient client, byte[] frame)
    {
        try
        {
            Route(client, frame);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The real server recovers handler panics and answers like any handler error.
            client.Deliver(Notify(HandlerErrorSeq, GlideActions.NotifyError, ex.Message));
        }
    }

    private void Route(GlideSimClient client, byte[] frame)
    {
        GlideEnvelope envelope;
        try
        {
            envelope = GlideDecoder.DecodeEnvelope(frame, int.MaxValue);
        }
        catch (GlideDecodeException ex)
        {
            Interlocked.Increment(ref _decodeErrors);
            client.Deliver(Notify(0, GlideActions.NotifyError, "message decode error: " + ex.Message));
            return;
        }

        client.FrameRead();
        var from = client.Id;
        switch (envelope.Action)
        {
            case GlideActions.Heartbeat:
            case GlideActions.AckOffline:
            case GlideActions.AckGroupMessage:
            case GlideActions.GroupMembers:
            case GlideActions.StateSubscribe:
            case "internal.online":
            case "internal.offline":
                break;
            case GlideActions.Hello:
                if (envelope.DataKind != GlideDataKind.Object)
                {
                    client.Deliver(Notify(envelope.Seq, GlideActions.NotifyError, "invalid handleHello message"));
                }

                break;
            case GlideActions.Authenticate:
                Authenticate(client, envelope, frame);
                break;
            case GlideActions.Chat:
                Chat(client, from, envelope, frame);
                break;
            case GlideActions.Group:
                Group(client, from, envelope, frame);
                break;
            case GlideActions.AckRequest:
                AckRequest(envelope, frame);
                break;
            case GlideActions.Cli:
                if (envelope.To is { } to && _clients.TryGetValue(to, out var target))
                {
                    target.Deliver(Frame(b => GlideEncoder.Raw(b, envelope.Seq, GlideActions.Cli, from, to, envelope.Data(frame))));
                }

                break;
            default:
                client.Deliver(Notify(envelope.Seq, GlideActions.NotifyUnknownAction, envelope.Action));
                break;
        }
    }

    /// <summary>authenticate (3.2): decrypt, expiry, one connection per uid (the old one is kicked, kept as tmp@).</summary>
    private void Authenticate(GlideSimClient client, in GlideEnvelope envelope, byte[] frame)
    {
        string? credential = null;
        if (envelope.DataKind == GlideDataKind.Object)
        {
            try
            {
                credential = GlideDecoder.ReadAuthenticate(envelope.Data(frame)).Credential;
            }
            catch (GlideDecodeException)
            {
                credential = null;
            }
        }

        switch (GlideCredentials.TryOpen(_options.Secret, credential, out var claims))
        {
            case GlideCredentialCheck.MalformedLength:
                client.Abort();
                return;
            case GlideCredentialCheck.Invalid:
                client.Deliver(Notify(envelope.Seq, GlideActions.NotifyError, "invalid authenticate message"));
                return;
        }

        if (_time.GetUtcNow().ToUnixTimeMilliseconds() - claims!.TimestampMs > (long)_options.CredentialLifetime.TotalMilliseconds)
        {
            client.Deliver(Notify(envelope.Seq, GlideActions.NotifyError, "credential expired"));
            return;
        }

        var uid = claims.UserId;
        lock (_gate)
        {
            if (client.Id != uid && _clients.TryGetValue(uid, out var old) && !ReferenceEquals(old, client))
            {
                old.Deliver(Frame(b => GlideEncoder.KickOut(b, claims.DeviceId, claims.DeviceName)));
                old.Credentials = null;
                RegisterLocked(old, NewTempId(), uid);
            }

            RegisterLocked(client, uid, client.Id);
            client.Credentials = claims;
            client.DeliverSecret = claims.MessageDeliverSecret;
        }

        if (_options.WorldChannel)
        {
            Subscribe(WorldChannelId, uid);
        }

        client.Deliver(Notify(envelope.Seq, GlideActions.NotifySuccess, null));
    }

    private static byte[] Notify(long seq, string action, string? text) => Frame(b => GlideEncoder.Notify(b, seq, action, text));

    private static byte[] Frame(Action<PooledBufferWriter> write)
    {
        using var buffer = new PooledBufferWriter(512);
        write(buffer);
        return buffer.ToArray();
    }
}
