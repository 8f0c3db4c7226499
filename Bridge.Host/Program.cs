using Bridge.Host.Cli;

return await BridgeCli.RunAsync(args).ConfigureAwait(false);
