using System.Collections.Concurrent;

namespace Bridge.Connectors.Transport;

/// <summary>
/// Requests waiting for their answer, keyed by whatever the protocol echoes (sequence number,
/// MsgId, cliMid). A second wait on a key already in flight joins the first, so a retried send of
/// the same idempotency key does not put a second copy on the wire while the first is pending.
/// </summary>
public sealed class PendingRequests<TKey, TValue>
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, TaskCompletionSource<TValue>> _pending = new();

    public int Count => _pending.Count;

    /// <summary>Registers a key; <paramref name="isNew"/> is false when the key was already in flight.</summary>
    public Task<TValue> Register(TKey key, out bool isNew)
    {
        var created = new TaskCompletionSource<TValue>(TaskCreationOptions.RunContinuationsAsynchronously);
        var actual = _pending.GetOrAdd(key, created);
        isNew = ReferenceEquals(actual, created);
        return actual.Task;
    }

    public bool Contains(TKey key) => _pending.ContainsKey(key);

    public bool TryComplete(TKey key, TValue value) =>
        _pending.TryRemove(key, out var tcs) && tcs.TrySetResult(value);

    public bool TryFail(TKey key, Exception error) =>
        _pending.TryRemove(key, out var tcs) && tcs.TrySetException(error);

    public void Forget(TKey key) => _pending.TryRemove(key, out _);

    /// <summary>Fails everything in flight (the connection dropped).</summary>
    public void FailAll(Exception error)
    {
        foreach (var key in _pending.Keys)
        {
            TryFail(key, error);
        }
    }

    /// <summary>Waits for the answer; on timeout forgets the key and throws <see cref="TimeoutException"/>.</summary>
    public async Task<TValue> WaitAsync(TKey key, Task<TValue> answer, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            return await answer.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Forget(key, answer);
            throw new TimeoutException($"no answer within {timeout.TotalSeconds:0.###} s");
        }
        catch (OperationCanceledException)
        {
            Forget(key, answer);
            throw;
        }
    }

    /// <summary>Forgets the key only while it still holds this answer (not a newer request under the same key).</summary>
    private void Forget(TKey key, Task<TValue> answer)
    {
        if (_pending.TryGetValue(key, out var tcs) && tcs.Task == answer)
        {
            _pending.TryRemove(new KeyValuePair<TKey, TaskCompletionSource<TValue>>(key, tcs));
        }
    }
}

/// <summary>The connection went away while a request waited for its answer.</summary>
public sealed class ConnectionLostException(string reason) : IOException(reason);
