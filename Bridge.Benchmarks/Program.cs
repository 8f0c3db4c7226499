using Bridge.Benchmarks.Codecs;
using Bridge.Benchmarks.Relay;
using Bridge.Benchmarks.Store;

// Verbs: relay (the default) is the end-to-end relay benchmark against a raw-broker baseline;
// codecs runs the BenchmarkDotNet encode/decode micro-benchmarks of the five backends; store
// measures the SQLite store's work per relayed message.
var verb = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "relay";
var rest = args.Length > 0 && !args[0].StartsWith('-') ? args[1..] : args;
switch (verb)
{
    case "relay":
        return await RelayCommand.RunAsync(rest).ConfigureAwait(false);
    case "codecs":
        return CodecBenchmarks.Run(rest);
    case "store":
        return await StoreBenchmark.RunAsync(rest).ConfigureAwait(false);
    default:
        Console.Error.WriteLine($"unknown verb '{verb}': use relay (default), codecs or store");
        Console.Error.WriteLine(BenchSettings.Usage);
        Console.Error.WriteLine(StoreBenchmark.Usage);
        return 2;
}
