using System.Diagnostics;
using System.Globalization;
using Bridge.Contracts.V1;
using Bridge.Host.Store;

namespace Bridge.Benchmarks.Store;

/// <summary>
/// The store's share of a relay, without the broker: per message what the bridge does with the
/// SQLite file (the ingest lookup, the origin record, the delivery lookup and the delivered copy
/// per target) in the batch sizes the group commits produce under load. Reports messages/s, the
/// time per message, how long one batch's store work took (p50, p99, max: a checkpoint inside a
/// commit shows there) and the file's bytes per message, for a fresh file and again for one
/// already holding the first pass's rows (a store grows; its cost should not); then what a
/// retention sweep costs.
/// </summary>
internal static class StoreBenchmark
{
    public const string Usage = """
        store [options]     the SQLite store's work per relayed message, without the broker
          --messages N      messages per pass (default 100000)
          --targets N       delivered copies per message (default 1)
          --batch N         messages per store transaction (default 50)
          --merge-at N      appended rows that start a merge into the indexes (default 8192, the store's)
          --path PATH       the SQLite file (default: a fresh temporary file, deleted afterwards)
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        var messages = Option(args, "--messages", 100_000);
        var targets = Option(args, "--targets", 1);
        var batch = Option(args, "--batch", 50);
        var mergeAt = Option(args, "--merge-at", SqliteBridgeStore.DefaultMergeAt);
        var path = OptionText(args, "--path") ?? Path.Combine(Path.GetTempPath(), $"bridge-store-bench-{Guid.NewGuid():N}.db");
        Console.WriteLine($"store benchmark: {messages} messages per pass, {targets} target(s), {batch} per transaction, merge at {mergeAt} rows, {path}");
        try
        {
            await using var store = new SqliteBridgeStore(path) { MergeAt = mergeAt };
            await store.InitializeAsync(CancellationToken.None);
            await PassAsync(store, "warm-up", messages / 10, targets, batch, path);
            await PassAsync(store, "pass 1", messages, targets, batch, path);
            await PassAsync(store, "pass 2", messages, targets, batch, path);
            await SweepAsync(store);
        }
        finally
        {
            if (OptionText(args, "--path") is null)
            {
                foreach (var file in new[] { path, path + "-wal", path + "-shm", path + "-index", path + "-index-wal", path + "-index-shm", path + ".lock" })
                {
                    File.Delete(file);
                }
            }
        }

        return 0;
    }

    private static async Task PassAsync(SqliteBridgeStore store, string label, int messages, int targets, int batch, string path)
    {
        var source = new EndpointRef("erl", EndpointKind.Group, "room-1");
        var copies = Enumerable.Range(0, targets).Select(t => new EndpointRef($"t{t}", EndpointKind.Room, "room-1")).ToArray();
        var sizeBefore = FileBytes(path);
        var clock = Stopwatch.StartNew();
        var ingests = new List<IngestRecord>(batch);
        var deliveries = new List<DeliveryRecord>(batch * targets);
        var keys = new List<(Guid, EndpointRef)>(batch * targets);
        var batchMs = new List<double>(messages / batch + 1);
        for (var done = 0; done < messages; done += batch)
        {
            var started = clock.Elapsed;
            ingests.Clear();
            deliveries.Clear();
            keys.Clear();
            for (var i = 0; i < batch; i++)
            {
                var id = Guid.NewGuid();
                var native = id.ToString("N")[..12];
                await store.LookupIngestAsync(id, source.Connector, native, CancellationToken.None);
                ingests.Add(new IngestRecord(id, source, native));
                foreach (var copy in copies)
                {
                    keys.Add((id, copy));
                    deliveries.Add(new DeliveryRecord(id, copy, native + copy.Connector));
                }
            }

            await store.RecordIngestsAsync(ingests, CancellationToken.None);
            await store.FindNativesAsync(keys, CancellationToken.None);
            await store.RecordDeliveriesAsync(deliveries, CancellationToken.None);
            batchMs.Add((clock.Elapsed - started).TotalMilliseconds);
        }

        var seconds = clock.Elapsed.TotalSeconds;
        var grown = FileBytes(path) - sizeBefore;
        batchMs.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {label,-8} {messages / seconds,9:F0} msg/s  {seconds * 1e6 / messages,6:F1} µs/msg  batch p50 {Quantile(batchMs, 0.5),5:F1} p99 {Quantile(batchMs, 0.99),5:F1} max {batchMs[^1],6:F1} ms  file +{grown / (double)messages,5:F0} B/msg (now {FileBytes(path) / 1e6:F1} MB)"));
    }

    /// <summary>
    /// One retention sweep that finds nothing to remove: what each sweep costs the relay (its 256
    /// slices hold the store's lock in turn). A sweep first merges the rows not merged yet (on the
    /// merge's own connection, beside the relay's), so the first slice is reported apart with that merge.
    /// </summary>
    private static async Task SweepAsync(SqliteBridgeStore store)
    {
        var unmerged = store.Unmerged;
        var longest = 0.0;
        var first = 0.0;
        var clock = Stopwatch.StartNew();
        for (var slice = 0; slice <= byte.MaxValue; slice++)
        {
            var started = clock.Elapsed;
            await store.PruneAsync(DateTimeOffset.UtcNow.AddDays(-1), (byte)slice, CancellationToken.None);
            var took = (clock.Elapsed - started).TotalMilliseconds;
            if (slice == 0)
            {
                first = took;
            }
            else
            {
                longest = Math.Max(longest, took);
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  retention sweep (nothing old): {clock.Elapsed.TotalMilliseconds:F0} ms for 256 slices; the first {first:F1} ms (with merging the {unmerged} rows not merged yet), the longest of the others {longest:F1} ms"));
    }

    private static double Quantile(List<double> sorted, double q) => sorted[Math.Min(sorted.Count - 1, (int)(q * sorted.Count))];

    private static long FileBytes(string path) =>
        new[] { path, path + "-wal", path + "-index", path + "-index-wal" }.Where(File.Exists).Sum(f => new FileInfo(f).Length);

    private static int Option(string[] args, string name, int fallback) =>
        OptionText(args, name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    private static string? OptionText(string[] args, string name)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }
}
