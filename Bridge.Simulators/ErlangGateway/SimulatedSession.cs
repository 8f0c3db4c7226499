using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using Bridge.Connectors.ErlangGateway;

namespace Bridge.Simulators.ErlangGateway;

/// <summary>
/// One authenticated WebSocket client of the simulator: serialized writes, the server's PING loop,
/// and the outbox of pushes awaiting their ack (resent every <see cref="ErlangGatewaySimulatorOptions.ResendInterval"/>,
/// at most <see cref="ErlangGatewaySimulatorOptions.MaxResends"/> times, then the client is disconnected).
/// </summary>
internal sealed class SimulatedSession
{
    private readonly WebSocket _socket;
    private readonly ErlangGatewaySimulatorOptions _options;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<string, OutboxEntry> _outbox = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _closed;
    private long _sequence;
    private long _pingOutstandingSince = -1;
    private int _closing;
    private bool _drained;

    public SimulatedSession(WebSocket socket, SimulatedUser user, byte? clientId, ErlangGatewaySimulatorOptions options, CancellationToken serverStopping)
    {
        _socket = socket;
        User = user;
        ClientId = clientId;
        _options = options;
        _closed = CancellationTokenSource.CreateLinkedTokenSource(serverStopping);
    }

    public SimulatedUser User { get; }

    public byte? ClientId { get; }

    public CancellationToken Closed => _closed.Token;

    public string? CloseReason { get; private set; }

    /// <summary>While true the server sends no PINGs (a server that went quiet).</summary>
    public bool PingsPaused { get; set; }

    private int _resends;

    public int Resends => Volatile.Read(ref _resends);

    public int Unacknowledged => _outbox.Count;

    /// <summary>While true the connection is stalled: nothing is written or read (the client sees silence).</summary>
    public bool Stalled { get; set; }

    /// <summary>Waits while the connection is stalled.</summary>
    public async Task WhileStalledAsync()
    {
        while (Stalled)
        {
            await Task.Delay(20, _closed.Token).ConfigureAwait(false);
        }
    }

    public async Task SendAsync(ReadOnlyMemory<byte> packet)
    {
        await WhileStalledAsync().ConfigureAwait(false);
        await _writeLock.WaitAsync(_closed.Token).ConfigureAwait(false);
        try
        {
            await _socket.SendAsync(packet, WebSocketMessageType.Binary, endOfMessage: true, _closed.Token).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Pushes a message and keeps it until acknowledged; false when the session already ended (queue it elsewhere).</summary>
    public async Task<bool> PushAsync(SimulatedPush push)
    {
        var entry = new OutboxEntry(push, push.Encode(), Interlocked.Increment(ref _sequence), Stopwatch.GetTimestamp());
        lock (_outbox)
        {
            if (_drained)
            {
                return false;
            }

            if (!_outbox.TryAdd(push.MsgId, entry))
            {
                return true; // Already waiting for its ack: the resend loop takes care of it.
            }
        }

        await TrySendAsync(entry.Frame).ConfigureAwait(false);
        return true;
    }

    /// <summary>The client acknowledged a push; false when no push with that MsgId was waiting.</summary>
    public bool Acknowledge(string msgId) => _outbox.TryRemove(msgId, out _);

    public void PingAnswered() => Interlocked.Exchange(ref _pingOutstandingSince, -1);

    /// <summary>The pushes still unacknowledged, oldest first (re-queued when the connection ends); later pushes are refused.</summary>
    public IReadOnlyList<SimulatedPush> TakeUnacknowledged()
    {
        lock (_outbox)
        {
            _drained = true;
            var entries = _outbox.Values.OrderBy(e => e.Sequence).Select(e => e.Push).ToArray();
            _outbox.Clear();
            return entries;
        }
    }

    public async Task RunTimersAsync()
    {
        var resendTick = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(10).Ticks, _options.ResendInterval.Ticks / 4));
        var nextPing = Stopwatch.GetTimestamp() + ToStopwatch(_options.PingInterval);
        try
        {
            while (!_closed.IsCancellationRequested)
            {
                var wait = TimeSpan.FromTicks(Math.Min(resendTick.Ticks, Math.Max(TimeSpan.FromMilliseconds(5).Ticks, Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), nextPing).Ticks)));
                await Task.Delay(wait, _closed.Token).ConfigureAwait(false);
                if (Stopwatch.GetTimestamp() >= nextPing)
                {
                    nextPing = Stopwatch.GetTimestamp() + ToStopwatch(_options.PingInterval);
                    if (!await PingAsync().ConfigureAwait(false))
                    {
                        return;
                    }
                }

                if (!await ResendDueAsync().ConfigureAwait(false))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Closed.
        }
    }

    private async Task<bool> PingAsync()
    {
        var since = Interlocked.Read(ref _pingOutstandingSince);
        if (since >= 0 && Stopwatch.GetElapsedTime(since) > _options.PingTimeout)
        {
            await CloseAsync($"no PING_RESP within {_options.PingTimeout.TotalSeconds:0.###} s").ConfigureAwait(false);
            return false;
        }

        if (PingsPaused)
        {
            return true;
        }

        Interlocked.CompareExchange(ref _pingOutstandingSince, Stopwatch.GetTimestamp(), -1);
        await TrySendAsync(ErlangCodec.Bare(ErlangCommand.Ping)).ConfigureAwait(false);
        return true;
    }

    private async Task<bool> ResendDueAsync()
    {
        foreach (var entry in _outbox.Values)
        {
            if (Stopwatch.GetElapsedTime(entry.LastSent) < _options.ResendInterval)
            {
                continue;
            }

            if (entry.Resends >= _options.MaxResends)
            {
                await CloseAsync($"push {entry.Push.MsgId} not acknowledged after {entry.Resends} resends").ConfigureAwait(false);
                return false;
            }

            entry.Resends++;
            entry.LastSent = Stopwatch.GetTimestamp();
            Interlocked.Increment(ref _resends);
            await TrySendAsync(entry.Frame).ConfigureAwait(false);
        }

        return true;
    }

    private async Task TrySendAsync(ReadOnlyMemory<byte> frame)
    {
        try
        {
            await SendAsync(frame).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            Abort("write failed");
        }
    }

    /// <summary>
    /// Closes with a WebSocket close handshake, as the Erlang server closes a client: what was
    /// written before (LOGOUT, the last resend) still reaches the client; the socket is torn down
    /// when the client answers the close (the read loop ends) or after a second.
    /// </summary>
    public async Task CloseAsync(string reason)
    {
        if (Interlocked.Exchange(ref _closing, 1) == 1)
        {
            return;
        }

        CloseReason = reason;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            await _writeLock.WaitAsync(timeout.Token).ConfigureAwait(false);
            try
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, Truncate(reason), timeout.Token).ConfigureAwait(false);
            }
            finally
            {
                _writeLock.Release();
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            // The peer is gone already.
        }

        _ = TearDownLaterAsync();
    }

    private async Task TearDownLaterAsync()
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(1), _closed.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The read loop ended first.
        }

        TearDown();
    }

    /// <summary>Drops the connection at once, without a close handshake.</summary>
    public void Abort(string reason)
    {
        if (Interlocked.Exchange(ref _closing, 1) == 0)
        {
            CloseReason = reason;
        }

        TearDown();
    }

    private void TearDown()
    {
        _socket.Abort();
        try
        {
            _closed.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already finished.
        }
    }

    private static string Truncate(string reason) => reason.Length <= 100 ? reason : reason[..100];

    private static long ToStopwatch(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    private sealed class OutboxEntry(SimulatedPush push, byte[] frame, long sequence, long lastSent)
    {
        public SimulatedPush Push { get; } = push;

        public byte[] Frame { get; } = frame;

        public long Sequence { get; } = sequence;

        public long LastSent { get; set; } = lastSent;

        public int Resends { get; set; }
    }
}
