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
    private readonly DirectRoute? _direct = DirectRoute.Find(backends);

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
            ? $"Every message reached the other {backends.Count - 1} backends exactly once{(_direct is null ? "" : ", and every direct message its one target")}."
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

        if (_direct is not null)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"  - {{ {_direct.From.Name}: \"{_direct.Source.DirectUserId}\", name: \"{_direct.Source.DirectUser}\" }}");
        }

        sb.AppendLine("routes:");
        sb.AppendLine("  - name: five-way");
        sb.AppendLine("    format: \"[{source}] {sender}: {text}\"");
        sb.AppendLine("    mirror:");
        foreach (var b in backends)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"      - {b.Name}: {b.MirrorEndpoint}");
        }

        if (_direct is not null)
        {
            sb.AppendLine("  - name: support-inbox");
            sb.AppendLine("    format: \"[support] {sender}: {text}\"");
            sb.AppendLine(CultureInfo.InvariantCulture, $"    from: [{_direct.From.Name}: {_direct.Source.DirectEndpoint}]");
            sb.AppendLine(CultureInfo.InvariantCulture, $"    to: [{_direct.To.Name}: {_direct.Target.DirectEndpoint}]");
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

            if (_direct is { } d)
            {
                var text = $"ticket #{round} from {d.From.Name}";
                lock (_gate)
                {
                    _sentAt[(d.Label, round)] = Stopwatch.GetTimestamp();
                    _stats.Sent(d.From.Name, d.Label);
                    console.WriteLine($"-> {d.From.Name,-6} {d.Source.DirectUser} (direct, to {d.To.Name}): {text}");
                }

                await d.Source.SendDirectAsync(text, cancellationToken).ConfigureAwait(false);
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
                ReadNew(target.Name, target.Received(), arrival => Observe(target, arrival));
            }

            if (_direct is { } d)
            {
                ReadNew(d.Label, d.Target.ReceivedDirect(), arrival => ObserveDirect(d, arrival));
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

    private void ReadNew(string key, IReadOnlyList<DemoArrival> received, Action<DemoArrival> observe)
    {
        var from = _readUpTo.GetValueOrDefault(key);
        for (var i = from; i < received.Count; i++)
        {
            observe(received[i]);
        }

        _readUpTo[key] = received.Count;
    }

    private void Observe(IDemoBackend target, DemoArrival arrival)
    {
        if (Tagged(arrival) is not var (round, from) || from == target.Name)
        {
            return; // not a demo message, or the backend's own echo of the user's message
        }

        Record(target.Name, from, from, round, arrival);
    }

    private void ObserveDirect(DirectRoute route, DemoArrival arrival)
    {
        if (Tagged(arrival) is var (round, from) && from == route.From.Name)
        {
            Record(route.Label, from, route.Label, round, arrival);
        }
    }

    private static (int Round, string From)? Tagged(DemoArrival arrival)
    {
        var match = Tag().Match(arrival.Text);
        return match.Success ? (int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), match.Groups[2].Value) : null;
    }

    /// <summary>Counts one arrival on <paramref name="target"/> of the message sent under (<paramref name="sentKey"/>, round).</summary>
    private void Record(string target, string from, string sentKey, int round, DemoArrival arrival)
    {
        lock (_gate)
        {
            if (!_sentAt.TryGetValue((sentKey, round), out var sentAt))
            {
                return;
            }

            _observations.Add(new DemoObservation(target, from, round, arrival.Text));

            if (!_seen.Add((from, target, round)))
            {
                _stats.Duplicate(from, target);
                console.WriteLine($"   !! duplicate on {target}: {arrival.Text}");
                return;
            }

            var ms = Stopwatch.GetElapsedTime(sentAt).TotalMilliseconds;
            _stats.Delivered(from, target, ms);
            console.WriteLine($"   <- {target,-6} {ms,6:0.0} ms  {arrival.Text}");
        }
    }

    /// <summary>The demo's directed route: a second user on one backend writes to the bridge, a user on another backend reads it.</summary>
    private sealed record DirectRoute(IDemoBackend From, IDirectDemoSource Source, IDemoBackend To, IDirectDemoTarget Target)
    {
        /// <summary>The route's name in the summary table.</summary>
        public string Label => $"{To.Name} (direct)";

        public static DirectRoute? Find(IReadOnlyList<IDemoBackend> backends)
        {
            var from = backends.FirstOrDefault(b => b is IDirectDemoSource);
            var to = backends.FirstOrDefault(b => b is IDirectDemoTarget && b != from);
            return from is null || to is null ? null : new DirectRoute(from, (IDirectDemoSource)from, to, (IDirectDemoTarget)to);
        }
    }

    [GeneratedRegex(@"#(\d+) from ([A-Za-z0-9_-]+)")]
    private static partial Regex Tag();
}
