using Microsoft.Extensions.Hosting;

namespace Bridge.Host.Runtime;

/// <summary>
/// Every <see cref="Interval"/>, hands the C allocator's free pages back to the kernel
/// (<see cref="NativeHeap.TryTrim"/>). SQLite's page caches and sorters and the runtime's native
/// allocations churn through glibc's arenas under load, and glibc gives freed memory back by itself
/// only from the top of a heap: the pages freed below a block still in use stay resident. Measured
/// on the sustained fan-out over 1,000 rooms, eight pairs: the bridge peaked at 182-190 MB instead
/// of 189-195 (the allocator 13-17 MB instead of 17-28, one run 22) at the same throughput; a trim
/// took about 0.35 ms, at most 15 ms.
/// </summary>
internal sealed class NativeHeapTrimmer(TimeProvider time) : BackgroundService
{
    internal static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                if (!NativeHeap.TryTrim(out _))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
