using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Bridge.Tests.Infrastructure;

/// <summary>
/// Watches the test process's thread pool from a thread of its own: four times a second it queues
/// one work item and notes when that item waited more than <see cref="Threshold"/> to run. In such
/// a stall no timer fires and no continuation runs, in any test, so a wait for a condition that
/// times out says whether one overlapped it (<see cref="During"/>): a slow-but-correct run then
/// reads differently from a lost message.
/// </summary>
public static class ThreadPoolStalls
{
    public static readonly TimeSpan Threshold = TimeSpan.FromSeconds(1);

    private static readonly ConcurrentQueue<(DateTime Start, TimeSpan Length)> Seen = new();

    /// <summary>When the stall going on now began (ticks of <see cref="DateTime.UtcNow"/>), or 0.</summary>
    private static long _stalledSince;

#pragma warning disable CA2255 // A test assembly's own set-up: the watch must run before the first test.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Start() =>
        new Thread(Watch) { IsBackground = true, Name = "thread-pool stall watch" }.Start();

    /// <summary>The stalls that overlapped the time from <paramref name="since"/> until now, as a clause to append to a failure message (empty if none).</summary>
    public static string During(DateTime since)
    {
        var overlapping = Seen.Where(s => s.Start + s.Length >= since).ToList();
        if (Interlocked.Read(ref _stalledSince) is var ticks and > 0)
        {
            var start = new DateTime(ticks, DateTimeKind.Utc);
            overlapping.Add((start, DateTime.UtcNow - start));
        }

        if (overlapping.Count == 0)
        {
            return string.Empty;
        }

        var each = string.Join(", ", overlapping.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Length.TotalSeconds:0.0} s from {s.Start:HH:mm:ss.f}")));
        return $" (meanwhile the thread pool ran nothing for {each}: no timer fired and no continuation ran in this process then)";
    }

    private static void Watch()
    {
        using var ran = new ManualResetEventSlim();
        while (true)
        {
            Thread.Sleep(250);
            ran.Reset();
            var start = DateTime.UtcNow;
            var waited = Stopwatch.StartNew();
            ThreadPool.UnsafeQueueUserWorkItem(static e => e.Set(), ran, preferLocal: false);
            if (!ran.Wait(Threshold))
            {
                Interlocked.Exchange(ref _stalledSince, start.Ticks);
                ran.Wait();
                Seen.Enqueue((start, waited.Elapsed));
                Interlocked.Exchange(ref _stalledSince, 0);
            }
        }
    }
}
