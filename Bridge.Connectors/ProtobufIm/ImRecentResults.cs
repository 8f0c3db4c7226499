using Bridge.Connectors.Abstractions;

namespace Bridge.Connectors.ProtobufIm;

/// <summary>The results of recent successful sends by idempotency key (bounded, oldest forgotten first).</summary>
internal sealed class ImRecentResults(int capacity)
{
    private readonly Dictionary<string, SendResult> _results = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();

    public bool TryGet(string key, out SendResult result)
    {
        lock (_results)
        {
            return _results.TryGetValue(key, out result!);
        }
    }

    public void Add(string key, SendResult result)
    {
        lock (_results)
        {
            if (!_results.TryAdd(key, result))
            {
                return;
            }

            _order.Enqueue(key);
            while (_order.Count > capacity)
            {
                _results.Remove(_order.Dequeue());
            }
        }
    }
}
