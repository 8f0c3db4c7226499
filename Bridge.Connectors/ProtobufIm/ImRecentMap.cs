namespace Bridge.Connectors.ProtobufIm;

/// <summary>Values by string key (idempotency key, client_msg_id), bounded: the oldest added are forgotten first.</summary>
internal sealed class ImRecentMap<TValue>(int capacity)
{
    private readonly Dictionary<string, TValue> _values = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();

    public bool TryGet(string key, out TValue value)
    {
        lock (_values)
        {
            return _values.TryGetValue(key, out value!);
        }
    }

    /// <summary>Adds the key unless it is there (the first value stays).</summary>
    public void Add(string key, TValue value)
    {
        lock (_values)
        {
            if (!_values.TryAdd(key, value))
            {
                return;
            }

            _order.Enqueue(key);
            while (_order.Count > capacity)
            {
                _values.Remove(_order.Dequeue());
            }
        }
    }

    public void Remove(string key)
    {
        lock (_values)
        {
            _values.Remove(key);
        }
    }
}
