namespace Bridge.Connectors.Abstractions;

/// <summary>
/// Set by a connector once a send's request is on its way to the backend (written to the
/// session's connection), before the backend's answer. A send started after that reaches the
/// backend after this one, so the delivery consumer may start a conversation's next send then
/// (see <see cref="ConnectorCapabilities.PipelinedSends"/>). Cheap when nobody waits: the task is
/// made only for a caller that asks before it was set.
/// </summary>
public sealed class SendWritten
{
    private TaskCompletionSource? _waiter;
    private int _set;

    public bool IsSet => Volatile.Read(ref _set) == 1;

    public void Set()
    {
        // The exchange is a full fence: a waiter registered before it is seen below, and one
        // registered after it sees the flag.
        if (Interlocked.Exchange(ref _set, 1) == 0)
        {
            Volatile.Read(ref _waiter)?.TrySetResult();
        }
    }

    /// <summary>Completes once <see cref="Set"/> was called.</summary>
    public Task WhenSet()
    {
        if (IsSet)
        {
            return Task.CompletedTask;
        }

        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        waiter = Interlocked.CompareExchange(ref _waiter, waiter, null) ?? waiter;
        if (IsSet)
        {
            waiter.TrySetResult();
        }

        return waiter.Task;
    }
}
