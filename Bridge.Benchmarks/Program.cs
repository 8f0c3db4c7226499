using Bridge.Benchmarks.Relay;

// Verbs: relay (default) is the end-to-end relay benchmark against a raw-broker baseline.
// The codec micro-benchmarks add their verb here: case "codecs": (Bridge.Benchmarks/Codecs).
var verb = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "relay";
var rest = args.Length > 0 && !args[0].StartsWith('-') ? args[1..] : args;
switch (verb)
{
    case "relay":
        return await RelayCommand.RunAsync(rest).ConfigureAwait(false);
    default:
        Console.Error.WriteLine($"unknown verb '{verb}'");
        Console.Error.WriteLine(BenchSettings.Usage);
        return 2;
}
