namespace Bridge.Host.Bus;

/// <summary>
/// Group commit: items are committed in the order they were added, by one flush at a time. The
/// first item after an idle spell is flushed at once, alone; items added while a flush is running
/// wait and go together in the next one (at most <c>maxBatch</c> at a time). Under load one flush
/// (one broker message, one confirm, one store transaction) covers many items; idle, an item waits
/// for nothing. Each caller's task completes when the flush holding its item completed, or fails
/// with that flush's exception; a failed flush does not stop the ones after it. With a
/// <paramref name="weigh"/> function a batch also stops before its weight (estimated bytes) would
/// pass <paramref name="maxWeight"/>; an item heavier than that still goes, alone.
/// </summary>
internal sealed class GroupCommit<T>(Func<IReadOnlyList<T>, Task> flush, int maxBatch, Func<T, long>? weigh = null, long maxWeight = long.MaxValue)
{
    private readonly object _gate = new();
    private readonly Queue<(T Item, TaskCompletionSource Done)> _pending = new();

    // Only the one running flush loop touches these; kept, so that a flush after an idle spell
    // (one item, at low rates every item) does not allocate two lists of maxBatch again.
    private readonly List<T> _items = [];
    private readonly List<TaskCompletionSource> _waiters = [];
    private bool _flushing;

    public int MaxBatch => maxBatch;

    /// <summary>Adds an item; the task completes once its flush did.</summary>
    public Task Add(T item) => Add(item, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>
    /// Adds an item whose flush completes (or faults) <paramref name="done"/>: the caller's own
    /// completion, so that one object can also stand for the item elsewhere. It should run its
    /// continuations asynchronously, as the default one does.
    /// </summary>
    public Task Add(T item, TaskCompletionSource done)
    {
        bool start;
        lock (_gate)
        {
            _pending.Enqueue((item, done));
            start = !_flushing;
            _flushing = true;
        }

        if (start)
        {
            // Not awaited: the loop runs until the queue is empty; callers await their own item. The
            // caller's context (its Activity above all) must not leak into flushes of later items.
            using (ExecutionContext.SuppressFlow())
            {
                _ = Task.Run(FlushLoopAsync);
            }
        }

        return done.Task;
    }

    private async Task FlushLoopAsync()
    {
        var items = _items;
        var waiters = _waiters;
        while (true)
        {
            items.Clear();
            waiters.Clear();
            lock (_gate)
            {
                if (_pending.Count == 0)
                {
                    _flushing = false;
                    return;
                }

                var weight = 0L;
                while (items.Count < maxBatch && _pending.TryPeek(out var next))
                {
                    weight += weigh?.Invoke(next.Item) ?? 0;
                    if (items.Count > 0 && weight > maxWeight)
                    {
                        break;
                    }

                    _pending.Dequeue();
                    items.Add(next.Item);
                    waiters.Add(next.Done);
                }
            }

            try
            {
                await flush(items.ToArray()).ConfigureAwait(false);
                foreach (var w in waiters)
                {
                    w.TrySetResult();
                }
            }
            catch (Exception ex)
            {
                foreach (var w in waiters)
                {
                    w.TrySetException(ex);
                }
            }
        }
    }
}
