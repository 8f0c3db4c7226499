using System.Diagnostics;

namespace Bridge.Benchmarks.Relay;

/// <summary>Waits until the bridge process stops using CPU: what its JIT and background work had queued is done.</summary>
public static class BridgeIdle
{
    /// <summary>Below this share of a core over one <see cref="Window"/> the bridge counts as idle.</summary>
    private const double IdleCores = 0.05;

    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(500);

    /// <summary>A bridge that keeps working longer than this is measured anyway.</summary>
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(20);

    /// <summary>Returns how long it took (<see cref="MaxWait"/> when it gave up).</summary>
    public static async Task<TimeSpan> WaitAsync(int pid, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var before = MachineCpu.ProcessCpu(pid);
        while (Stopwatch.GetElapsedTime(start) < MaxWait)
        {
            await Task.Delay(Window, cancellationToken).ConfigureAwait(false);
            var now = MachineCpu.ProcessCpu(pid);
            if ((now - before) / Window < IdleCores)
            {
                return Stopwatch.GetElapsedTime(start);
            }

            before = now;
        }

        return MaxWait;
    }
}
