using System.Globalization;
using System.Net;

namespace Bridge.Simulators;

/// <summary>A simulator that can run standalone from the command line.</summary>
public interface IStandaloneSimulator : IAsyncDisposable
{
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>One line for the console: what listens where.</summary>
    string Describe();
}

/// <summary>The simulator types <c>dotnet run --project Bridge.Simulators -- &lt;type&gt;</c> knows.</summary>
public static class SimulatorCatalog
{
    /// <summary>type → factory(port, bind address). Each backend adds its line here.</summary>
    public static readonly IReadOnlyDictionary<string, Func<int, IPAddress, IStandaloneSimulator>> Types =
        new Dictionary<string, Func<int, IPAddress, IStandaloneSimulator>>(StringComparer.Ordinal)
        {
            ["rtm"] = (port, address) => new Rtm.RtmStandaloneSimulator(port, address),
            ["glide"] = (port, bind) => new Glide.GlideSimulator(new Glide.GlideSimulatorOptions { Port = port, Bind = bind, WorldChannel = true }),
            ["protobuf-im"] = (port, address) => new ProtobufIm.ProtobufImSimulator(null, port, address),
            ["xnest"] = (port, bind) => new Xnest.XnestSimulator(port: port, bind: bind),
            ["erlang-gateway"] = ErlangGateway.ErlangGatewaySimulator.Standalone,
        };

    public static async Task<int> RunStandaloneAsync(string[] args)
    {
        if (args.Length == 0 || !Types.TryGetValue(args[0], out var factory))
        {
            await Console.Error.WriteLineAsync($"usage: Bridge.Simulators <{string.Join('|', Types.Keys)}> [--port N] [--bind ADDRESS]").ConfigureAwait(false);
            return 2;
        }

        var port = 0;
        var bind = IPAddress.Loopback;
        for (var i = 1; i < args.Length - 1; i++)
        {
            if (args[i] == "--port" && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var p))
            {
                port = p;
            }
            else if (args[i] == "--bind" && IPAddress.TryParse(args[i + 1], out var a))
            {
                bind = a;
            }
        }

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
        AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();
        await using var simulator = factory(port, bind);
        await simulator.StartAsync(stop.Token).ConfigureAwait(false);
        Console.WriteLine(simulator.Describe());
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C or SIGTERM.
        }

        return 0;
    }
}
