using System.Globalization;
using Bridge.Connectors;
using Bridge.Host.Demo.Backends;

namespace Bridge.Host.Demo;

/// <summary><c>demo [--rounds N] [--interval MS]</c>: the five-way mirror on the embedded default.</summary>
public static class DemoCommand
{
    public static IReadOnlyList<IDemoBackend> Backends() =>
    [
        new RtmDemoBackend(),
        new GlideDemoBackend(),
        new XnestDemoBackend(),
        new ProtobufImDemoBackend(),
        new ErlangDemoBackend(),
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        var rounds = 3;
        var interval = TimeSpan.FromMilliseconds(400);
        for (var i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--rounds" && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var r) && r > 0)
            {
                rounds = r;
            }
            else if (args[i] == "--interval" && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
            {
                interval = TimeSpan.FromMilliseconds(ms);
            }
        }

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        var runner = new DemoRunner(Backends(), ConnectorCatalog.BuiltIn, new DemoOptions(rounds, interval, TimeSpan.FromSeconds(15)), Console.Out);
        try
        {
            return await runner.RunAsync(stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return 130;
        }
    }
}
