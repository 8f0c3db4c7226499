using Bridge.Benchmarks.Codecs;
using Bridge.Benchmarks.Relay;

// Verbs: relay (the default) is the end-to-end relay benchmark against a raw-broker baseline;
// codecs runs the BenchmarkDotNet encode/decode micro-benchmarks of the five backends.
var verb = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "relay";
var rest = args.Length > 0 && !args[0].StartsWith('-') ? args[1..] : args;
switch (verb)
{
    case "relay":
        return await RelayCommand.RunAsync(rest).ConfigureAwait(false);
    case "codecs":
        return CodecBenchmarks.Run(rest);
    default:
        Console.Error.WriteLine($"unknown verb '{verb}': use relay (default) or codecs");
        Console.Error.WriteLine(BenchSettings.Usage);
        return 2;
}
