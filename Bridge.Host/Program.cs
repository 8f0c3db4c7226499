using Bridge.Host.Cli;
using Bridge.Host.Runtime;

NativeHeap.Configure();
return await BridgeCli.RunAsync(args).ConfigureAwait(false);
