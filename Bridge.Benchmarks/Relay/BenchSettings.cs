using System.Globalization;

namespace Bridge.Benchmarks.Relay;

/// <summary>The relay benchmark's knobs, from the command line (see <see cref="Usage"/>).</summary>
public sealed class BenchSettings
{
    public string RabbitHost { get; set; } = "127.0.0.1";

    public int RabbitPort { get; set; } = 5672;

    /// <summary>Messages injected per scenario in the saturation phase.</summary>
    public int Messages { get; set; } = 12_000;

    /// <summary>Offered rates of the paced (latency) phases, messages per second; empty skips them.</summary>
    public IReadOnlyList<double> Rates { get; set; } = [100, 1000];

    public double RateSeconds { get; set; } = 3;

    /// <summary>Messages sent before measuring, paced at <see cref="WarmupRate"/> (the bridge's JIT settles).</summary>
    public int WarmupMessages { get; set; } = 800;

    public double WarmupRate { get; set; } = 200;

    /// <summary>
    /// Deliveries sent at saturation after the paced warm-up, not measured; then the benchmark waits
    /// until the bridge is idle (its tier-1 JIT compilations and background store work done).
    /// </summary>
    public int WarmupBurst { get; set; } = 4_000;

    /// <summary>At most this many injected messages not yet delivered everywhere, at saturation.</summary>
    public int Window { get; set; } = 2000;

    public int Rooms { get; set; } = 100;

    public IReadOnlyList<int> Payloads { get; set; } = [100];

    /// <summary>quick (default), full (the scaling matrix), or baseline (raw broker only).</summary>
    public string Matrix { get; set; } = "quick";

    /// <summary>Extra <c>bus:</c> keys for the bridge, e.g. <c>prefetch: 128</c>.</summary>
    public List<string> BusOverrides { get; } = [];

    public int Prefetch { get; set; } = 64;

    /// <summary>Extra environment variables for the bridge's process only, e.g. <c>DOTNET_GCgen0size=0x1000000</c>.</summary>
    public Dictionary<string, string> BridgeEnvironment { get; } = [];

    /// <summary>Where each scenario's bridge log is written (none when null).</summary>
    public string? BridgeLogDirectory { get; set; }

    public TimeSpan ReadyTimeout { get; set; } = TimeSpan.FromSeconds(300);

    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(20);

    public string? Only { get; set; }

    /// <summary>Runs of each scenario (and of the baseline); the table shows the median run, the runs are listed below it.</summary>
    public int Repeat { get; set; } = 1;

    /// <summary>The bridge's SQLite file; default a fresh file per scenario. <c>:memory:</c> takes the disk out, for diagnosis.</summary>
    public string? StorePath { get; set; }

    /// <summary>The bridge's <c>delivery.outcomeEvents</c> in every scenario (default: the bridge's default, except in the scenarios that set it).</summary>
    public string? OutcomeEvents { get; set; }

    public const string Usage = """
        relay [options]     end-to-end relay benchmark against a raw RabbitMQ baseline
          --rabbitmq HOST:PORT   broker (default 127.0.0.1:5672, or env BRIDGE_BENCH_RABBITMQ=HOST:PORT)
          --messages N           deliveries per scenario at saturation (default 12000, five times that in the sustained rows; divided among the targets)
          --rates R1,R2          offered rates of the latency phases, msg/s (default 100,1000; 0 skips)
          --rate-seconds S       length of each latency phase (default 3)
          --rooms N              mirrored rooms in the main scenarios (default 100)
          --payloads 100,4096    payload sizes in bytes for the baseline and main scenarios (default 100)
          --window N             in-flight messages at saturation (default 2000)
          --warmup N             messages sent at 200/s before measuring (default 800)
          --warmup-burst N       deliveries sent at saturation after that, not measured; then the bridge is given
                                 time to go idle, so its JIT has compiled the hot paths (default 4000; 0 skips)
          --quick | --full       scenario set: quick (default, < 5 min) or the full scaling matrix
          --only TEXT            run only scenarios whose label contains TEXT (the baseline always runs)
          --repeat N             run each scenario and the baseline N times; the table shows each one's median
                                 run by saturation throughput, every run's figures are listed below it (default 1)
          --store-path PATH      the bridge's SQLite file (default: a fresh one per scenario; :memory: for diagnosis)
          --outcome-events X     the bridge's delivery.outcomeEvents (all, failures, none) in every scenario
          --bus KEY=VALUE        extra bus setting for the bridge, e.g. --bus prefetch=128 (repeatable)
          --bridge-env KEY=VALUE environment variable for the bridge's process only (repeatable)
          --bridge-log DIR       write each scenario's bridge log (its standard output) to DIR
        """;

    public static BenchSettings Parse(IReadOnlyList<string> args)
    {
        var s = new BenchSettings();
        if (Environment.GetEnvironmentVariable("BRIDGE_BENCH_RABBITMQ") is { Length: > 0 } env)
        {
            s.SetBroker(env);
        }

        for (var i = 0; i < args.Count; i++)
        {
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--rabbitmq": s.SetBroker(Next()); break;
                case "--messages": s.Messages = Int(Next()); break;
                case "--rate" or "--rates": s.Rates = Next().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(r => double.Parse(r, CultureInfo.InvariantCulture)).Where(r => r > 0).ToArray(); break;
                case "--rate-seconds": s.RateSeconds = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--rooms": s.Rooms = Int(Next()); break;
                case "--payloads": s.Payloads = Next().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Int).ToArray(); break;
                case "--window": s.Window = Int(Next()); break;
                case "--warmup": s.WarmupMessages = Int(Next()); break;
                case "--warmup-burst": s.WarmupBurst = Int(Next()); break;
                case "--quick": s.Matrix = "quick"; break;
                case "--full": s.Matrix = "full"; break;
                case "--baseline-only": s.Matrix = "baseline"; break;
                case "--only": s.Only = Next(); break;
                case "--repeat":
                    s.Repeat = Int(Next());
                    if (s.Repeat is < 1 or > 20)
                    {
                        throw new ArgumentException("--repeat takes 1 to 20");
                    }

                    break;
                case "--store-path": s.StorePath = Next(); break;
                case "--bridge-log": s.BridgeLogDirectory = Next(); break;
                case "--outcome-events": s.OutcomeEvents = Next(); break;
                case "--bus":
                    var kv = Next().Split('=', 2);
                    if (kv.Length != 2)
                    {
                        throw new ArgumentException("--bus takes KEY=VALUE");
                    }

                    s.BusOverrides.Add($"{kv[0]}: {kv[1]}");
                    if (kv[0] == "prefetch")
                    {
                        s.Prefetch = Int(kv[1]);
                    }

                    break;
                case "--bridge-env":
                    var variable = Next().Split('=', 2);
                    if (variable.Length != 2 || variable[0].Length == 0)
                    {
                        throw new ArgumentException("--bridge-env takes KEY=VALUE");
                    }

                    s.BridgeEnvironment[variable[0]] = variable[1];
                    break;
                default: throw new ArgumentException($"unknown option '{args[i]}'");
            }
        }

        return s;
    }

    private void SetBroker(string value)
    {
        var parts = value.Split(':');
        RabbitHost = parts[0];
        if (parts.Length > 1)
        {
            RabbitPort = Int(parts[1]);
        }
    }

    private static int Int(string text) => int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);
}
