using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Bridge.Connectors.Abstractions;
using Bridge.Host.Configuration;
using Bridge.Host.Health;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bridge.Host.Demo;

/// <summary>How long the demo talks, and on which bus (the embedded default: in memory).</summary>
public sealed record DemoOptions(int Rounds, TimeSpan Interval, TimeSpan SettleTimeout, string BusYaml = "bus: { transport: in-memory }");

/// <summary>One observed arrival: on which backend, from which backend, which round, and the text as shown.</summary>
public sealed record DemoObservation(string Target, string From, int Round, string Text);

/// <summary>
/// The embedded-default demo: the five simulators in-process, the in-memory bus, a temporary
/// SQLite store and a routing file mirroring one conversation across all five backends. A
/// simulated user on each backend talks; the console shows each message as it leaves its backend
/// and as it arrives on every other one, with the relay latency, and a summary table at the end.
/// </summary>
public sealed partial class DemoRunner(IReadOnlyList<IDemoBackend> backends, IReadOnlyList<IConnectorFactory> factories, DemoOptions options, TextWriter console)
{
    private readonly DemoStatistics _stats = new();
    private readonly Dictionary<(string From, int Round), long> _sentAt = [];
    private readonly HashSet<(string From, string To, int Round)> _seen = [];
    private readonly Dictionary<string, int> _readUpTo = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private readonly List<DemoObservation> _observations = [];

    public DemoStatistics Statistics => _stats;

    /// <summary>Every arrival in the order it was seen (duplicates included).</summary>
    public IReadOnlyList<DemoObservation> Observations
    {
        get
        {
            lock (_gate)
            {
                return _observations.ToArray();
            }
        }
    }

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("bridge-demo-");
        try
        {
            console.WriteLine($"Starting {backends.Count} simulators …");
            foreach (var backend in backends)
            {
                await backend.StartAsync(cancellationToken).ConfigureAwait(false);
                console.WriteLine($"  {backend.Name,-6} {backend.Conversation}");
            }

            var yaml = BuildConfig(Path.Combine(directory.FullName, "bridge.db"));
            var config = ConfigLoader.Load(yaml, "demo.yaml", factories, _ => null);
            using var host = BridgeHostBuilder.Build(config, factories, logging: b =>
            {
                b.SetMinimumLevel(LogLevel.Warning);
                b.AddSimpleConsole(o => o.SingleLine = true);
            });
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await WaitUntilConnectedAsync(host.Services.GetRequiredService<HealthServer>(), cancellationToken).ConfigureAwait(false);
                await TalkAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                await host.StopAsync(stop.Token).ConfigureAwait(false);
            }
        }
        finally
        {
            foreach (var backend in backends)
            {
                await backend.DisposeAsync().ConfigureAwait(false);
            }

            directory.Delete(recursive: true);
        }

        console.WriteLine();
        console.WriteLine(_stats.Table());
        var lost = _stats.TotalSent - _stats.TotalDelivered;
        console.WriteLine(lost == 0 && _stats.TotalDuplicates == 0
            ? $"Every message reached the other {backends.Count - 1} backends exactly once."
            : $"{lost} message(s) lost, {_stats.TotalDuplicates} duplicate(s).");
        return lost == 0 && _stats.TotalDuplicates == 0 ? 0 : 1;
    }

    private string BuildConfig(string database)
    {
        var sb = new StringBuilder();
        sb.AppendLine(options.BusYaml);
        sb.AppendLine(CultureInfo.InvariantCulture, $"store: {{ provider: sqlite, path: \"{database}\" }}");
        sb.AppendLine("health: { port: 0 }");
        sb.AppendLine("connectors:");
        foreach (var b in backends)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"  {b.Name}: {b.ConnectorYaml}");
        }

        sb.AppendLine("users:");
        foreach (var b in backends)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"  - {{ {b.Name}: \"{b.UserId}\", name: \"{b.User}\" }}");
        }

        sb.AppendLine("routes:");
        sb.AppendLine("  - name: five-way");
        sb.AppendLine("    format: \"[{source}] {sender}: {text}\"");
        sb.AppendLine("    mirror:");
        foreach (var b in backends)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"      - {b.Name}: {b.MirrorEndpoint}");
        }

        return sb.ToString();
    }

    private async Task WaitUntilConnectedAsync(HealthServer health, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (!health.Readiness().Ready)
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(30))
            {
                var states = string.Join(", ", health.Readiness().Connectors.Select(kv => $"{kv.Key} {kv.Value.State}"));
                throw new TimeoutException($"the connectors did not all connect within 30 s: {states}");
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        console.WriteLine($"All {backends.Count} connectors connected in {deadline.Elapsed.TotalMilliseconds:0} ms.");
        console.WriteLine();
    }

    private async Task TalkAsync(CancellationToken cancellationToken)
    {
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watcher = WatchAsync(watching.Token);
        for (var round = 1; round <= options.Rounds; round++)
        {
            foreach (var b in backends)
            {
                var text = $"hello #{round} from {b.Name}";
                lock (_gate)
                {
                    _sentAt[(b.Name, round)] = Stopwatch.GetTimestamp();
                    foreach (var other in backends.Where(o => o != b))
                    {
                        _stats.Sent(b.Name, other.Name);
                    }

                    console.WriteLine($"-> {b.Name,-6} {b.User}: {text}");
                }

                await b.SendAsync(text, cancellationToken).ConfigureAwait(false);
            }

            await Task.Delay(options.Interval, cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                console.WriteLine($"   [round {round}/{options.Rounds}] sent {_stats.TotalSent}, delivered {_stats.TotalDelivered}, duplicates {_stats.TotalDuplicates}");
            }
        }

        var settle = Stopwatch.StartNew();
        while (_stats.TotalDelivered < _stats.TotalSent && settle.Elapsed < options.SettleTimeout)
        {
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        await Task.Delay(300, cancellationToken).ConfigureAwait(false);
        await watching.CancelAsync().ConfigureAwait(false);
        await watcher.ConfigureAwait(false);
    }

    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            foreach (var target in backends)
            {
                var received = target.Received();
                var from = _readUpTo.GetValueOrDefault(target.Name);
                for (var i = from; i < received.Count; i++)
                {
                    Observe(target, received[i]);
                }

                _readUpTo[target.Name] = received.Count;
            }

            try
            {
                await Task.Delay(10, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Observe(IDemoBackend target, DemoArrival arrival)
    {
        var match = Tag().Match(arrival.Text);
        if (!match.Success)
        {
            return;
        }

        var round = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var from = match.Groups[2].Value;
        if (from == target.Name)
        {
            return; // the backend's own echo of the user's message
        }

        lock (_gate)
        {
            if (!_sentAt.TryGetValue((from, round), out var sentAt))
            {
                return;
            }

            _observations.Add(new DemoObservation(target.Name, from, round, arrival.Text));

            if (!_seen.Add((from, target.Name, round)))
            {
                _stats.Duplicate(from, target.Name);
                console.WriteLine($"   !! duplicate on {target.Name}: {arrival.Text}");
                return;
            }

            var ms = Stopwatch.GetElapsedTime(sentAt).TotalMilliseconds;
            _stats.Delivered(from, target.Name, ms);
            console.WriteLine($"   <- {target.Name,-6} {ms,6:0.0} ms  {arrival.Text}");
        }
    }

    [GeneratedRegex(@"#(\d+) from ([A-Za-z0-9_-]+)")]
    private static partial Regex Tag();
}
