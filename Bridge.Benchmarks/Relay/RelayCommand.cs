using System.Diagnostics;
using Bridge.Benchmarks.Baseline;

namespace Bridge.Benchmarks.Relay;

/// <summary>
/// <c>relay</c>: the raw-broker baseline, then each relay scenario with the bridge as its own
/// process, then the Markdown table.
/// </summary>
public static class RelayCommand
{
    private static readonly int[] RoomCounts = [1, 10, 100, 1000];
    private static readonly int[] PayloadSizes = [100, 4096, 61440];

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        if (args.Any(a => a is "--help" or "-h"))
        {
            Console.WriteLine(BenchSettings.Usage);
            return 0;
        }

        BenchSettings settings;
        try
        {
            settings = BenchSettings.Parse(args);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            Console.Error.WriteLine(ex.Message);
            Console.Error.WriteLine(BenchSettings.Usage);
            return 2;
        }

        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        var log = Console.Out;
        var clock = Stopwatch.StartNew();
        var specs = Scenarios(settings).Where(s => settings.Only is null || s.Label.Contains(settings.Only, StringComparison.OrdinalIgnoreCase)).ToList();
        var baselinePayloads = settings.Matrix == "full" ? settings.Payloads.Union(PayloadSizes).Distinct() : settings.Payloads;
        log.WriteLine($"relay benchmark: broker {settings.RabbitHost}:{settings.RabbitPort}, {settings.Messages} deliveries at saturation, {string.Join(" and ", settings.Rates)}/s for {settings.RateSeconds} s each, {specs.Count} scenarios ({settings.Matrix})");
        var results = new List<RelayResult>();
        foreach (var payload in baselinePayloads.Where(p => specs.Any(s => s.Payload == p) || settings.Matrix == "baseline"))
        {
            results.Add(await RelayResult.RepeatAsync(settings.Repeat, _ => new RawBrokerBaseline(settings, payload, log).RunAsync(cts.Token)).ConfigureAwait(false));
        }

        foreach (var spec in settings.Matrix == "baseline" ? [] : specs)
        {
            results.Add(await RelayResult.RepeatAsync(settings.Repeat, run =>
            {
                var times = settings.Repeat > 1 ? $", run {run + 1} of {settings.Repeat}" : "";
                log.WriteLine($"- {spec.Label} ({clock.Elapsed:mm\\:ss}{times})");
                return new RelayScenario(spec, settings, log).RunAsync(cts.Token);
            }).ConfigureAwait(false));
        }

        log.WriteLine();
        log.WriteLine($"Relay benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}, took {clock.Elapsed:mm\\:ss}.");
        log.WriteLine("Throughput and latency count deliveries (message x target backend); latency is from the simulated user's send to the target simulator accepting the bridge's post.");
        log.WriteLine();
        log.WriteLine(ResultTable.Render(results, settings));
        return results.Any(r => r.Error is not null) ? 1 : 0;
    }

    /// <summary>
    /// How many times the usual saturation load the sustained rows carry: a short burst runs on a
    /// store that still fits in memory, a sustained one shows what the growing store costs.
    /// </summary>
    private const int SustainedFactor = 5;

    /// <summary>The scenario set: quick is the headline comparisons; full adds the rooms, backends and payload scaling.</summary>
    public static IEnumerable<RelaySpec> Scenarios(BenchSettings s)
    {
        var payload = s.Payloads[0];
        var sustained = SustainedFactor * s.Messages;
        string[] others = ["pbim", "rtm", "glide", "xnest"];
        // protobuf-IM takes any size; RTM (32 KB) and xnest (64 KB) cap what the bridge sends them.
        foreach (var p in s.Payloads)
        {
            yield return new RelaySpec($"erl -> pbim {RawBrokerBaseline.Size(p)}", "erl", ["pbim"], s.Rooms, p);
        }

        foreach (var target in others.Where(t => t != "pbim"))
        {
            yield return new RelaySpec($"erl -> {target}", "erl", [target], s.Rooms, payload);
            if (target == "rtm")
            {
                yield return new RelaySpec("erl -> rtm, outcomes observed", "erl", [target], s.Rooms, payload, ObserveOutcomes: true);
                yield return new RelaySpec("erl -> rtm, partitions 8/4", "erl", [target], s.Rooms, payload, Bus: ["routePartitions: 8", "deliveryPartitions: 4"]);
                yield return new RelaySpec($"erl -> rtm, sustained {sustained / 1000}k", "erl", [target], s.Rooms, payload, Deliveries: sustained);
            }
        }

        yield return new RelaySpec("pbim -> erl", "pbim", ["erl"], s.Rooms, payload);
        yield return new RelaySpec("erl -> 4 others, 1000 rooms", "erl", others, 1000, payload);
        if (s.Matrix != "full")
        {
            yield break;
        }

        foreach (var rooms in RoomCounts.Where(r => r != s.Rooms))
        {
            yield return new RelaySpec($"rooms {rooms}: erl -> rtm", "erl", ["rtm"], rooms, payload);
        }

        yield return new RelaySpec("backends 1: erl -> erl", "erl", [], s.Rooms, payload);
        yield return new RelaySpec("backends 5: erl -> 4 others", "erl", others, s.Rooms, payload);
        yield return new RelaySpec($"erl -> 4 others, 1000 rooms, sustained {sustained / 1000}k", "erl", others, 1000, payload, Deliveries: sustained);
        foreach (var p in PayloadSizes.Where(p => !s.Payloads.Contains(p)))
        {
            yield return new RelaySpec($"erl -> pbim {RawBrokerBaseline.Size(p)}", "erl", ["pbim"], s.Rooms, p);
        }
    }
}
