using System.Globalization;
using System.Text;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Rtm.Fpnn;
using Bridge.Connectors.Rtm.MsgPack;
using Bridge.Connectors.Transport;
using Bridge.Contracts.V1;
using Microsoft.Extensions.Logging;

namespace Bridge.Connectors.Rtm;

/// <summary>
/// One gate connection: <c>auth</c>, then <c>enterroom</c> for every routed room and catch-up,
/// while the read loop answers <c>ping</c> (feeding the keepalive watchdog), matches answers,
/// hands pushes to <see cref="RtmInbound"/>, and ends the session on <c>kickout</c> (Kicked),
/// a malformed packet or a push that could not be made durable (Transient).
/// </summary>
internal sealed class RtmSession(RtmConnector owner) : ISessionHandler
{
    private RtmOptions Options => owner.Options;

    public async Task<SessionEnd> RunAsync(SessionContext context, CancellationToken cancellationToken)
    {
        // A first catch-up (no stored cursor) starts here, before login: nothing sent to a room
        // between login and enterroom is missed.
        var firstStartMs = owner.FirstSessionStart(owner.Time.GetUtcNow().ToUnixTimeMilliseconds());
        var link = new RtmLink(context.Connection, Options.QuestTimeout, owner.Name);
        using var sessionCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        string? failure = null;
        void Fail(string reason)
        {
            failure ??= reason;
            context.Connection.Abort();
        }

        await using var inbound = new RtmInbound(owner.Name, Options, owner.Sink, link, owner.Cursors, owner.Time, owner.Logger, Fail);
        var reader = new ReadLoop(owner, link, inbound, context);
        var readTask = reader.RunAsync(sessionCts.Token);
        try
        {
            var login = await LoginAsync(link, context, sessionCts.Token).ConfigureAwait(false);
            if (login is not null)
            {
                return login;
            }

            owner.SetLink(link);
            await EnterRoomsAsync(link, sessionCts.Token).ConfigureAwait(false);
            context.MarkConnected();
            _ = CatchUpAsync(link, inbound, firstStartMs, Fail, sessionCts.Token);
            var end = await readTask.ConfigureAwait(false);
            return failure is not null && end.Kind == SessionEndKind.Transient ? SessionEnd.Transient(failure) : end;
        }
        catch (Exception ex) when (readTask.IsCompleted && ex is not SessionEndException)
        {
            return failure is not null ? SessionEnd.Transient(failure) : await readTask.ConfigureAwait(false);
        }
        finally
        {
            owner.ClearLink(link);
            link.FailAll("connection closed");
            await sessionCts.CancelAsync().ConfigureAwait(false);
            context.Connection.Abort();
            await readTask.ConfigureAwait(false);
        }
    }

    /// <summary>Null when logged in; otherwise how the session ends.</summary>
    private async Task<SessionEnd?> LoginAsync(RtmLink link, SessionContext context, CancellationToken cancellationToken)
    {
        var token = Options.Token.Reveal();
        var answer = await link.CallAsync(seq => RtmQuests.Auth(seq, Options.Pid, Options.Uid, token, Options.Version, Options.AuthAttrs), cancellationToken).ConfigureAwait(false);
        if (answer.IsError)
        {
            var reason = $"auth failed with {answer.ErrorCode}: {answer.ErrorText}";
            RtmLog.AuthRefused(owner.Logger, owner.Name, reason);
            return RtmErrorCodes.IsCredentialFailure(answer.ErrorCode) ? SessionEnd.BadCredentials(reason) : SessionEnd.Transient(reason);
        }

        if (answer.GetBoolean("ok") != true)
        {
            var reason = $"auth answered ok:false: invalid or expired token for uid {Options.Uid} ({RtmErrorCodes.InvalidToken})";
            RtmLog.AuthRefused(owner.Logger, owner.Name, reason);
            return SessionEnd.BadCredentials(reason);
        }

        link.Authenticated = true;
        context.KeepaliveSeen();
        RtmLog.LoggedIn(owner.Logger, owner.Name, Options.Uid, Options.Pid);
        return null;
    }

    private async Task EnterRoomsAsync(RtmLink link, CancellationToken cancellationToken)
    {
        foreach (var room in owner.Context.EndpointsOfKind(EndpointKind.Room))
        {
            if (long.TryParse(room.NativeId, NumberStyles.None, CultureInfo.InvariantCulture, out var rid))
            {
                await owner.EnterRoomAsync(link, rid, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task CatchUpAsync(RtmLink link, RtmInbound inbound, long firstStartMs, Action<string> fail, CancellationToken cancellationToken)
    {
        try
        {
            var catchUp = new RtmCatchUp(owner.Name, Options, owner.Sink, link, owner.Cursors, owner.Context.Endpoints, firstStartMs, owner.Time, owner.Logger, inbound.CaughtUp);
            await catchUp.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Session over.
        }
        catch (ConnectionLostException)
        {
            // Session over.
        }
        catch (Exception ex)
        {
            fail($"catch-up failed: {ex.Message}");
        }
    }

    /// <summary>On clean shutdown: <c>bye</c>, waiting for its answer (bounded by the token).</summary>
    public async Task GoodbyeAsync(IFrameConnection connection, CancellationToken cancellationToken)
    {
        if (owner.CurrentLink is { } link && ReferenceEquals(link.Connection, connection))
        {
            await link.CallAsync(RtmQuests.Bye, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads packets until the connection ends; decides how the session ended.</summary>
    private sealed class ReadLoop(RtmConnector owner, RtmLink link, RtmInbound inbound, SessionContext context)
    {
        private readonly List<Incoming> _batch = [];

        private enum IncomingKind
        {
            Ping,
            Push,
            Kickout,
            KickoutRoom,
            UnknownQuest,
            Malformed,
        }

        private readonly record struct Incoming(IncomingKind Kind, uint Seq, bool TwoWay, string Method, RtmPush Push = default, long Rid = 0);

        public async Task<SessionEnd> RunAsync(CancellationToken cancellationToken)
        {
            using var decoder = new FpnnStreamDecoder(owner.Options.MaxPacketBytes);
            try
            {
                while (!cancellationToken.IsCancellationRequested)
                {
                    using (var frame = await context.Connection.ReceiveAsync(cancellationToken).ConfigureAwait(false))
                    {
                        if (frame.Kind == FrameKind.Close)
                        {
                            return SessionEnd.Transient($"the gate closed the connection ({frame.CloseStatus?.ToString(CultureInfo.InvariantCulture) ?? "no status"})");
                        }

                        ConnectorDiagnostics.FramesReceived.Add(1, ConnectorDiagnostics.Tag(owner.Name));
                        _batch.Clear();
                        if (decoder.Feed(frame.Span, Classify, out var error) == FpnnDecodeStatus.Malformed)
                        {
                            _batch.Add(new Incoming(IncomingKind.Malformed, 0, false, error ?? "malformed packet"));
                        }
                    }

                    foreach (var item in _batch)
                    {
                        if (await HandleAsync(item, cancellationToken).ConfigureAwait(false) is { } end)
                        {
                            return end;
                        }
                    }
                }

                return SessionEnd.Transient("session cancelled");
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The supervisor cancels for a stop (it then reports Stopped itself) or for its watchdog.
                return SessionEnd.Transient("session cancelled");
            }
            catch (Exception ex) when (ex is IOException or System.Net.WebSockets.WebSocketException or ObjectDisposedException)
            {
                return SessionEnd.Transient($"connection lost: {ex.Message}");
            }
            catch (MsgPackException ex)
            {
                ConnectorDiagnostics.Errors.Add(1, ConnectorDiagnostics.Tag(owner.Name));
                RtmLog.Malformed(owner.Logger, owner.Name, ex.Message);
                return SessionEnd.Transient($"malformed packet: {ex.Message}");
            }
            finally
            {
                link.FailAll("connection closed");
            }
        }

        /// <summary>Sorts one packet (synchronously, while its bytes are valid); answers complete their quest here.</summary>
        private void Classify(FpnnPacket packet)
        {
            if (packet.Kind == FpnnPacketKind.Answer)
            {
                link.Complete(packet.Seq, packet.Status, packet.Payload);
                return;
            }

            var twoWay = packet.Kind == FpnnPacketKind.TwoWay;
            if (packet.MethodIs("ping"u8))
            {
                _batch.Add(new Incoming(IncomingKind.Ping, packet.Seq, twoWay, RtmMethods.Ping));
            }
            else if (RtmPushDecoder.TypeOf(packet.Method) is { } type)
            {
                var method = RtmMethods.Push(type);
                _batch.Add(RtmPushDecoder.TryDecode(type, packet.Payload, out var push, out var error)
                    ? new Incoming(IncomingKind.Push, packet.Seq, twoWay, method, push)
                    : new Incoming(IncomingKind.Malformed, packet.Seq, twoWay, $"{method}: {error}"));
            }
            else if (packet.MethodIs("kickout"u8))
            {
                _batch.Add(new Incoming(IncomingKind.Kickout, packet.Seq, twoWay, RtmMethods.Kickout));
            }
            else if (packet.MethodIs("kickoutroom"u8))
            {
                var answer = new RtmAnswer(0, packet.Payload.ToArray());
                _batch.Add(new Incoming(IncomingKind.KickoutRoom, packet.Seq, twoWay, RtmMethods.KickoutRoom, Rid: answer.TryGetInt64("rid", out var rid) ? rid : 0));
            }
            else
            {
                _batch.Add(new Incoming(IncomingKind.UnknownQuest, packet.Seq, twoWay, Encoding.UTF8.GetString(packet.Method)));
            }
        }

        private async Task<SessionEnd?> HandleAsync(Incoming item, CancellationToken cancellationToken)
        {
            switch (item.Kind)
            {
                case IncomingKind.Ping:
                    context.KeepaliveSeen();
                    if (item.TwoWay)
                    {
                        await inbound.AnswerAsync(item.Seq, cancellationToken).ConfigureAwait(false);
                    }

                    return null;
                case IncomingKind.Push when link.Authenticated:
                    await inbound.AcceptAsync(item.Method, item.Seq, item.Push, cancellationToken).ConfigureAwait(false);
                    return null;
                case IncomingKind.Push:
                    return SessionEnd.Transient($"{item.Method} before auth completed");
                case IncomingKind.Kickout:
                    if (item.TwoWay)
                    {
                        await inbound.AnswerAsync(item.Seq, cancellationToken).ConfigureAwait(false);
                    }

                    RtmLog.Kicked(owner.Logger, owner.Name, owner.Options.Uid);
                    return SessionEnd.Kicked($"kickout: another login took uid {owner.Options.Uid}");
                case IncomingKind.KickoutRoom:
                    if (item.TwoWay)
                    {
                        await inbound.AnswerAsync(item.Seq, cancellationToken).ConfigureAwait(false);
                    }

                    await owner.OnKickedOutOfRoomAsync(link, item.Rid, cancellationToken).ConfigureAwait(false);
                    return null;
                case IncomingKind.UnknownQuest:
                    RtmLog.UnknownQuest(owner.Logger, owner.Name, item.Method);
                    if (item.TwoWay)
                    {
                        var error = FpnnPacketWriter.ErrorAnswer(item.Seq, RtmErrorCodes.UnknownMethod, $"Unknow method:{item.Method}, type:twoway");
                        await link.SendAsync(error, cancellationToken).ConfigureAwait(false);
                    }

                    return null;
                default:
                    ConnectorDiagnostics.Errors.Add(1, ConnectorDiagnostics.Tag(owner.Name));
                    RtmLog.Malformed(owner.Logger, owner.Name, item.Method);
                    return SessionEnd.Transient($"malformed packet: {item.Method}");
            }
        }
    }
}
