namespace Bridge.Host.Bus;

/// <summary>
/// Whether the bridge's sends on the bus are being confirmed. The bus's own health covers its
/// receive endpoints only; after a broker restart the publishing side can stay stuck while every
/// consumer looks healthy (each send then waits out <c>bus.sendTimeout</c>). The ingest and the
/// router report each send here, and <see cref="BusWatchdog"/> treats sends that keep timing out,
/// with none confirmed since, as a stuck bus.
/// </summary>
public sealed class BusSendMonitor(TimeProvider time)
{
    private long _failingSince;

    /// <summary>The broker confirmed a send: whatever failed before is over.</summary>
    public void Confirmed() => Volatile.Write(ref _failingSince, 0);

    /// <summary>A send gave up waiting for the broker's confirm.</summary>
    public void TimedOut() => Interlocked.CompareExchange(ref _failingSince, time.GetTimestamp(), 0);

    /// <summary>How long sends have been timing out with none confirmed since; null while they are confirmed.</summary>
    public TimeSpan? FailingFor
    {
        get
        {
            var since = Volatile.Read(ref _failingSince);
            return since == 0 ? null : time.GetElapsedTime(since);
        }
    }
}
