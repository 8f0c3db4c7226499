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
        var rates = string.Concat(settings.Rates.Select(r => string.Create(CultureInfo.InvariantCulture, $" @{r:0}/s p50 / p95 / p99 / max ms |")));
        var rateAligns = string.Concat(settings.Rates.Select(_ => "---:|"));
        sb.AppendLine(CultureInfo.InvariantCulture, $"| scenario | connectors | rooms | payload | saturation msg/s | vs raw | saturation p50 / p99 ms |{rates} bridge CPU µs / delivery | cores at saturation: bridge / broker / harness (machine) | bridge RSS MB (end / peak) | lost / dup |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"|---|---:|---:|---:|---:|---:|---:|{rateAligns}---:|---:|---:|---:|");
        foreach (var r in results)
        {
            var s = r.Saturation;
            var raw = results.FirstOrDefault(b => b.Spec.Source == "raw" && b.Spec.Payload == r.Spec.Payload && b != r);
            var ratio = r.Spec.Source == "raw" || r.Error is not null || raw is null || raw.Saturation.DeliveriesPerSecond == 0
                ? "—"
                : (s.DeliveriesPerSecond / raw.Saturation.DeliveriesPerSecond).ToString("0.00", CultureInfo.InvariantCulture);
            var paced = string.Concat(settings.Rates.Select((_, i) => i < r.Paced.Count ? $" {F(r.Paced[i].P50)} / {F(r.Paced[i].P95)} / {F(r.Paced[i].P99)} / {F(r.Paced[i].Max)} |" : " — |"));
            var cpu = r.CpuMicrosPerDelivery > 0 ? r.CpuMicrosPerDelivery.ToString("0", CultureInfo.InvariantCulture) : "—";
            var rss = r.Spec.Source == "raw" || r.Error is not null ? "—" : $"{Mb(r.RssBytes)} / {Mb(r.PeakRssBytes)}";
            var lost = r.Paced.Sum(p => p.Lost) + s.Lost;
            var dup = r.Paced.Sum(p => p.Duplicates) + s.Duplicates;
            var connectors = r.Spec.Source == "raw" ? "—" : r.Spec.Connectors.ToString(CultureInfo.InvariantCulture);
            var rooms = r.Spec.Source == "raw" ? "—" : r.Spec.Rooms.ToString(CultureInfo.InvariantCulture);
            var label = r.Error is null ? r.Spec.Label : $"{r.Spec.Label} (failed: {r.Error})";
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {label} | {connectors} | {rooms} | {RawBrokerBaseline.Size(r.Spec.Payload)} | {s.DeliveriesPerSecond:0} | {ratio} | {F(s.P50)} / {F(s.P99)} |{paced} {cpu} | {r.Cpu?.ToString() ?? "—"} | {rss} | {lost} / {dup} |");
        }

        var repeated = results.Where(r => r.Runs.Count > 1).ToList();
        if (repeated.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Each row is the median of its runs by saturation throughput; every run (saturation msg/s, bridge CPU µs / delivery, peak RSS MB), in the order they ran:");
            sb.AppendLine();
            foreach (var r in repeated)
            {
                var runs = string.Join(", ", r.Runs.Select(Run));
                sb.AppendLine(CultureInfo.InvariantCulture, $"- {r.Spec.Label}: {runs}");
            }
        }

        return sb.ToString();
    }

    private static string Run(RelayResult run)
    {
        if (run.Error is not null)
        {
            return "failed";
        }

        var cpu = run.CpuMicrosPerDelivery > 0 ? string.Create(CultureInfo.InvariantCulture, $" / {run.CpuMicrosPerDelivery:0} µs") : "";
        var rss = run.Spec.Source == "raw" ? "" : $" / {Mb(run.PeakRssBytes)} MB";
        return string.Create(CultureInfo.InvariantCulture, $"{run.Saturation.DeliveriesPerSecond:0}{cpu}{rss}");
    }

    private static string F(double ms) => double.IsNaN(ms) ? "—" : ms.ToString(ms < 10 ? "0.0" : "0", CultureInfo.InvariantCulture);

    private static string Mb(long bytes) => (bytes / 1048576.0).ToString("0", CultureInfo.InvariantCulture);
}
