namespace Bridge.Connectors.ProtobufIm;

/// <summary>
/// Notices live pushes the v1 server may have dropped. The server buffers 256 frames per
/// connection and drops the rest without a word, and it never redelivers. Two signs:
/// <list type="bullet">
/// <item>A gap: a sender's seqs count up by one per message (to anyone), so a push whose seq jumps
/// past the sender's last seen seq + 1 may follow a dropped one (or messages to other users).</item>
/// <item>Pressure: the connector had to stop reading because its in-flight pushes were full, the
/// usual way the server's buffer fills. Anything from the senders seen so far may have been dropped.</item>
/// </list>
/// Either opens a fill: a SYNC pass from the lowest seq in doubt (up to the seq that showed the gap,
/// or to the end after pressure). Until a fill is done, the cursor treats nothing above that seq as
/// handled, so a reconnect or restart in between catches it up instead of skipping it.
/// </summary>
internal sealed class ImLiveGaps(ImSyncCursor cursor, TimeProvider time)
{
    private const int MaxSenders = 10_000;
    private readonly Dictionary<string, long> _lastSeen = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private long? _pendingFloor;
    private long _pendingTop;
    private long? _runningFloor;
    private long _lastPressure;

    /// <summary>A fill is waiting to run.</summary>
    public bool Pending
    {
        get
        {
            lock (_gate)
            {
                return _pendingFloor is not null;
            }
        }
    }

    /// <summary>A new session: seqs seen live so far are forgotten (its catch-up brought the cursor up to date).</summary>
    public void NewSession()
    {
        lock (_gate)
        {
            _lastSeen.Clear();
        }
    }

    /// <summary>A live push (read order), before it is handed over; true when its seq opened a gap.</summary>
    public bool Observe(string sender, long seq)
    {
        lock (_gate)
        {
            var last = _lastSeen.TryGetValue(sender, out var seen) ? seen : cursor.HandledSeq(sender);
            var gap = false;
            if (last is { } l && seq > l + 1)
            {
                Open(l, seq);
                gap = true;
            }

            if (last is null || seq > last)
            {
                if (_lastSeen.Count >= MaxSenders && !_lastSeen.ContainsKey(sender))
                {
                    _lastSeen.Clear();
                }

                _lastSeen[sender] = seq;
            }

            return gap;
        }
    }

    /// <summary>The connector stopped reading to wait for an in-flight slot.</summary>
    public void UnderPressure()
    {
        lock (_gate)
        {
            _lastPressure = time.GetTimestamp();
            if (_pendingTop == long.MaxValue)
            {
                return;
            }

            var floor = _lastSeen.Count == 0 ? cursor.LowWater : _lastSeen.Values.Min();
            Open(floor, long.MaxValue);
        }
    }

    /// <summary>
    /// Takes the pending fill once it is due: at once after a gap, after pressure only once reading
    /// has gone on without waiting for <paramref name="calm"/>.
    /// </summary>
    public (long Floor, long Top)? TakeDue(TimeSpan calm)
    {
        lock (_gate)
        {
            if (_pendingFloor is not { } floor || (_pendingTop == long.MaxValue && time.GetElapsedTime(_lastPressure) < calm))
            {
                return null;
            }

            _runningFloor = _runningFloor is { } running ? Math.Min(running, floor) : floor;
            var top = _pendingTop;
            _pendingFloor = null;
            _pendingTop = 0;
            return (floor, top);
        }
    }

    /// <summary>The fill taken last is over: done (its messages are durable) or failed (it is pending again).</summary>
    public void Finish((long Floor, long Top) fill, bool done)
    {
        lock (_gate)
        {
            _runningFloor = null;
            if (!done)
            {
                Open(fill.Floor, fill.Top);
                return;
            }

            cursor.Floor = _pendingFloor;
        }
    }

    private void Open(long floor, long top)
    {
        _pendingFloor = _pendingFloor is { } pending ? Math.Min(pending, floor) : floor;
        _pendingTop = Math.Max(_pendingTop, top);
        cursor.Floor = _runningFloor is { } running ? Math.Min(running, _pendingFloor.Value) : _pendingFloor;
    }
}
