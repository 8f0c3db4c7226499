using Bridge.Connectors.Transport;

namespace Bridge.Connectors.Xnest;

/// <summary>
/// Room sends waiting for their own <c>normal</c> echo, the only confirmation xnest gives. Matched
/// by the exact text, first come first served (two sends of the same text are confirmed in order).
/// A send's timeout is a deadline on a sweep the connector's rooms share (<see cref="DeadlineSweep{T}"/>
/// on the connector's clock: one timer for a thousand rooms, where a sweep per room would tick a
/// thousand times as often), not a timer of its own; at the deadline the wait fails with a
/// <see cref="TimeoutException"/> and leaves the list.
/// </summary>
internal sealed class XnestEchoWaiters(DeadlineSweep<EchoWaiter> deadlines)
{
    private readonly Dictionary<string, LinkedList<EchoWaiter>> _byText = new(StringComparer.Ordinal);
    private readonly DeadlineSweep<EchoWaiter> _deadlines = deadlines;

    /// <summary>A sweep for the echo waits of a connector's rooms.</summary>
    public static DeadlineSweep<EchoWaiter> NewDeadlines(TimeProvider time) =>
        new(static waiter => waiter.Expire(), time);

    /// <summary>Waits being timed on the sweep (of every room sharing it; for tests).</summary>
    internal int Timed => _deadlines.Count;

    /// <summary>Queues a wait for this text's echo; its timeout starts with <see cref="Watch"/>.</summary>
    public EchoWaiter Register(string text)
    {
        var waiter = new EchoWaiter(text, this);
        lock (_byText)
        {
            if (!_byText.TryGetValue(text, out var list))
            {
                _byText[text] = list = new LinkedList<EchoWaiter>();
            }

            list.AddLast(waiter);
        }

        return waiter;
    }

    /// <summary>Starts the wait's timeout (once its frame is written).</summary>
    public void Watch(EchoWaiter waiter, TimeSpan timeout)
    {
        if (!waiter.Task.IsCompleted)
        {
            _deadlines.Add(waiter, timeout);
        }
    }

    /// <summary>Confirms the oldest send of this text with the echo's derived id; false when none waited.</summary>
    public bool Complete(string text, string nativeId)
    {
        EchoWaiter? waiter;
        lock (_byText)
        {
            if (!_byText.TryGetValue(text, out var list) || list.First is null)
            {
                return false;
            }

            waiter = list.First.Value;
            list.RemoveFirst();
            if (list.Count == 0)
            {
                _byText.Remove(text);
            }
        }

        _deadlines.Remove(waiter);
        return waiter.TrySetResult(nativeId);
    }

    /// <summary>Forgets a wait (its send failed, or its caller gave up); a later echo of the text goes to the next.</summary>
    public void Remove(EchoWaiter waiter)
    {
        _deadlines.Remove(waiter);
        lock (_byText)
        {
            if (_byText.TryGetValue(waiter.Text, out var list) && list.Remove(waiter) && list.Count == 0)
            {
                _byText.Remove(waiter.Text);
            }
        }
    }

    public void FailAll(Exception error)
    {
        List<EchoWaiter> all;
        lock (_byText)
        {
            all = _byText.Values.SelectMany(l => l).ToList();
            _byText.Clear();
        }

        foreach (var waiter in all)
        {
            _deadlines.Remove(waiter);
            waiter.TrySetException(error);
        }
    }

}

/// <summary>One send waiting for its echo: completes with the echo's derived id.</summary>
internal sealed class EchoWaiter(string text, XnestEchoWaiters owner) : TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously), IDeadlineSlot
{
    public string Text { get; } = text;

    public int DeadlineSlot { get; set; } = -1;

    /// <summary>The deadline passed: the wait leaves its room's list and fails.</summary>
    public void Expire()
    {
        owner.Remove(this);
        TrySetException(new TimeoutException());
    }
}
