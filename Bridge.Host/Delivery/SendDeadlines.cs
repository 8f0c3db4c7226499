namespace Bridge.Host.Delivery;

/// <summary>
/// The per-attempt send timeout as a token shared by the attempts that start within one slice of
/// time (a sixteenth of the timeout, at least 1 ms) under the same caller token: one linked source
/// and one timer per slice instead of one per attempt (a batch's sends mostly start within one
/// slice). Every attempt still gets the whole timeout: a slice is cancelled at its start plus the
/// timeout plus its width, and takes new attempts only during its width. Belongs to one batch;
/// <see cref="Dispose"/> once the batch's sends are done.
/// </summary>
internal sealed class SendDeadlines(TimeSpan timeout) : IDisposable
{
    private readonly long _widthMs = Math.Max(1, (long)timeout.TotalMilliseconds / 16);
    private readonly Lock _gate = new();
    private readonly List<CancellationTokenSource> _slices = [];
    private CancellationTokenSource? _current;
    private CancellationToken _currentCaller;
    private long _currentEndsAt;
    private bool _disposed;

    /// <summary>A token cancelled when <paramref name="caller"/> is, or once the timeout has passed from now (a little later at most).</summary>
    public CancellationToken For(CancellationToken caller)
    {
        var now = Environment.TickCount64;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_current is { } current && now < _currentEndsAt && _currentCaller == caller)
            {
                return current.Token;
            }

            // Slices that have fired are done with: every attempt that held their token was cancelled.
            _slices.RemoveAll(static fired =>
            {
                if (!fired.IsCancellationRequested)
                {
                    return false;
                }

                fired.Dispose();
                return true;
            });
            var slice = CancellationTokenSource.CreateLinkedTokenSource(caller);
            slice.CancelAfter(timeout + TimeSpan.FromMilliseconds(_widthMs));
            _slices.Add(slice);
            (_current, _currentCaller, _currentEndsAt) = (slice, caller, now + _widthMs);
            return slice.Token;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var slice in _slices)
            {
                slice.Dispose();
            }

            _slices.Clear();
            _current = null;
            _disposed = true;
        }
    }
}
