using Bridge.Connectors.Abstractions;
using Bridge.Contracts.V1;
using Microsoft.Extensions.Logging;

namespace Bridge.Connectors.Transport;

/// <summary>
/// Owns one backend session's lifecycle: connect, hand the connection to the protocol handler,
/// watch for silence, and reconnect with backoff until stopped. Never gives up on transient
/// failures; backs off long on bad credentials and after a kick. On stop it lets the handler say
/// goodbye, closes the connection gracefully, and reports <see cref="SessionState.Stopped"/>.
/// </summary>
public sealed class SessionSupervisor
{
    private readonly string _name;
    private readonly string _endpoint;
    private readonly Func<CancellationToken, Task<IFrameConnection>> _connect;
    private readonly ISessionHandler _handler;
    private readonly ReconnectPolicy _policy;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private ConnectorStatus _status;
    private IFrameConnection? _current;
    private int _reconnects;

    public SessionSupervisor(
        string name,
        string endpoint,
        Func<CancellationToken, Task<IFrameConnection>> connect,
        ISessionHandler handler,
        ReconnectPolicy policy,
        ILogger logger,
        TimeProvider? time = null,
        Random? random = null)
    {
        _name = name;
        _endpoint = endpoint;
        _connect = connect;
        _handler = handler;
        _policy = policy;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _random = random ?? Random.Shared;
        _status = ConnectorStatus.Initial(_time);
    }

    public string Name => _name;

    public ConnectorStatus Status => Volatile.Read(ref _status);

    /// <summary>The authenticated connection, or null while not connected.</summary>
    public IFrameConnection? Current => Volatile.Read(ref _current);

    /// <summary>How many times a session ended and a new one was attempted.</summary>
    public int Reconnects => Volatile.Read(ref _reconnects);

    public event Action<ConnectorStatus>? StatusChanged;

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        var lastKind = SessionEndKind.Transient;
        while (!stoppingToken.IsCancellationRequested)
        {
            SetStatus(SessionState.Connecting, null);
            TransportLog.Connecting(_logger, _name, _endpoint, failures + 1);
            var (end, wasStable) = await RunOneSessionAsync(failures, stoppingToken).ConfigureAwait(false);
            if (end.Kind == SessionEndKind.Stopped || stoppingToken.IsCancellationRequested)
            {
                break;
            }

            failures = wasStable || end.Kind != lastKind ? 1 : failures + 1;
            lastKind = end.Kind;
            Interlocked.Increment(ref _reconnects);
            ConnectorDiagnostics.Reconnects.Add(1, new KeyValuePair<string, object?>("connector", _name));
            var delay = _policy.DelayFor(end.Kind, failures, _random);
            SetStatus(ToState(end.Kind), end.Reason);
            TransportLog.SessionEnded(_logger, _name, end.Kind, end.Reason, delay.TotalSeconds);
            try
            {
                await Task.Delay(delay, _time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        SetStatus(SessionState.Stopped, "stopped");
        TransportLog.Stopped(_logger, _name);
    }

    private async Task<(SessionEnd End, bool WasStable)> RunOneSessionAsync(int attempt, CancellationToken stoppingToken)
    {
        IFrameConnection connection;
        try
        {
            connection = await _connect(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return (SessionEnd.Stopped(), false);
        }
        catch (Exception ex)
        {
            TransportLog.ConnectFailed(_logger, _name, _endpoint, Describe(ex));
            return (SessionEnd.Transient($"connect failed: {Describe(ex)}"), false);
        }

        long connectedAt = -1;
        var context = new SessionContext(connection, attempt, _time, () =>
        {
            connectedAt = _time.GetTimestamp();
            Volatile.Write(ref _current, connection);
            SetStatus(SessionState.Connected, null);
            TransportLog.Connected(_logger, _name, _endpoint);
        });

        using var sessionCts = new CancellationTokenSource();
        string? watchdogReason = null;
        var handlerTask = RunHandlerAsync(context, sessionCts.Token);
        var watchdogTask = WatchAsync(connection, context, reason =>
        {
            watchdogReason = reason;
            TransportLog.WatchdogFired(_logger, _name, reason);
            connection.Abort();
            sessionCts.Cancel();
        }, sessionCts.Token);

        var stopSignal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (stoppingToken.Register(() => stopSignal.TrySetResult()).ConfigureAwait(false))
        {
            var first = await Task.WhenAny(handlerTask, stopSignal.Task).ConfigureAwait(false);
            SessionEnd end;
            if (first == stopSignal.Task)
            {
                await ShutdownGracefullyAsync(connection, handlerTask, connectedAt >= 0).ConfigureAwait(false);
                end = SessionEnd.Stopped();
            }
            else
            {
                end = await handlerTask.ConfigureAwait(false);
                if (watchdogReason is not null && end.Kind == SessionEndKind.Transient)
                {
                    end = SessionEnd.Transient(watchdogReason);
                }
            }

            Volatile.Write(ref _current, null);
            await sessionCts.CancelAsync().ConfigureAwait(false);
            connection.Abort();
            await watchdogTask.ConfigureAwait(false);
            await handlerTask.ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);

            var stable = connectedAt >= 0 && _time.GetElapsedTime(connectedAt) >= _policy.StableAfter;
            return (end, stable);
        }
    }

    private async Task<SessionEnd> RunHandlerAsync(SessionContext context, CancellationToken cancellationToken)
    {
        try
        {
            return await _handler.RunAsync(context, cancellationToken).ConfigureAwait(false);
        }
        catch (SessionEndException ex)
        {
            return ex.End;
        }
        catch (Exception ex)
        {
            return SessionEnd.Transient(Describe(ex));
        }
    }

    private async Task ShutdownGracefullyAsync(IFrameConnection connection, Task<SessionEnd> handlerTask, bool connected)
    {
        using var timeout = new CancellationTokenSource(_policy.ShutdownTimeout);
        try
        {
            if (connected)
            {
                await _handler.GoodbyeAsync(connection, timeout.Token).ConfigureAwait(false);
            }

            await connection.CloseAsync("bridge shutting down", timeout.Token).ConfigureAwait(false);
            await handlerTask.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or TimeoutException or System.Net.WebSockets.WebSocketException or ObjectDisposedException)
        {
            TransportLog.GoodbyeFailed(_logger, _name, Describe(ex));
        }
    }

    private async Task WatchAsync(IFrameConnection connection, SessionContext context, Action<string> fire, CancellationToken cancellationToken)
    {
        var silence = _policy.SilenceWindow;
        var keepalive = _policy.KeepaliveWindow;
        if (silence is null && keepalive is null)
        {
            return;
        }

        var shortest = new[] { silence, keepalive }.Where(w => w is not null).Min()!.Value;
        var period = TimeSpan.FromMilliseconds(Math.Clamp(shortest.TotalMilliseconds / 4, 20, 1000));
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(period, _time, cancellationToken).ConfigureAwait(false);
                if (silence is { } s && _time.GetElapsedTime(connection.LastReceivedTimestamp) > s)
                {
                    fire($"nothing received for {s.TotalSeconds:0.###} s");
                    return;
                }

                if (keepalive is { } k && _time.GetElapsedTime(context.LastKeepaliveTimestamp) > k)
                {
                    fire($"no keepalive for {k.TotalSeconds:0.###} s");
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Session over.
        }
    }

    private void SetStatus(SessionState state, string? reason)
    {
        var status = new ConnectorStatus(state, reason, _time.GetUtcNow());
        Volatile.Write(ref _status, status);
        StatusChanged?.Invoke(status);
    }

    private static SessionState ToState(SessionEndKind kind) => kind switch
    {
        SessionEndKind.BadCredentials => SessionState.BadCredentials,
        SessionEndKind.Kicked => SessionState.Kicked,
        SessionEndKind.Stopped => SessionState.Stopped,
        _ => SessionState.TransientDisconnect,
    };

    private static string Describe(Exception ex) => ex switch
    {
        AggregateException { InnerException: { } inner } => Describe(inner),
        OperationCanceledException => "cancelled",
        _ when ex.InnerException is { } inner && ex.Message.Length < 60 => $"{ex.Message} ({inner.Message})",
        _ => ex.Message,
    };
}
