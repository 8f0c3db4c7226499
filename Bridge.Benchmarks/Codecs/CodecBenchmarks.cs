using BenchmarkDotNet.Running;

namespace Bridge.Benchmarks.Codecs;

/// <summary>The <c>codecs</c> verb: every backend's encode/decode benchmarks through <see cref="BenchmarkSwitcher"/>.</summary>
internal static class CodecBenchmarks
{
    private static readonly Type[] All =
    [
        typeof(RtmCodecBenchmarks),
        typeof(XnestCodecBenchmarks),
        typeof(GlideCodecBenchmarks),
        typeof(ErlangGatewayCodecBenchmarks),
        typeof(ProtobufImCodecBenchmarks),
        typeof(Transport.PendingRequestsBenchmarks),
        typeof(Transport.FrameSendBenchmarks),
        typeof(Bus.DeliveryBatchBenchmarks),
    ];

    /// <summary>Runs all codec benchmarks (or those <c>--filter</c> selects); a <c>--job</c> option replaces the short default job.</summary>
    public static int Run(string[] args)
    {
        var shortRun = !args.Any(a => a is "--job" or "-j");
        if (!args.Any(a => a is "--filter" or "-f"))
        {
            args = [.. args, "--filter", "*"];
        }

        if (!args.Contains("--join"))
        {
            args = [.. args, "--join"]; // one summary table for all backends
        }

        var summaries = BenchmarkSwitcher.FromTypes(All).Run(args, new CodecBenchmarkConfig(shortRun));
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
