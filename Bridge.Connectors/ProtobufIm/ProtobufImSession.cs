using System.Net.WebSockets;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.ProtobufIm.Wire;
using Bridge.Connectors.Transport;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace Bridge.Connectors.ProtobufIm;

/// <summary>
/// The protobuf-IM protocol half of a session: AUTH_REQ with user id and token, then a read loop
/// that matches replies to requests by sequence and hands pushes to the connector, and a
/// HEARTBEAT_REQ every <see cref="ProtobufImOptions.HeartbeatInterval"/> (WebSocket pings from the
/// server are answered by the runtime). An auth error closes the socket (the server would keep it
/// open) and ends as bad credentials; KICK_OUT or a repeated abrupt takeover ends as kicked.
/// </summary>
internal sealed class ProtobufImSession : ISessionHandler
{
    private readonly string _name;
    private readonly ProtobufImOptions _options;
    private readonly IImSessionEvents _events;
    private readonly ImKickDetector _kicks;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private ImLink? _current;

    public ProtobufImSession(string name, ProtobufImOptions options, IImSessionEvents events, TimeProvider time, ILogger logger)
    {
        _name = name;
        _options = options;
        _events = events;
        _time = time;
        _logger = logger;
        _kicks = new ImKickDetector(options.KickDetectionWindow, (options.Reconnect.KickedDelay * 4) + options.KickDetectionWindow, time);
    }

    /// <summary>The authenticated link, or null between sessions.</summary>
    public ImLink? Current => Volatile.Read(ref _current);

    public async Task<SessionEnd> RunAsync(SessionContext context, CancellationToken cancellationToken)
    {
        var link = new ImLink(context.Connection, _name, _time);
        using var sessionCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var authenticated = false;
        var reader = ReadLoopAsync(link, context, () => authenticated, sessionCts.Token);
        var background = new List<Task> { reader };
        try
        {
            var refused = await AuthenticateAsync(link, sessionCts.Token).ConfigureAwait(false);
            if (refused is not null)
            {
                await CloseQuietlyAsync(context.Connection, "authentication refused").ConfigureAwait(false);
                return refused;
            }

            authenticated = true;
            Volatile.Write(ref _current, link);
            context.MarkConnected();
            background.Add(HeartbeatLoopAsync(link, context, sessionCts.Token));
            background.Add(CatchUpAsync(link, sessionCts.Token));
            return await link.Ended.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The supervisor cancelled this session (watchdog, or shutdown: it then reports stopped itself).
            return SessionEnd.Transient("session cancelled");
        }
        catch (Exception ex) when (ex is TimeoutException or IOException)
        {
            return link.Ended.IsCompleted ? await link.Ended.ConfigureAwait(false) : SessionEnd.Transient($"authentication: {ex.Message}");
        }
        finally
        {
            Volatile.Write(ref _current, null);
            link.FailAll("the session ended");
            await sessionCts.CancelAsync().ConfigureAwait(false);
            context.Connection.Abort();
            await Task.WhenAll(background).ConfigureAwait(false);
        }
    }

    private async Task<SessionEnd?> AuthenticateAsync(ImLink link, CancellationToken cancellationToken)
    {
        var request = new AuthRequest { UserId = _options.UserId, Token = _options.Token.Reveal(), Platform = _options.Platform };
        var reply = await link.RequestAsync(CommandType.CmdAuthReq, request, _options.RequestTimeout, cancellationToken).ConfigureAwait(false);
        if (reply.Message is not AuthResponse auth)
        {
            return SessionEnd.Transient($"unexpected reply {reply.Command} to AUTH_REQ");
        }

        if (auth.ErrorCode == ErrorCode.ErrSuccess)
        {
            ProtobufImLog.Authenticated(_logger, _name, _options.UserId, auth.MaxSeq);
            link.OwnSeqAtAuth = auth.MaxSeq;
            return null;
        }

        var reason = ImErrorCodes.AuthFailure(auth.ErrorCode, auth.ErrorMsg);
        ProtobufImLog.AuthRefused(_logger, _name, reason);
        return auth.ErrorCode is ErrorCode.ErrAuthFailed or ErrorCode.ErrTokenExpired or ErrorCode.ErrUserNotExist or ErrorCode.ErrPermissionDenied
            ? SessionEnd.BadCredentials(reason)
            : SessionEnd.Transient(reason);
    }

    private async Task ReadLoopAsync(ImLink link, SessionContext context, Func<bool> authenticated, CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            await ReadFramesAsync(link, context, authenticated, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            link.End(SessionEnd.Transient($"reading from the server failed: {ex.Message}"));
        }
        finally
        {
            // Whatever stops the reader ends the session (the first reason given wins): a session
            // whose reader is gone hears nothing more and would only end when the watchdog fires.
            link.End(SessionEnd.Transient("the connection closed"));
            link.FailAll("the connection closed");
        }
    }

    private async Task ReadFramesAsync(ImLink link, SessionContext context, Func<bool> authenticated, CancellationToken cancellationToken)
    {
        var tag = ConnectorDiagnostics.Tag(_name);
        while (!cancellationToken.IsCancellationRequested)
        {
            ReceivedFrame frame;
            try
            {
                frame = await context.Connection.ReceiveAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (FrameTooLargeException ex)
            {
                link.End(SessionEnd.Transient(ex.Message));
                return;
            }
            catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException)
            {
                link.End(_kicks.OnAbruptClose(authenticated(), _options.UserId, ex.Message));
                return;
            }

            using (frame)
            {
                if (frame.Kind == FrameKind.Close)
                {
                    link.End(SessionEnd.Transient($"the server closed the WebSocket ({frame.CloseStatus} {frame.CloseDescription})"));
                    return;
                }

                ConnectorDiagnostics.FramesReceived.Add(1, tag);
                if (frame.Kind == FrameKind.Text)
                {
                    ProtobufImLog.Ignored(_logger, _name, "text", 0, 0);
                    continue;
                }

                if (!ImCodec.TryDecode(frame.Memory, _options.MaxFrameBytes, out var envelope, out var error))
                {
                    ConnectorDiagnostics.Errors.Add(1, tag);
                    ProtobufImLog.MalformedFrame(_logger, _name, error!);
                    continue;
                }

                try
                {
                    if (!await DispatchAsync(link, envelope, cancellationToken).ConfigureAwait(false))
                    {
                        return;
                    }
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Handles one decoded frame; false when the session is over.</summary>
    private async ValueTask<bool> DispatchAsync(ImLink link, ImEnvelope envelope, CancellationToken cancellationToken)
    {
        switch (envelope.Command)
        {
            case CommandType.CmdPushMsg or CommandType.CmdRevokeMsgPush:
                await _events.OnPushAsync(link, envelope, cancellationToken).ConfigureAwait(false);
                return true;
            case CommandType.CmdKickOut:
                var kick = ImCodec.TryParse(KickOutNotification.Parser, envelope.Body, out var notice, out _) ? notice : new KickOutNotification();
                ProtobufImLog.KickOut(_logger, _name, kick.Reason, kick.Message);
                link.End(SessionEnd.Kicked($"the server sent KICK_OUT (reason {kick.Reason}{(kick.Reason == 1 ? ": logged in on another device" : string.Empty)}): {kick.Message}"));
                return false;
        }

        var parser = ReplyParser(envelope.Command);
        if (parser is null || envelope.Sequence == 0)
        {
            // Read receipts, typing, online status, sync-finished and unknown commands: accepted and ignored.
            ProtobufImLog.Ignored(_logger, _name, "push", (int)envelope.Command, envelope.Sequence);
            return true;
        }

        IMessage reply;
        try
        {
            reply = parser.ParseFrom(envelope.Body.Span);
        }
        catch (InvalidProtocolBufferException ex)
        {
            ConnectorDiagnostics.Errors.Add(1, ConnectorDiagnostics.Tag(_name));
            ProtobufImLog.MalformedFrame(_logger, _name, $"{envelope.Command}: {ex.Message}");
            return true;
        }

        link.Complete(envelope.Sequence, new ImReply(envelope.Command, reply));
        return true;
    }

    private static MessageParser? ReplyParser(CommandType command) => command switch
    {
        CommandType.CmdAuthRsp or CommandType.CmdReauthRsp => AuthResponse.Parser,
        CommandType.CmdHeartbeatRsp => HeartbeatResponse.Parser,
        CommandType.CmdSendMsgRsp => SendMessageResponse.Parser,
        CommandType.CmdRevokeMsgRsp => RevokeMessageResponse.Parser,
        CommandType.CmdSyncRsp => SyncResponse.Parser,
        CommandType.CmdReadReceiptRsp => ReadReceiptResponse.Parser,
        CommandType.CmdConnectRsp => ConnectResponse.Parser,
        _ => null,
    };

    private async Task HeartbeatLoopAsync(ImLink link, SessionContext context, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(_options.HeartbeatInterval, _time, cancellationToken).ConfigureAwait(false);
                var request = new HeartbeatRequest { ClientTime = _time.GetUtcNow().ToUnixTimeMilliseconds() };
                await link.RequestAsync(CommandType.CmdHeartbeatReq, request, _options.RequestTimeout, cancellationToken).ConfigureAwait(false);
                context.KeepaliveSeen();
            }
        }
        catch (TimeoutException)
        {
            link.End(SessionEnd.Transient($"no heartbeat reply within {_options.RequestTimeout.TotalSeconds:0.###} s"));
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The session is over; the read loop says why.
        }
    }

    private async Task CatchUpAsync(ImLink link, CancellationToken cancellationToken)
    {
        try
        {
            await _events.OnAuthenticatedAsync(link, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Session over.
        }
        catch (SessionEndException ex)
        {
            link.End(ex.End);
        }
        catch (Exception ex)
        {
            link.End(SessionEnd.Transient($"catch-up failed: {ex.Message}"));
        }
    }

    private static async Task CloseQuietlyAsync(IFrameConnection connection, string reason)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await connection.CloseAsync(reason, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or WebSocketException or ObjectDisposedException)
        {
            // Aborted by the caller anyway.
        }
    }
}
