using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Transport;

namespace Bridge.Connectors.Glide;

/// <summary>
/// One Glide connection: read the server's hello, authenticate with a fresh credential (reply
/// matched on the echoed seq), then heartbeat and dispatch frames until the connection ends.
/// Authentication failures end as BadCredentials, <c>notify.kickout</c> as Kicked (not fought).
/// </summary>
internal sealed class GlideSession(GlideConnector connector) : ISessionHandler
{
    public async Task<SessionEnd> RunAsync(SessionContext context, CancellationToken cancellationToken)
    {
        var connection = context.Connection;
        var options = connector.Options;
        var hello = await AwaitHelloAsync(connection, cancellationToken).ConfigureAwait(false);
        await AuthenticateAsync(connection, cancellationToken).ConfigureAwait(false);
        context.MarkConnected();
        context.KeepaliveSeen();
        GlideLog.Authenticated(connector.Logger, connector.Name, options.Uid, hello.TempId, hello.HeartbeatIntervalSeconds);

        var interval = options.HeartbeatInterval;
        if (hello.HeartbeatIntervalSeconds > 0 && TimeSpan.FromSeconds(hello.HeartbeatIntervalSeconds) < interval)
        {
            interval = TimeSpan.FromSeconds(hello.HeartbeatIntervalSeconds);
        }

        using var sessionCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var inbound = new GlideInbound(connector, connection, sessionCts);
        var heartbeats = HeartbeatLoopAsync(connection, interval, sessionCts.Token);
        SessionEnd end;
        try
        {
            end = await ReadLoopAsync(context, inbound, sessionCts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (inbound.Fault is { } fault)
        {
            end = SessionEnd.Transient(fault);
        }
        catch (Exception ex) when (inbound.Fault is { } fault && ex is IOException or System.Net.WebSockets.WebSocketException)
        {
            end = SessionEnd.Transient(fault);
        }
        finally
        {
            await sessionCts.CancelAsync().ConfigureAwait(false);
            await heartbeats.ConfigureAwait(false);
            connector.OnSessionEnded("connection closed");
        }

        return end;
    }

    private async Task<GlideHello> AwaitHelloAsync(IFrameConnection connection, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(connector.Options.AuthTimeout);
        while (true)
        {
            ReceivedFrame frame;
            try
            {
                frame = await connection.ReceiveAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new SessionEndException(SessionEnd.Transient($"no hello from the server within {connector.Options.AuthTimeout.TotalSeconds:0.#} s"));
            }

            using (frame)
            {
                if (frame.Kind == FrameKind.Close)
                {
                    throw new SessionEndException(SessionEnd.Transient("the server closed the connection before its hello"));
                }

                ConnectorDiagnostics.FramesReceived.Add(1, ConnectorDiagnostics.Tag(connector.Name));
                if (TryDecode(frame.Span, out var envelope) && envelope.Action == GlideActions.Hello)
                {
                    try
                    {
                        return envelope.DataKind == GlideDataKind.Object ? GlideDecoder.ReadHello(envelope.Data(frame.Span)) : default;
                    }
                    catch (GlideDecodeException)
                    {
                        return default;
                    }
                }
            }
        }
    }

    private async Task AuthenticateAsync(IFrameConnection connection, CancellationToken cancellationToken)
    {
        var credential = await connector.Credentials.GetAsync(cancellationToken).ConfigureAwait(false);
        var seq = connector.NextSeq();
        using (var request = new PooledBufferWriter(512))
        {
            GlideEncoder.Authenticate(request, seq, credential);
            await connection.SendAsync(request.WrittenMemory, FrameKind.Text, cancellationToken).ConfigureAwait(false);
            ConnectorDiagnostics.FramesSent.Add(1, ConnectorDiagnostics.Tag(connector.Name));
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(connector.Options.AuthTimeout);
        while (true)
        {
            ReceivedFrame frame;
            try
            {
                frame = await connection.ReceiveAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new SessionEndException(SessionEnd.Transient($"no answer to authenticate within {connector.Options.AuthTimeout.TotalSeconds:0.#} s"));
            }
            catch (Exception ex) when (ex is IOException or System.Net.WebSockets.WebSocketException)
            {
                throw Refused("the server closed the connection on authenticate (the credential is malformed: wrong ciphertext length)");
            }

            using (frame)
            {
                if (frame.Kind == FrameKind.Close)
                {
                    throw Refused("the server closed the connection on authenticate (the credential is malformed: wrong ciphertext length)");
                }

                ConnectorDiagnostics.FramesReceived.Add(1, ConnectorDiagnostics.Tag(connector.Name));
                if (!TryDecode(frame.Span, out var envelope) || envelope.Seq != seq)
                {
                    continue;
                }

                var text = ReadTextOrNull(envelope, frame.Span);
                switch (envelope.Action)
                {
                    case GlideActions.NotifySuccess:
                        return;
                    case GlideActions.NotifyError when text == "credential expired":
                        throw Refused(connector.Credentials.Source == "configured"
                            ? "credential expired: the configured credential is older than 25 minutes (configure gatewaySecret or apiToken for a fresh one per connect)"
                            : "credential expired: the server's clock is ahead of ours by more than 25 minutes");
                    case GlideActions.NotifyError when text == "invalid authenticate message":
                        throw Refused("invalid authenticate message: the server could not open the credential (wrong gateway secret or a corrupted credential)");
                    case GlideActions.NotifyError:
                        throw Refused($"authenticate refused: {text}");
                    case GlideActions.NotifyUnknownAction:
                        throw Refused("the server does not know 'authenticate' (it has no SecretKey configured, or it is a legacy api.auth server)");
                    default:
                        continue;
                }
            }
        }
    }

    private SessionEndException Refused(string reason)
    {
        GlideLog.AuthenticationFailed(connector.Logger, connector.Name, reason);
        return new SessionEndException(SessionEnd.BadCredentials(reason));
    }

    private async Task<SessionEnd> ReadLoopAsync(SessionContext context, GlideInbound inbound, CancellationToken cancellationToken)
    {
        var connection = context.Connection;
        var tag = ConnectorDiagnostics.Tag(connector.Name);
        while (true)
        {
            using var frame = await connection.ReceiveAsync(cancellationToken).ConfigureAwait(false);
            if (frame.Kind == FrameKind.Close)
            {
                return SessionEnd.Transient($"the server closed the connection ({frame.CloseStatus?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no status"})");
            }

            ConnectorDiagnostics.FramesReceived.Add(1, tag);
            context.KeepaliveSeen();
            if (!TryDecode(frame.Span, out var envelope))
            {
                continue;
            }

            switch (envelope.Action)
            {
                case GlideActions.Chat:
                case GlideActions.Group:
                    if (inbound.Prepare(envelope, frame.Span) is { } push)
                    {
                        await inbound.DispatchAsync(push, cancellationToken).ConfigureAwait(false);
                    }

                    break;
                case GlideActions.AckMessage when envelope.DataKind == GlideDataKind.Object:
                    if (TryRead(envelope, frame.Span, out var ack))
                    {
                        connector.OnAckMessage(ack);
                    }

                    break;
                case GlideActions.NotifyError:
                case GlideActions.NotifyForbidden:
                    var text = ReadTextOrNull(envelope, frame.Span);
                    if (!connector.OnSendFailure(envelope.Action, envelope.Seq, text))
                    {
                        GlideLog.UnmatchedNotify(connector.Logger, connector.Name, envelope.Action, envelope.Seq, text);
                    }

                    break;
                case GlideActions.NotifyKickOut:
                    var kick = SafeKickOut(envelope, frame.Span);
                    GlideLog.KickedOut(connector.Logger, connector.Name, connector.Options.Uid, kick.DeviceId);
                    await CloseQuietlyAsync(connection).ConfigureAwait(false);
                    return SessionEnd.Kicked($"another login took uid {connector.Options.Uid} (device '{kick.DeviceId}'); the bridge does not fight it");
                default:
                    // heartbeat, ack.notify, notify.state, message.group.notify, message.cli, unknown: nothing to do.
                    break;
            }
        }
    }

    private async Task HeartbeatLoopAsync(IFrameConnection connection, TimeSpan interval, CancellationToken cancellationToken)
    {
        var time = connector.Context.Time;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(interval, time, cancellationToken).ConfigureAwait(false);
                using var frame = new PooledBufferWriter(64);
                GlideEncoder.ClientHeartbeat(frame, connector.NextSeq());
                await connection.SendAsync(frame.WrittenMemory, FrameKind.Text, cancellationToken).ConfigureAwait(false);
                ConnectorDiagnostics.FramesSent.Add(1, ConnectorDiagnostics.Tag(connector.Name));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or System.Net.WebSockets.WebSocketException or ObjectDisposedException)
        {
            // The session is over; the read loop reports why.
        }
    }

    private bool TryDecode(ReadOnlySpan<byte> span, out GlideEnvelope envelope)
    {
        try
        {
            envelope = GlideDecoder.DecodeEnvelope(span, connector.Options.MaxFrameBytes, connector.Strings);
            return true;
        }
        catch (GlideDecodeException ex)
        {
            ConnectorDiagnostics.Errors.Add(1, ConnectorDiagnostics.Tag(connector.Name));
            GlideLog.UndecodableFrame(connector.Logger, connector.Name, ex.Message);
            envelope = default;
            return false;
        }
    }

    private bool TryRead(in GlideEnvelope envelope, ReadOnlySpan<byte> frame, out GlideAck ack)
    {
        try
        {
            ack = GlideDecoder.ReadAck(envelope.Data(frame));
            return true;
        }
        catch (GlideDecodeException ex)
        {
            GlideLog.UndecodableFrame(connector.Logger, connector.Name, ex.Message);
            ack = default;
            return false;
        }
    }

    private static string? ReadTextOrNull(in GlideEnvelope envelope, ReadOnlySpan<byte> frame)
    {
        try
        {
            return GlideDecoder.ReadText(envelope.Data(frame));
        }
        catch (GlideDecodeException)
        {
            return null;
        }
    }

    private static GlideKickOut SafeKickOut(in GlideEnvelope envelope, ReadOnlySpan<byte> frame)
    {
        try
        {
            return GlideDecoder.ReadKickOut(envelope.Data(frame));
        }
        catch (GlideDecodeException)
        {
            return default;
        }
    }

    private static async Task CloseQuietlyAsync(IFrameConnection connection)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            await connection.CloseAsync("kicked out by another login", timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or System.Net.WebSockets.WebSocketException or ObjectDisposedException)
        {
            // Closing is best effort; the supervisor aborts the connection anyway.
        }
    }
}
