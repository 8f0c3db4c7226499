using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Configuration;
using Bridge.Connectors.ProtobufIm;
using Bridge.Connectors.Transport;
using Bridge.Contracts.V1;
using Bridge.Simulators.ProtobufIm;
using Bridge.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Bridge.Tests.ProtobufIm;

/// <summary>A simulator plus one bridge connector (account "bridge") with test timings.</summary>
internal sealed class ImRig : IAsyncDisposable
{
    public const string Bridge = "bridge";

    private readonly ILoggerFactory _loggers;
    private CancellationTokenSource? _stop;
    private Task? _run;

    private ImRig(ProtobufImSimulator simulator, ILoggerFactory loggers, TestLoggerProvider logs)
    {
        Simulator = simulator;
        _loggers = loggers;
        Logs = logs;
    }

    public ProtobufImSimulator Simulator { get; }

    public TestLoggerProvider Logs { get; }

    public RecordingSink Sink { get; } = new();

    public MemoryCursorStore Cursors { get; } = new();

    public ProtobufImConnector? Connector { get; private set; }

    public static async Task<ImRig> StartAsync(ITestOutputHelper output, Action<ProtobufImSimulatorOptions>? configure = null)
    {
        var options = new ProtobufImSimulatorOptions();
        configure?.Invoke(options);
        var simulator = new ProtobufImSimulator(options);
        await simulator.StartAsync();
        var loggers = TestLoggerProvider.Factory(output, out var logs);
        return new ImRig(simulator, loggers, logs);
    }

    public ProtobufImOptions Options(string? token = null, Uri? url = null) =>
        new(url ?? Simulator.Url, Bridge, new Secret(token ?? Simulator.CreateUser(Bridge)))
        {
            HeartbeatInterval = TimeSpan.FromMilliseconds(500),
            RequestTimeout = TimeSpan.FromSeconds(2),
            SilenceWindow = TimeSpan.FromSeconds(3),
            Reconnect = ReconnectPolicy.Default with
            {
                InitialDelay = TimeSpan.FromMilliseconds(50),
                MaxDelay = TimeSpan.FromMilliseconds(300),
                BadCredentialsDelay = TimeSpan.FromSeconds(30),
                KickedDelay = TimeSpan.FromSeconds(30),
            },
        };

    /// <summary>Starts a connector (a new instance each time, sharing sink and cursor store).</summary>
    public ProtobufImConnector Run(ProtobufImOptions? options = null, IInboundSink? sink = null, string name = "pbim")
    {
        var context = new ConnectorContext(name, [], Cursors, _loggers, TimeProvider.System);
        Connector = new ProtobufImConnector(context, options ?? Options());
        _stop = new CancellationTokenSource();
        _run = Connector.RunAsync(sink ?? Sink, _stop.Token);
        return Connector;
    }

    /// <summary>Starts a connector and waits until its first catch-up is done.</summary>
    public async Task<ProtobufImConnector> RunConnectedAsync(ProtobufImOptions? options = null, IInboundSink? sink = null, string name = "pbim")
    {
        var connector = Run(options, sink, name);
        await Eventually.TrueAsync(() => connector.CompletedCatchUps > 0, TimeSpan.FromSeconds(10), "the connector authenticated and caught up");
        return connector;
    }

    public async Task StopConnectorAsync()
    {
        if (_stop is null || _run is null)
        {
            return;
        }

        await _stop.CancelAsync();
        await _run.WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
        _stop = null;
        _run = null;
    }

    public static OutboundMessage Outbound(EndpointKind kind, string target, string text, string? key = null) =>
        new(new EndpointRef("pbim", kind, target), MessageBody.FromText(text), key ?? Guid.NewGuid().ToString("N"),
            new Participant("other", "u1", "User One"), Guid.NewGuid());

    public async ValueTask DisposeAsync()
    {
        await StopConnectorAsync();
        await Simulator.DisposeAsync();
        _loggers.Dispose();
    }
}
