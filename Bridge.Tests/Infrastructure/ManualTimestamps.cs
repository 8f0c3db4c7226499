namespace Bridge.Tests.Infrastructure;

/// <summary>A clock whose timestamps move only when the test says so (wall-clock time stays the system's).</summary>
internal sealed class ManualTimestamps : TimeProvider
{
    private long _ticks = 1_000_000;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
