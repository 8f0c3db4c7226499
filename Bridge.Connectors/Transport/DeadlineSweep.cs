namespace Bridge.Connectors.Transport;

/// <summary>An item's place in a <see cref="DeadlineSweep{T}"/> (kept by the sweep; -1 while not in it).</summary>
internal interface IDeadlineSlot
{
    int DeadlineSlot { get; set; }
}

/// <summary>
/// The deadlines of many waits, checked by one timer instead of one timer per wait (a link has
/// hundreds of requests in flight under load, each of which used to add and remove a timer). The
/// timer runs only while a wait is watched, every sixteenth of the shortest timeout watched since it
/// started (1 to 50 ms), so a wait ends at most that much after its deadline. Removing an answered
/// wait is constant time: the last item takes its slot. Deadlines and the timer run on the given
/// clock (the system's by default; a test's own clock moves them).
/// </summary>
internal sealed class DeadlineSweep<T>
    where T : class, IDeadlineSlot
{
    private const long MaxTickMs = 50;

    private readonly Lock _gate = new();
    private readonly Action<T> _expire;
    private readonly TimeProvider _time;
    private readonly long _origin;
    private readonly ITimer _timer;
    private (T Item, long Deadline)[] _items = new (T, long)[16];
    private int _count;

    /// <summary>The timer's period while it runs; 0 while it is stopped.</summary>
    private long _tickMs;

    public DeadlineSweep(Action<T> expire, TimeProvider? time = null)
    {
        _expire = expire;
        _time = time ?? TimeProvider.System;
        _origin = _time.GetTimestamp();
        using (ExecutionContext.SuppressFlow())
        {
            _timer = _time.CreateTimer(static state => ((DeadlineSweep<T>)state!).Sweep(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Milliseconds on the sweep's clock since it was made.</summary>
    private long NowMs => (long)_time.GetElapsedTime(_origin).TotalMilliseconds;

    /// <summary>Items watched (for tests).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    /// <summary>Watches <paramref name="item"/> until it is removed or <paramref name="timeout"/> has passed (then it is expired).</summary>
    public void Add(T item, TimeSpan timeout)
    {
        var ms = Math.Max(1, (long)Math.Ceiling(timeout.TotalMilliseconds));
        var tick = Math.Clamp(ms / 16, 1, MaxTickMs);
        lock (_gate)
        {
            if (_count == _items.Length)
            {
                Array.Resize(ref _items, _count * 2);
            }

            item.DeadlineSlot = _count;
            _items[_count++] = (item, NowMs + ms);
            if (_tickMs == 0 || tick < _tickMs)
            {
                _tickMs = tick;
                _timer.Change(TimeSpan.FromMilliseconds(tick), Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>Stops watching <paramref name="item"/> (answered); nothing if it is not watched.</summary>
    public void Remove(T item)
    {
        lock (_gate)
        {
            var slot = item.DeadlineSlot;
            if (slot >= 0 && slot < _count && ReferenceEquals(_items[slot].Item, item))
            {
                RemoveAt(slot);
            }
        }
    }

    private void RemoveAt(int slot)
    {
        _items[slot].Item.DeadlineSlot = -1;
        var last = --_count;
        if (slot != last)
        {
            _items[slot] = _items[last];
            _items[slot].Item.DeadlineSlot = slot;
        }

        _items[last] = default;
    }

    private void Sweep()
    {
        List<T>? expired = null;
        lock (_gate)
        {
            var now = NowMs;

            // Backwards: the item RemoveAt moves into a slot comes from the end, already looked at.
            for (var i = _count - 1; i >= 0; i--)
            {
                if (_items[i].Deadline <= now)
                {
                    (expired ??= []).Add(_items[i].Item);
                    RemoveAt(i);
                }
            }

            if (_count > 0)
            {
                _timer.Change(TimeSpan.FromMilliseconds(_tickMs), Timeout.InfiniteTimeSpan);
            }
            else
            {
                _tickMs = 0;
            }
        }

        if (expired is not null)
        {
            foreach (var item in expired)
            {
                _expire(item);
            }
        }
    }
}
