using System.Diagnostics;

namespace Bridge.Benchmarks.Relay;

/// <summary>
/// Injects one phase's messages, round-robin over the rooms: either paced at a fixed offered rate,
/// or as fast as the pipeline takes them with at most <c>window</c> messages in flight (saturation).
/// Then waits until every delivery arrived, or until no progress was made for the idle timeout.
/// </summary>
public static class LoadDriver
{
    public static async Task RunAsync(ArrivalRecorder recorder, Func<int, string, ValueTask> send, int rooms, int payload, double? rate, int window, TimeSpan idleTimeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        for (var seq = 0; seq < recorder.Messages; seq++)
        {
            if (rate is { } r)
            {
                var due = TimeSpan.FromSeconds(seq / r);
                var wait = due - clock.Elapsed;
                if (wait > TimeSpan.FromMilliseconds(2))
                {
                    await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                while (seq - (recorder.Delivered / recorder.Targets) >= window)
                {
                    await Task.Delay(1, cancellationToken).ConfigureAwait(false);
                }
            }

            var text = recorder.Text(seq, payload);
            recorder.Sending(seq);
            await send(seq % rooms, text).ConfigureAwait(false);
        }

        await DrainAsync(recorder, idleTimeout, cancellationToken).ConfigureAwait(false);
    }

    public static async Task DrainAsync(ArrivalRecorder recorder, TimeSpan idleTimeout, CancellationToken cancellationToken)
    {
        var idle = Stopwatch.StartNew();
        var last = recorder.Delivered;
        while (recorder.Delivered < recorder.Expected && idle.Elapsed < idleTimeout)
        {
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
            var now = recorder.Delivered;
            if (now != last)
            {
                last = now;
                idle.Restart();
            }
        }
    }
}
