namespace Bridge.Connectors.Abstractions;

/// <summary>
/// A bounded set of recently seen ids (message ids handed over, sent or acknowledged): when it is
/// full, the oldest added is forgotten first. Thread-safe. Across restarts the sink's own dedupe on
/// the deterministic event id does the same job.
/// </summary>
public sealed class RecentSet<T>(int capacity)
    where T : notnull
{
    private readonly HashSet<T> _set = [];
    private readonly Queue<T> _order = new();
    private readonly Lock _gate = new();

    public bool Contains(T id)
    {
        lock (_gate)
        {
            return _set.Contains(id);
        }
    }

    /// <summary>Adds the id; false when it was already there.</summary>
    public bool Add(T id)
    {
        lock (_gate)
        {
            if (!_set.Add(id))
            {
                return false;
            }

            _order.Enqueue(id);
            while (_order.Count > capacity)
            {
                _set.Remove(_order.Dequeue());
            }

            return true;
        }
    }

    /// <summary>Forgets the id.</summary>
    public void Remove(T id)
    {
        lock (_gate)
        {
            _set.Remove(id);
        }
    }
}
