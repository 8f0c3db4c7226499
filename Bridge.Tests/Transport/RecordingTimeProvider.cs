using System.Collections.Concurrent;

namespace Bridge.Tests.Transport;

/// <summary>
/// The system clock, but every timer it creates records its due time: with the watchdog off, the
/// only timers a <see cref="Bridge.Connectors.Transport.SessionSupervisor"/> creates are its backoff
/// delays, so a test reads the exact delays used without waiting on them being long.
/// </summary>
internal sealed class RecordingTimeProvider : TimeProvider
{
    private readonly ConcurrentQueue<TimeSpan> _delays = new();

    public IReadOnlyList<TimeSpan> Delays => [.. _delays];

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        _delays.Enqueue(dueTime);
        return System.CreateTimer(callback, state, dueTime, period);
    }
}
