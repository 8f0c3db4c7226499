using System.Globalization;
using System.Text;

namespace Bridge.Host.Demo;

/// <summary>
/// Counts and latencies per route (source → target) for the demo's summary table. Deliveries are
/// recorded from the backends' threads while the runner reads the totals, so every access holds a lock.
/// </summary>
public sealed class DemoStatistics
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string From, string To), List<double>> _latencies = [];
    private readonly Dictionary<(string From, string To), int> _sent = [];
    private readonly Dictionary<(string From, string To), int> _duplicates = [];

    public void Sent(string from, string to)
    {
        lock (_gate)
        {
            _sent[(from, to)] = _sent.GetValueOrDefault((from, to)) + 1;
        }
    }

    public void Delivered(string from, string to, double milliseconds)
    {
        lock (_gate)
        {
            if (!_latencies.TryGetValue((from, to), out var list))
            {
                _latencies[(from, to)] = list = [];
            }

            list.Add(milliseconds);
        }
    }

    public void Duplicate(string from, string to)
    {
        lock (_gate)
        {
            _duplicates[(from, to)] = _duplicates.GetValueOrDefault((from, to)) + 1;
        }
    }

    public int TotalSent
    {
        get
        {
            lock (_gate)
            {
                return _sent.Values.Sum();
            }
        }
    }

    public int TotalDelivered
    {
        get
        {
            lock (_gate)
            {
                return _latencies.Values.Sum(l => l.Count);
            }
        }
    }

    public int TotalDuplicates
    {
        get
        {
            lock (_gate)
            {
                return _duplicates.Values.Sum();
            }
        }
    }

    public string Table()
    {
        lock (_gate)
        {
            return TableLocked();
        }
    }

    private string TableLocked()
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"route",-24} {"sent",6} {"delivered",10} {"duplicates",11} {"lost",6} {"p50 ms",8} {"p99 ms",8}");
        foreach (var key in _sent.Keys.OrderBy(k => k.From, StringComparer.Ordinal).ThenBy(k => k.To, StringComparer.Ordinal))
        {
            var latencies = _latencies.GetValueOrDefault(key) ?? [];
            var sent = _sent[key];
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"{key.From + " -> " + key.To,-24} {sent,6} {latencies.Count,10} {_duplicates.GetValueOrDefault(key),11} {Math.Max(0, sent - latencies.Count),6} {Percentile(latencies, 0.50),8:0.0} {Percentile(latencies, 0.99),8:0.0}");
        }

        var all = _latencies.Values.SelectMany(l => l).ToList();
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"{"total",-24} {TotalSent,6} {TotalDelivered,10} {TotalDuplicates,11} {Math.Max(0, TotalSent - TotalDelivered),6} {Percentile(all, 0.50),8:0.0} {Percentile(all, 0.99),8:0.0}");
        return sb.ToString();
    }

    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        var index = (int)Math.Ceiling(p * sorted.Length) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Length - 1)];
    }
}
