namespace Bridge.Connectors.ErlangGateway;

/// <summary>A bounded set of recent MsgIds (values, no strings): the oldest is forgotten when the set is full. Thread-safe.</summary>
public sealed class RecentIds(int capacity)
{
    private readonly HashSet<ErlangMsgId> _set = [];
    private readonly Queue<ErlangMsgId> _order = new();
    private readonly Lock _gate = new();

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _set.Count;
            }
        }
    }

    public void Add(ErlangMsgId id)
    {
        lock (_gate)
        {
            if (!_set.Add(id))
            {
                return;
            }

            _order.Enqueue(id);
            while (_order.Count > capacity)
            {
                _set.Remove(_order.Dequeue());
            }
        }
    }

    public bool Contains(ErlangMsgId id)
    {
        lock (_gate)
        {
            return _set.Contains(id);
        }
    }
}
