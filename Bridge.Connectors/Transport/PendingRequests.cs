using System.Collections.Concurrent;

namespace Bridge.Connectors.Transport;

/// <summary>
/// Requests waiting for their answer, keyed by whatever the protocol echoes (sequence number,
/// MsgId, cliMid). A second wait on a key already in flight joins the first, so a retried send of
/// the same idempotency key does not put a second copy on the wire while the first is pending.
/// A wait's timeout is a deadline checked by the instance's one timer (<see cref="DeadlineSweep{T}"/>),
/// and the wait is the request's own task: no timer, linked task or state machine per request.
/// </summary>
public sealed class PendingRequests<TKey, TValue>
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, Request> _pending = new();
    private readonly DeadlineSweep<Request> _deadlines;

    public PendingRequests() => _deadlines = new DeadlineSweep<Request>(static request => request.Expire());

    public int Count => _pending.Count;

    /// <summary>Waits whose deadline is being watched (for tests).</summary>
    internal int Watched => _deadlines.Count;

    /// <summary>Registers a key; <paramref name="isNew"/> is false when the key was already in flight.</summary>
    public Task<TValue> Register(TKey key, out bool isNew)
    {
        var created = new Request(this, key);
        var actual = _pending.GetOrAdd(key, created);
        isNew = ReferenceEquals(actual, created);
        return actual.Task;
    }

    public bool Contains(TKey key) => _pending.ContainsKey(key);

    public bool TryComplete(TKey key, TValue value) =>
        _pending.TryRemove(key, out var request) && request.Settle() && request.TrySetResult(value);

    public bool TryFail(TKey key, Exception error) =>
        _pending.TryRemove(key, out var request) && request.Settle() && request.TrySetException(error);

    public void Forget(TKey key) => _pending.TryRemove(key, out _);

    /// <summary>Fails everything in flight (the connection dropped).</summary>
    public void FailAll(Exception error)
    {
        foreach (var key in _pending.Keys)
        {
            TryFail(key, error);
        }
    }

    /// <summary>
    /// Waits for the answer; on timeout forgets the key and throws <see cref="TimeoutException"/>,
    /// on cancellation forgets it and throws <see cref="OperationCanceledException"/>. The first
    /// wait's timeout and cancellation end the request itself, so a wait that joined it ends too;
    /// a joining wait with a cancellation of its own gives up alone.
    /// </summary>
    public Task<TValue> WaitAsync(TKey key, Task<TValue> answer, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (answer.IsCompleted)
        {
            return answer;
        }

        if (_pending.TryGetValue(key, out var request) && request.Task == answer && request.Watch(timeout, cancellationToken))
        {
            return answer;
        }

        // A key forgotten meanwhile, or a second wait with a cancellation of its own.
        return WaitAloneAsync(key, answer, timeout, cancellationToken);
    }

    private async Task<TValue> WaitAloneAsync(TKey key, Task<TValue> answer, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            return await answer.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Forget(key, answer);
            throw NoAnswer(timeout);
        }
        catch (OperationCanceledException)
        {
            Forget(key, answer);
            throw;
        }
    }

    private static TimeoutException NoAnswer(TimeSpan timeout) => new($"no answer within {timeout.TotalSeconds:0.###} s");

    /// <summary>Forgets the key only while it still holds this answer (not a newer request under the same key).</summary>
    private void Forget(TKey key, Task<TValue> answer)
    {
        if (_pending.TryGetValue(key, out var request) && request.Task == answer)
        {
            request.Forget();
        }
    }

    /// <summary>One request: its answer, and the deadline and cancellation of the wait that watches it.</summary>
    private sealed class Request(PendingRequests<TKey, TValue> owner, TKey key)
        : TaskCompletionSource<TValue>(TaskCreationOptions.RunContinuationsAsynchronously), IDeadlineSlot
    {
        private CancellationTokenRegistration _cancellation;
        private TimeSpan _timeout;
        private bool _watched;
        private bool _settled;

        public int DeadlineSlot { get; set; } = -1;

        /// <summary>
        /// The first wait watches the request (its timeout and its cancellation); a later one
        /// joins it when it brings no cancellation of its own. False: wait alone.
        /// </summary>
        public bool Watch(TimeSpan timeout, CancellationToken cancellationToken)
        {
            lock (this)
            {
                if (_watched || _settled)
                {
                    return _settled || !cancellationToken.CanBeCanceled;
                }

                _watched = true;
                _timeout = timeout;
                if (cancellationToken.CanBeCanceled)
                {
                    // Cancelled already: the callback runs here and settles the request.
                    _cancellation = cancellationToken.UnsafeRegister(static (state, token) => ((Request)state!).Cancel(token), this);
                }

                if (!_settled && timeout != Timeout.InfiniteTimeSpan)
                {
                    owner._deadlines.Add(this, timeout);
                }

                return true;
            }
        }

        /// <summary>True for the one caller that may complete the task; lets go of the wait's timer slot and cancellation.</summary>
        public bool Settle()
        {
            CancellationTokenRegistration cancellation;
            lock (this)
            {
                if (_settled)
                {
                    return false;
                }

                _settled = true;
                cancellation = _cancellation;
                _cancellation = default;
            }

            cancellation.Unregister();
            owner._deadlines.Remove(this);
            return true;
        }

        public void Expire()
        {
            Forget();
            if (Settle())
            {
                TrySetException(NoAnswer(_timeout));
            }
        }

        private void Cancel(CancellationToken token)
        {
            Forget();
            if (Settle())
            {
                TrySetCanceled(token);
            }
        }

        /// <summary>Forgets the key only while it still holds this request.</summary>
        public void Forget() => owner._pending.TryRemove(new KeyValuePair<TKey, Request>(key, this));
    }
}

/// <summary>The connection went away while a request waited for its answer.</summary>
public sealed class ConnectionLostException(string reason) : IOException(reason);
