using Bridge.Host.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bridge.Host.Store;

/// <summary>
/// Keeps the id map to <c>store.retention</c>: every <see cref="Interval"/> it sweeps the map in 256
/// slices by event id (one transaction each, a pause between), removing the rows recorded before
/// the cut-off, so the relay's own store calls are never held up for long. A message older than the
/// retention can no longer be replied to, edited or deleted across the bridge, and a redelivery of
/// it would be relayed again; catch-up reads from cursors, which are kept, so that does not happen
/// in normal operation.
/// </summary>
public sealed class StorePruner(IBridgeStore store, StoreConfig config, ILogger<StorePruner> logger, TimeProvider? time = null) : BackgroundService
{
    internal static readonly TimeSpan Interval = TimeSpan.FromMinutes(10);
    internal static readonly TimeSpan FirstRun = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan PauseBetweenSlices = TimeSpan.FromMilliseconds(20);

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(FirstRun, _time, stoppingToken).ConfigureAwait(false);
            while (true)
            {
                try
                {
                    await PruneOnceAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    StoreLog.PruneFailed(logger, ex.Message);
                }

                await Task.Delay(Interval, _time, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Removes every row older than the retention, slice by slice; returns how many.</summary>
    internal async Task<long> PruneOnceAsync(CancellationToken cancellationToken)
    {
        var before = _time.GetUtcNow() - config.Retention;
        long total = 0;
        for (var slice = 0; slice <= byte.MaxValue; slice++)
        {
            total += await store.PruneAsync(before, (byte)slice, cancellationToken).ConfigureAwait(false);
            await Task.Delay(PauseBetweenSlices, _time, cancellationToken).ConfigureAwait(false);
        }

        if (total > 0)
        {
            StoreLog.Pruned(logger, total, before);
        }

        return total;
    }
}
