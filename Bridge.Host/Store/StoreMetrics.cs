using System.Diagnostics.Metrics;
using Bridge.Host.Telemetry;

namespace Bridge.Host.Store;

/// <summary>
/// <c>bridge.store.unmerged</c>: id-map rows appended and held in memory whose entries are not
/// yet merged into the store's indexes, per open store file. It climbs to the merge threshold and falls back
/// after each merge; one that keeps climbing means merges fall behind (or fail: a warning says so).
/// </summary>
internal static class StoreMetrics
{
    private static readonly object Gate = new();
    private static readonly List<SqliteBridgeStore> Open = [];
    private static ObservableGauge<int>? unmerged;

    public static void Register(SqliteBridgeStore store)
    {
        lock (Gate)
        {
            Open.Add(store);
            unmerged ??= BridgeTelemetry.Meter.CreateObservableGauge(
                "bridge.store.unmerged",
                Observe,
                unit: "{row}",
                description: "Id-map rows appended and not merged into the store's indexes yet");
        }
    }

    public static void Unregister(SqliteBridgeStore store)
    {
        lock (Gate)
        {
            Open.Remove(store);
        }
    }

    private static Measurement<int>[] Observe()
    {
        lock (Gate)
        {
            return Open.Select(s => new Measurement<int>(s.Unmerged, new KeyValuePair<string, object?>("path", s.Path))).ToArray();
        }
    }
}
