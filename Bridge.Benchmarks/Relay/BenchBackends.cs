using Bridge.Benchmarks.Relay.Backends;

namespace Bridge.Benchmarks.Relay;

/// <summary>The five backends by connector name, as the benchmark's command line names them.</summary>
public static class BenchBackends
{
    public static readonly IReadOnlyList<string> All = ["erl", "pbim", "rtm", "glide", "xnest"];

    public static IBenchBackend Create(string name) => name switch
    {
        "erl" => new ErlangBenchBackend(name),
        "pbim" => new ProtobufImBenchBackend(name),
        "rtm" => new RtmBenchBackend(name),
        "glide" => new GlideBenchBackend(name),
        "xnest" => new XnestBenchBackend(name),
        _ => throw new ArgumentException($"'{name}' is not a backend ({string.Join(", ", All)})", nameof(name)),
    };
}
