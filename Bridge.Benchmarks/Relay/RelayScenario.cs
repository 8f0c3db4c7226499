using System.Globalization;
using System.Text;
using Bridge.Benchmarks.Relay.Backends;

namespace Bridge.Benchmarks.Relay;

/// <summary>
/// One relay scenario: messages posted on <see cref="Source"/> reach every backend in
/// <see cref="Targets"/>, in <see cref="Rooms"/> mirrored conversations. No targets means one
/// backend relaying between two sets of its own conversations.
/// </summary>
public sealed record RelaySpec(string Label, string Source, IReadOnlyList<string> Targets, int Rooms, int Payload, string? OutcomeEvents = null, IReadOnlyList<string>? Bus = null, bool ObserveOutcomes = false, int? Deliveries = null)
{
    public int Connectors => 1 + Targets.Count(t => t != Source);
}

/// <summary>What a relay scenario measured.</summary>
public sealed record RelayResult(RelaySpec Spec, IReadOnlyList<PhaseResult> Paced, PhaseResult Saturation, long RssBytes, long PeakRssBytes, string? Error = null)
{
    /// <summary>The bridge's CPU time per delivery at saturation, in microseconds (0 when not measured).</summary>
    public double CpuMicrosPerDelivery => Cpu?.Bridge is { } bridge && Saturation.Delivered > 0 ? bridge.TotalMicroseconds / Saturation.Delivered : 0;

    /// <summary>Cores used at saturation by the bridge, the broker, this process and the whole machine (null when not measured).</summary>
    public CpuSplit? Cpu { get; init; }

    /// <summary>Every run of the scenario, in the order they ran, when it ran more than once (this result is one of them).</summary>
    public IReadOnlyList<RelayResult> Runs { get; init; } = [];

    /// <summary>
    /// Runs the scenario <paramref name="times"/> times and returns the median run by saturation
    /// throughput (the lower of the two middle ones for an even count) holding all of them; a failed
    /// run is returned instead, so that a failure is never hidden by the runs that passed.
    /// </summary>
    public static async Task<RelayResult> RepeatAsync(int times, Func<int, Task<RelayResult>> run)
    {
        var runs = new List<RelayResult>(times);
        for (var i = 0; i < times; i++)
        {
            runs.Add(await run(i).ConfigureAwait(false));
        }

        if (runs.Count == 1)
        {
            return runs[0];
        }

        var chosen = runs.FirstOrDefault(r => r.Error is not null)
            ?? runs.OrderBy(r => r.Saturation.DeliveriesPerSecond).ElementAt((runs.Count - 1) / 2);
        return chosen with { Runs = runs };
    }
}

/// <summary>Starts the simulators and the bridge (its own process, RabbitMQ bus, SQLite store), runs the phases, stops everything.</summary>
public sealed class RelayScenario(RelaySpec spec, BenchSettings settings, TextWriter log)
{
    private static int _run;

    public async Task<RelayResult> RunAsync(CancellationToken cancellationToken)
    {
        var loopback = spec.Targets.Count == 0;
        var source = BenchBackends.Create(spec.Source);
        var targets = spec.Targets.Select(BenchBackends.Create).ToList();
        var backends = new List<IBenchBackend> { source };
        backends.AddRange(targets);
        var directory = Directory.CreateTempSubdirectory("bridge-bench-");
        try
        {
            await source.StartAsync(loopback ? spec.Rooms * 2 : spec.Rooms, cancellationToken).ConfigureAwait(false);
            foreach (var t in targets)
            {
                await t.StartAsync(spec.Rooms, cancellationToken).ConfigureAwait(false);
            }

            var receivers = loopback ? [source] : targets;
            await using var observer = spec.ObserveOutcomes ? await OutcomeObserver.StartAsync(settings, cancellationToken).ConfigureAwait(false) : null;
            var healthPort = BridgeProcess.FreePort();
            var configPath = Path.Combine(directory.FullName, "bridge.yaml");
            await File.WriteAllTextAsync(configPath, Config(directory.FullName, healthPort, source, targets), cancellationToken).ConfigureAwait(false);
            await using var bridge = await BridgeProcess.StartAsync(configPath, healthPort, settings.ReadyTimeout, settings.BridgeEnvironment, cancellationToken).ConfigureAwait(false);

            var warmup = await PhaseAsync("w", receivers, source, settings.WarmupMessages, settings.WarmupRate, cancellationToken).ConfigureAwait(false);
            if (warmup.Lost > 0)
            {
                return Failed($"warm-up lost {warmup.Lost} of {warmup.Expected}; bridge output:\n{Tail(bridge.Output)}");
            }

            if (settings.WarmupBurst > 0)
            {
                // The paced warm-up leaves the bridge's JIT busy for many seconds more (thousands of
                // methods recompiled at tier 1, 0.3-0.5 of a core); a burst makes the saturation
                // paths hot too, and the wait lets those compilations finish before measuring.
                await PhaseAsync("b", receivers, source, Math.Max(1, settings.WarmupBurst / receivers.Count), rate: null, cancellationToken).ConfigureAwait(false);
                var quiet = await BridgeIdle.WaitAsync(bridge.Id, cancellationToken).ConfigureAwait(false);
                log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {spec.Label}: the bridge went idle {quiet.TotalSeconds:0.0} s after the burst"));
            }

            var paced = new List<PhaseResult>();
            foreach (var rate in settings.Rates)
            {
                paced.Add(await PhaseAsync($"p{paced.Count}", receivers, source, (int)(rate * settings.RateSeconds), rate, cancellationToken).ConfigureAwait(false));
            }

            bridge.ResetPeak();
            var machine = MachineCpu.Start(bridge.Id, settings.RabbitPort);
            var saturation = await PhaseAsync("s", receivers, source, Math.Max(500, (spec.Deliveries ?? settings.Messages) / receivers.Count), rate: null, cancellationToken).ConfigureAwait(false);
            var split = machine.Stop();
            var cpu = split.Bridge ?? TimeSpan.Zero;
            if (saturation.Lost > 0 || paced.Any(p => p.Lost > 0) || saturation.Duplicates > 0 || paced.Any(p => p.Duplicates > 0))
            {
                log.WriteLine($"  {spec.Label}: messages were lost or duplicated; the bridge's log (tail):\n{Tail(bridge.Output)}");
            }

            if (settings.BridgeLogDirectory is { } logs)
            {
                Directory.CreateDirectory(logs);
                var name = string.Concat(spec.Label.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-'));
                await File.WriteAllTextAsync(Path.Combine(logs, $"{name}.log"), bridge.Output, cancellationToken).ConfigureAwait(false);
            }

            var rss = bridge.Rss();
            var peak = Math.Max(bridge.PeakSampledRss, rss);
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {spec.Label}: bridge CPU {cpu.TotalSeconds:0.0} s for {saturation.Delivered} deliveries, cores bridge / broker / harness (machine) {split}, RSS {rss / 1048576.0:0} MB (peak {peak / 1048576.0:0} MB)"));
            if (observer is not null)
            {
                // Outcomes are published after their batch is acknowledged: give the last ones a moment.
                var delivered = warmup.Delivered + paced.Sum(p => p.Delivered) + saturation.Delivered;
                for (var wait = 0; wait < 50 && observer.Received < delivered; wait++)
                {
                    await Task.Delay(100, cancellationToken).ConfigureAwait(false);
                }

                log.WriteLine($"  {spec.Label}: the outcome observer received {observer.Received} outcome events for {delivered} deliveries");
            }
            return new RelayResult(spec, paced, saturation, rss, peak)
            {
                Cpu = split,
            };
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException or IOException)
        {
            return Failed(ex.Message);
        }
        finally
        {
            foreach (var b in backends)
            {
                b.Arrived = null;
                await b.DisposeAsync().ConfigureAwait(false);
            }

            try
            {
                directory.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private RelayResult Failed(string error)
    {
        var none = new PhaseResult(0, 0, 0, 0, 0, double.NaN, double.NaN, double.NaN, double.NaN);
        log.WriteLine($"  !! {spec.Label}: {error}");
        return new RelayResult(spec, [], none, 0, 0, error.Split('\n')[0]);
    }

    private async Task<PhaseResult> PhaseAsync(string phase, IReadOnlyList<IBenchBackend> receivers, IBenchBackend source, int messages, double? rate, CancellationToken cancellationToken)
    {
        var recorder = new ArrivalRecorder(phase, messages, receivers.Count);
        for (var i = 0; i < receivers.Count; i++)
        {
            receivers[i].Arrived = new ArrivalSink(recorder, i);
        }

        var droppedBefore = source.DroppedPushes;
        await LoadDriver.RunAsync(recorder, source.SendAsync, spec.Rooms, spec.Payload, rate, settings.Window, settings.IdleTimeout, cancellationToken).ConfigureAwait(false);
        var result = recorder.Result();
        var dropped = source.DroppedPushes - droppedBefore;
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {spec.Label} [{PhaseResult.Describe(phase, rate)}] {result.Delivered}/{result.Expected} delivered, {result.DeliveriesPerSecond:0}/s, p50 {result.P50:0.0} p99 {result.P99:0.0} max {result.Max:0.0} ms, dup {result.Duplicates}{(dropped > 0 ? $", source server dropped {dropped} pushes" : "")}{(rate is null ? "" : recorder.DescribeTail(result, spec.Rooms))}"));
        return result;
    }

    private string Config(string directory, int healthPort, IBenchBackend source, IReadOnlyList<IBenchBackend> targets)
    {
        var run = Interlocked.Increment(ref _run);
        var sb = new StringBuilder();
        sb.AppendLine("bus:");
        sb.AppendLine("  transport: rabbitmq");
        sb.AppendLine(CultureInfo.InvariantCulture, $"  rabbitmq: {{ host: {settings.RabbitHost}, port: {settings.RabbitPort}, username: guest, password: guest }}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"  queuePrefix: bench{Environment.ProcessId}-{run}");
        // --bus settings win over a scenario's own (one YAML key each).
        var overridden = settings.BusOverrides.Select(o => o.Split(':')[0]).ToHashSet(StringComparer.Ordinal);
        foreach (var extra in (spec.Bus ?? []).Where(b => !overridden.Contains(b.Split(':')[0])).Concat(settings.BusOverrides))
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"  {extra}");
        }

        if ((spec.OutcomeEvents ?? settings.OutcomeEvents) is { } outcomes)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"delivery: {{ outcomeEvents: {outcomes} }}");
        }

        sb.AppendLine(CultureInfo.InvariantCulture, $"store: {{ provider: sqlite, path: \"{settings.StorePath ?? Path.Combine(directory, "bridge.db")}\" }}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"health: {{ port: {healthPort} }}");
        sb.AppendLine("telemetry: { enabled: false }");
        sb.AppendLine("connectors:");
        foreach (var b in new[] { source }.Concat(targets))
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"  {b.Name}: {b.ConnectorYaml}");
        }

        sb.AppendLine("routes:");
        for (var room = 0; room < spec.Rooms; room++)
        {
            var to = targets.Count == 0
                ? $"{source.Name}: {source.Endpoint(spec.Rooms + room)}"
                : string.Join(", ", targets.Select(t => $"{t.Name}: {t.Endpoint(room)}"));
            sb.AppendLine(CultureInfo.InvariantCulture, $"  - {{ name: room-{room}, from: [{source.Name}: {source.Endpoint(room)}], to: [{to}], format: \"{{text}}\" }}");
        }

        return sb.ToString();
    }

    private static string Tail(string output) => output.Length <= 4000 ? output : output[^4000..];
}
