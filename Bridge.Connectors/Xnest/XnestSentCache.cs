namespace Bridge.Connectors.Xnest;

/// <summary>
/// xnest has no client message id, so idempotency is kept here: idempotency keys of confirmed
/// sends (bounded, oldest forgotten first) with their native ids, and sends in flight, which a
/// retry with the same key joins instead of posting a second copy.
/// </summary>
internal sealed class XnestSentCache(int capacity)
{
    private readonly Dictionary<string, string> _confirmed = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();
    private readonly Dictionary<string, Task<Abstractions.SendResult>> _inFlight = new(StringComparer.Ordinal);

    /// <summary>Runs <paramref name="send"/> once per key: a confirmed key returns its earlier result, an in-flight key joins.</summary>
    public async Task<Abstractions.SendResult> RunOnceAsync(string key, Func<Task<Abstractions.SendResult>> send)
    {
        Task<Abstractions.SendResult> task;
        var owner = false;
        lock (_confirmed)
        {
            if (_confirmed.TryGetValue(key, out var id))
            {
                return Abstractions.SendResult.Sent(id);
            }

            if (!_inFlight.TryGetValue(key, out task!))
            {
                task = send();
                _inFlight[key] = task;
                owner = true;
            }
        }

        try
        {
            var result = await task.ConfigureAwait(false);
            if (owner && result.Succeeded)
            {
                lock (_confirmed)
                {
                    if (_confirmed.TryAdd(key, result.NativeMessageId!))
                    {
                        _order.Enqueue(key);
                        if (_order.Count > capacity)
                        {
                            _confirmed.Remove(_order.Dequeue());
                        }
                    }
                }
            }

            return result;
        }
        finally
        {
            if (owner)
            {
                lock (_confirmed)
                {
                    _inFlight.Remove(key);
                }
            }
        }
    }
}
