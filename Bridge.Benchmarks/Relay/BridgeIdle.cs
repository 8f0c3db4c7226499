using System.Diagnostics;

namespace Bridge.Benchmarks.Relay;

/// <summary>Waits until the bridge process stops using CPU: what its JIT and background work had queued is done.</summary>
public static class BridgeIdle
{
    /// <summary>Below this share of a core over one <see cref="Window"/> the bridge counts as idle.</summary>
    private const double IdleCores = 0.05;

    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(500);

    /// <summary>Returns how long it took; gives up after <paramref name="limit"/> (default 20 s) and returns that.</summary>
    public static async Task<TimeSpan> WaitAsync(int pid, CancellationToken cancellationToken, TimeSpan? limit = null)
    {
        var max = limit ?? TimeSpan.FromSeconds(20);
        var start = Stopwatch.GetTimestamp();
        var before = MachineCpu.ProcessCpu(pid);
        while (Stopwatch.GetElapsedTime(start) < max)
        {
            await Task.Delay(Window, cancellationToken).ConfigureAwait(false);
            var now = MachineCpu.ProcessCpu(pid);
            if ((now - before) / Window < IdleCores)
            {
                return Stopwatch.GetElapsedTime(start);
            }

            before = now;
        }

        return max;
    }
}
