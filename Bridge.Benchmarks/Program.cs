using Bridge.Benchmarks.Codecs;

return args.FirstOrDefault() switch
{
    "codecs" => CodecBenchmarks.Run(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Bridge.Benchmarks codecs [BenchmarkDotNet options, e.g. --filter *Rtm*]");
    return 2;
}
