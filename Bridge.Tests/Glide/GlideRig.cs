using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Configuration;
using Bridge.Connectors.Glide;
using Bridge.Connectors.Transport;
using Bridge.Simulators.Glide;
using Bridge.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Bridge.Tests.Glide;

/// <summary>A simulator with fast timings, and connectors running against it, torn down together.</summary>
internal sealed class GlideRig : IAsyncDisposable
{
    public const string BridgeUid = "900";

    private readonly List<(CancellationTokenSource Cts, Task Run, GlideConnector Connector)> _running = [];

    private GlideRig(GlideSimulator sim, ILoggerFactory logs, TestLoggerProvider lines)
    {
        Sim = sim;
        Logs = logs;
        LogLines = lines;
    }

    public GlideSimulator Sim { get; }

    public ILoggerFactory Logs { get; }

    public TestLoggerProvider LogLines { get; }

    public static async Task<GlideRig> StartAsync(ITestOutputHelper output, Func<GlideSimulatorOptions, GlideSimulatorOptions>? tweak = null)
    {
        var options = new GlideSimulatorOptions
        {
            HeartbeatInterval = TimeSpan.FromSeconds(1),
            Tick = TimeSpan.FromMilliseconds(50),
            SendQueueCapacity = 100_000,
            UniqueMids = true,
        };
        var sim = new GlideSimulator(tweak?.Invoke(options) ?? options);
        await sim.StartAsync();
        var logs = TestLoggerProvider.Factory(output, out var lines);
        return new GlideRig(sim, logs, lines);
    }

    public GlideOptions Options(string uid = BridgeUid, Uri? url = null) => new()
    {
        Url = url ?? Sim.WebSocketUrl,
        Uid = uid,
        GatewaySecret = new Secret("secret_key"),
        HeartbeatInterval = TimeSpan.FromMilliseconds(250),
        SilenceWindow = TimeSpan.FromSeconds(1.5),
        AuthTimeout = TimeSpan.FromSeconds(1),
        SendTimeout = TimeSpan.FromSeconds(2),
        Reconnect = ReconnectPolicy.Default with
        {
            InitialDelay = TimeSpan.FromMilliseconds(50),
            MaxDelay = TimeSpan.FromMilliseconds(300),
            BadCredentialsDelay = TimeSpan.FromSeconds(30),
            StableAfter = TimeSpan.FromMilliseconds(200),
        },
    };

    public GlideConnector Start(GlideOptions options, IInboundSink? sink = null, string name = "glide")
    {
        var connector = new GlideConnector(new ConnectorContext(name, [], new MemoryCursorStore(), Logs, TimeProvider.System), options);
        var cts = new CancellationTokenSource();
        _running.Add((cts, connector.RunAsync(sink ?? new RecordingSink(), cts.Token), connector));
        return connector;
    }

    public static Task ConnectedAsync(GlideConnector connector, string because = "the connector is connected") =>
        Eventually.TrueAsync(() => connector.Status.IsConnected, TimeSpan.FromSeconds(5), because);

    public async ValueTask DisposeAsync()
    {
        foreach (var (cts, run, connector) in _running)
        {
            await cts.CancelAsync();
            await run.WaitAsync(TimeSpan.FromSeconds(5));
            await connector.DisposeAsync();
            cts.Dispose();
        }

        await Sim.DisposeAsync();
        Logs.Dispose();
    }
}
