namespace Bridge.Host.Ingest;

/// <summary>
/// Runs work items with the same key strictly one after another, in the order they were
/// submitted; different keys run concurrently. A failed item does not stop the ones after it.
/// </summary>
internal sealed class OrderedLanes
{
    private readonly Dictionary<string, Task> _tails = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _tails.Count;
            }
        }
    }

    public Task<T> Run<T>(string key, Func<Task<T>> work)
    {
        Task<T> result;
        Task tail;
        lock (_gate)
        {
            var previous = _tails.GetValueOrDefault(key) ?? Task.CompletedTask;
            result = RunAfter(previous, work);
            tail = result.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            _tails[key] = tail;
        }

        tail.ContinueWith(_ => Forget(key, tail), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return result;
    }

    private void Forget(string key, Task tail)
    {
        lock (_gate)
        {
            if (_tails.TryGetValue(key, out var current) && ReferenceEquals(current, tail))
            {
                _tails.Remove(key);
            }
        }
    }

    private static async Task<T> RunAfter<T>(Task previous, Func<Task<T>> work)
    {
        if (!previous.IsCompleted)
        {
            await previous.ConfigureAwait(false);
        }

        return await work().ConfigureAwait(false);
    }
}
