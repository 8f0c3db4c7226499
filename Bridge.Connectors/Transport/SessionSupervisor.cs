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
    private int _running;

    /// <param name="connect">
    /// Opens a fresh connection. Any exception is a transient connect failure, except a
    /// <see cref="SessionEndException"/>, whose outcome is used as is (a login step that finds the
    /// credentials refused throws <see cref="SessionEnd.BadCredentials"/> and backs off long).
    /// </param>
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

    /// <summary>The connector name the reconnect counter is tagged with (default <see cref="Name"/>; a per-room supervisor names its connector).</summary>
    public string? CounterConnector { get; init; }

    /// <summary>
    /// The level of the routine lines, connecting (1001) and connected (1002). A connector that runs
    /// one session per room (xnest) logs them at Debug: with 1,000 rooms they were 2,000 lines at
    /// every start, and the connector's own state change already says when all rooms are in.
    /// Failures (1003, 1004, 1005) stay warnings.
    /// </summary>
    public LogLevel RoutineLogLevel { get; init; } = LogLevel.Information;

    public ConnectorStatus Status => Volatile.Read(ref _status);

    /// <summary>The authenticated connection, or null while not connected.</summary>
    public IFrameConnection? Current => Volatile.Read(ref _current);

    /// <summary>How many times a session ended and a new one was attempted.</summary>
    public int Reconnects => Volatile.Read(ref _reconnects);

    public event Action<ConnectorStatus>? StatusChanged;

    /// <summary>Runs sessions until <paramref name="stoppingToken"/> is cancelled; one call at a time.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        if (Interlocked.Exchange(ref _running, 1) == 1)
        {
            throw new InvalidOperationException($"{_name}: the session supervisor is already running");
        }

        try
        {
            await RunSessionsAsync(stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _current, null);
            SetStatus(SessionState.Stopped, "stopped");
            TransportLog.Stopped(_logger, _name);
            Volatile.Write(ref _running, 0);
        }
    }

    private async Task RunSessionsAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        var lastKind = SessionEndKind.Transient;
        while (!stoppingToken.IsCancellationRequested)
        {
            SetStatus(SessionState.Connecting, null);
            TransportLog.Connecting(_logger, RoutineLogLevel, _name, _endpoint, failures + 1);
            var (end, wasStable) = await RunOneSessionAsync(failures, stoppingToken).ConfigureAwait(false);
            if (end.Kind == SessionEndKind.Stopped || stoppingToken.IsCancellationRequested)
            {
                return;
            }

            failures = wasStable || end.Kind != lastKind ? 1 : failures + 1;
            lastKind = end.Kind;
            Interlocked.Increment(ref _reconnects);
            ConnectorDiagnostics.Reconnects.Add(1, ConnectorDiagnostics.Tag(CounterConnector ?? _name));
            var delay = _policy.DelayFor(end.Kind, failures, _random);
            SetStatus(ToState(end.Kind), end.Reason);
            TransportLog.SessionEnded(_logger, _name, end.Kind, end.Reason, delay.TotalSeconds);
            try
            {
                await Task.Delay(delay, _time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
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
        catch (SessionEndException ex)
        {
            // The connect step itself decided (e.g. an HTTP login before the socket refused the
            // credentials): honour it, so bad credentials back off long here too.
            TransportLog.ConnectFailed(_logger, _name, _endpoint, ex.End.Reason);
            return (ex.End, false);
        }
        catch (Exception ex)
        {
            TransportLog.ConnectFailed(_logger, _name, _endpoint, Describe(ex));
            return (SessionEnd.Transient($"connect failed: {Describe(ex)}"), false);
        }

        var phase = new SessionPhase();
        var context = new SessionContext(connection, attempt, _time, () =>
        {
            // Only the first call counts, and none after the session began to end (a handler that
            // authenticates while the bridge stops must not report Connected on a dying connection).
            if (phase.TryMarkConnected(_time.GetTimestamp()))
            {
                Volatile.Write(ref _current, connection);
                SetStatus(SessionState.Connected, null);
                TransportLog.Connected(_logger, RoutineLogLevel, _name, _endpoint);
            }
        });

        using var sessionCts = new CancellationTokenSource();
        string? watchdogReason = null;
        var handlerTask = RunHandlerAsync(context, sessionCts.Token);
        var watchdogTask = WatchAsync(connection, context, reason =>
        {
            Volatile.Write(ref watchdogReason, reason);
            TransportLog.WatchdogFired(_logger, _name, reason);
            connection.Abort();
            CancelQuietly(sessionCts);
        }, sessionCts.Token);

        var stopSignal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (stoppingToken.Register(() => stopSignal.TrySetResult()).ConfigureAwait(false))
        {
            var first = await Task.WhenAny(handlerTask, stopSignal.Task).ConfigureAwait(false);
            var wasConnected = phase.End();
            SessionEnd end;
            if (first == stopSignal.Task)
            {
                await ShutdownGracefullyAsync(connection, handlerTask, wasConnected).ConfigureAwait(false);
                end = SessionEnd.Stopped();
            }
            else
            {
                end = await handlerTask.ConfigureAwait(false);
                if (Volatile.Read(ref watchdogReason) is { } reason && end.Kind == SessionEndKind.Transient)
                {
                    end = SessionEnd.Transient(reason);
                }
            }

            Volatile.Write(ref _current, null);
            CancelQuietly(sessionCts);
            connection.Abort();
            await watchdogTask.ConfigureAwait(false);
            if (!handlerTask.IsCompleted)
            {
                // Stopping, and the handler ignores both its token and the dead connection: do not
                // let it hold the shutdown forever.
                try
                {
                    await handlerTask.WaitAsync(_policy.ShutdownTimeout, _time, CancellationToken.None).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    TransportLog.GoodbyeFailed(_logger, _name, "the session handler did not end; abandoned");
                }
            }

            await connection.DisposeAsync().ConfigureAwait(false);

            var stable = phase.ConnectedAt is { } connectedAt && _time.GetElapsedTime(connectedAt) >= _policy.StableAfter;
            return (end, stable);
        }
    }

    private void CancelQuietly(CancellationTokenSource cts)
    {
        try
        {
            cts.Cancel();
        }
        catch (AggregateException ex)
        {
            // A handler's cancellation callback threw; the session ends anyway.
            TransportLog.CallbackFailed(_logger, _name, Describe(ex));
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
        catch (Exception ex)
        {
            // Whatever the goodbye throws, the bridge still stops (the connection is aborted next).
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
        try
        {
            StatusChanged?.Invoke(status);
        }
        catch (Exception ex)
        {
            // A subscriber's bug must not kill the session loop.
            TransportLog.CallbackFailed(_logger, _name, Describe(ex));
        }
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

    /// <summary>One session's progress: connected (once), then ended; a late MarkConnected is ignored.</summary>
    private sealed class SessionPhase
    {
        private readonly Lock _gate = new();
        private bool _ended;

        public long? ConnectedAt { get; private set; }

        public bool TryMarkConnected(long timestamp)
        {
            lock (_gate)
            {
                if (_ended || ConnectedAt is not null)
                {
                    return false;
                }

                ConnectedAt = timestamp;
                return true;
            }
        }

        /// <summary>Marks the session ending; returns whether it had connected.</summary>
        public bool End()
        {
            lock (_gate)
            {
                _ended = true;
                return ConnectedAt is not null;
            }
        }
    }
}
