using Bridge.Connectors;
using Bridge.Connectors.Configuration;
using Bridge.Host.Bus;
using Bridge.Host.Configuration;

namespace Bridge.Host.Cli;

/// <summary>
/// Command line: <c>run [--config FILE]</c> (the default; FILE defaults to $BRIDGE_CONFIG or
/// bridge.yaml) and <c>validate FILE</c> (lists every error with file, line and key; exit 1).
/// </summary>
public static class BridgeCli
{
    public static async Task<int> RunAsync(string[] args)
    {
        var command = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "run";
        var rest = command == "run" && (args.Length == 0 || args[0].StartsWith('-')) ? args : args[1..];
        switch (command)
        {
            case "validate":
                return Validate(rest);
            case "run":
                return await RunBridgeAsync(rest).ConfigureAwait(false);
            case "demo":
                return await Demo.DemoCommand.RunAsync(rest).ConfigureAwait(false);
            case "healthcheck":
                return await HealthCheckAsync(rest).ConfigureAwait(false);
            case "help" or "--help" or "-h":
                PrintUsage(Console.Out);
                return 0;
            default:
                PrintUsage(Console.Error);
                return 2;
        }
    }

    private static int Validate(string[] args)
    {
        if (args.Length != 1)
        {
            Console.Error.WriteLine("usage: Bridge.Host validate <file>");
            return 2;
        }

        try
        {
            var config = ConfigLoader.LoadFile(args[0], ConnectorCatalog.BuiltIn);
            Console.WriteLine($"{args[0]}: OK ({config.Connectors.Count} connector(s), {config.Routes.Count} route(s), bus {config.Bus.Transport}, store {config.Store.Provider})");
            return 0;
        }
        catch (ConfigurationInvalidException ex)
        {
            foreach (var error in ex.Errors)
            {
                Console.Error.WriteLine(error);
            }

            Console.Error.WriteLine($"{ex.Errors.Count} error(s)");
            return 1;
        }
    }

    private static async Task<int> RunBridgeAsync(string[] args)
    {
        var path = Environment.GetEnvironmentVariable("BRIDGE_CONFIG") ?? "bridge.yaml";
        for (var i = 0; i < args.Length - 1; i++)
        {
            if (args[i] is "--config" or "-c")
            {
                path = args[i + 1];
            }
        }

        BridgeConfig config;
        try
        {
            config = ConfigLoader.LoadFile(path, ConnectorCatalog.BuiltIn);
        }
        catch (ConfigurationInvalidException ex)
        {
            Console.Error.WriteLine($"The bridge did not start: {ex.Errors.Count} configuration error(s).");
            foreach (var error in ex.Errors)
            {
                Console.Error.WriteLine(error);
            }

            return 1;
        }

        // SIGTERM and Ctrl+C stop the running host through its console lifetime; a stuck bus
        // replaces it (BridgeRunner), and only a bus that cannot be recovered ends with exit 70.
        await using var runner = new BridgeRunner(() => BridgeHostBuilder.Build(config, ConnectorCatalog.BuiltIn), TimeProvider.System);
        try
        {
            await runner.StartAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (BridgeStartRefusedException ex)
        {
            Console.Error.WriteLine($"The bridge did not start: {ex.Message}");
            return 1;
        }

        return await runner.Completion.ConfigureAwait(false);
    }

    /// <summary>For container health checks (the runtime image has no curl): GET /healthz, exit 0 when it answers 200.</summary>
    private static async Task<int> HealthCheckAsync(string[] args)
    {
        var url = args.Length > 0 ? args[0] : "http://127.0.0.1:8088/healthz";
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            using var response = await http.GetAsync(new Uri(url)).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            await Console.Error.WriteLineAsync($"{url}: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
    }

    private static void PrintUsage(TextWriter writer) => writer.WriteLine("""
        usage: Bridge.Host demo [--rounds N]         the five-way mirror on the embedded default (in-memory bus, SQLite, simulators)
               Bridge.Host [run] [--config FILE]   run the bridge (FILE: $BRIDGE_CONFIG or bridge.yaml)
               Bridge.Host validate FILE           check a configuration file and list every error
               Bridge.Host healthcheck [URL]       exit 0 when the health endpoint answers (default http://127.0.0.1:8088/healthz)
        """);
}
