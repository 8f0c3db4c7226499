using System.Globalization;
using System.Text;
using Bridge.Benchmarks.Baseline;

namespace Bridge.Benchmarks.Relay;

/// <summary>The benchmark's Markdown table: one row per scenario, the raw-broker baseline first.</summary>
public static class ResultTable
{
    public static string Render(IReadOnlyList<RelayResult> results, BenchSettings settings)
    {
        var sb = new StringBuilder();
        var rate = settings.Rate.ToString("0", CultureInfo.InvariantCulture);
        sb.AppendLine(CultureInfo.InvariantCulture, $"| scenario | connectors | rooms | payload | saturation msg/s | vs raw | saturation p50 / p99 ms | @{rate}/s p50 / p95 / p99 / max ms | bridge RSS MB (end / peak) | lost / dup |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            var s = r.Saturation;
            var raw = results.FirstOrDefault(b => b.Spec.Source == "raw" && b.Spec.Payload == r.Spec.Payload && b != r);
            var ratio = r.Spec.Source == "raw" || raw is null || raw.Saturation.DeliveriesPerSecond == 0
                ? "—"
                : (s.DeliveriesPerSecond / raw.Saturation.DeliveriesPerSecond).ToString("0.00", CultureInfo.InvariantCulture);
            var paced = r.Paced is { } p ? $"{F(p.P50)} / {F(p.P95)} / {F(p.P99)} / {F(p.Max)}" : "—";
            var rss = r.Spec.Source == "raw" ? "—" : $"{Mb(r.RssBytes)} / {Mb(r.PeakRssBytes)}";
            var lost = r.Paced is { } pp ? pp.Lost + s.Lost : s.Lost;
            var dup = (r.Paced?.Duplicates ?? 0) + s.Duplicates;
            var connectors = r.Spec.Source == "raw" ? "—" : r.Spec.Connectors.ToString(CultureInfo.InvariantCulture);
            var rooms = r.Spec.Source == "raw" ? "—" : r.Spec.Rooms.ToString(CultureInfo.InvariantCulture);
            var label = r.Error is null ? r.Spec.Label : $"{r.Spec.Label} (failed: {r.Error})";
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {label} | {connectors} | {rooms} | {RawBrokerBaseline.Size(r.Spec.Payload)} | {s.DeliveriesPerSecond:0} | {ratio} | {F(s.P50)} / {F(s.P99)} | {paced} | {rss} | {lost} / {dup} |");
        }

        return sb.ToString();
    }

    private static string F(double ms) => double.IsNaN(ms) ? "—" : ms.ToString(ms < 10 ? "0.0" : "0", CultureInfo.InvariantCulture);

    private static string Mb(long bytes) => (bytes / 1048576.0).ToString("0", CultureInfo.InvariantCulture);
}
