using System.Net;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Configuration;
using Bridge.Connectors.Rtm;
using Bridge.Connectors.Transport;
using Bridge.Contracts.V1;
using Bridge.Simulators.Rtm;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.Rtm;

/// <summary>A simulated gate plus an RTM connector logged in as the bridge uid, for session and connector tests.</summary>
internal sealed class RtmRig : IAsyncDisposable
{
    public const long Pid = 1000012;
    public const long BridgeUid = 900001;
    public const string BridgeToken = "bridge-token";
    public const long Alice = 111;
    public const long Bob = 222;
    public const long Room = 1001;
    public const long Group = 77;

    private readonly CancellationTokenSource _stop = new();
    private Task? _run;

    private RtmRig(RtmSimulator simulator, ILoggerFactoryHolder logging)
    {
        Simulator = simulator;
        Logging = logging;
    }

    public RtmSimulator Simulator { get; }

    public ILoggerFactoryHolder Logging { get; }

    public RecordingSink Sink { get; } = new();

    public MemoryCursorStore Cursors { get; } = new();

    public RtmConnector Connector { get; private set; } = null!;

    public FaultProxy? Proxy { get; private set; }

    public static async Task<RtmRig> StartSimulatorAsync(ITestOutputHelper output, RtmSimulatorOptions? simulatorOptions = null)
    {
        var simulator = new RtmSimulator(simulatorOptions ?? new RtmSimulatorOptions { PingInterval = TimeSpan.FromSeconds(20) });
        simulator.AddUser(BridgeUid, BridgeToken);
        simulator.AddUser(Alice, "alice-token");
        simulator.AddUser(Bob, "bob-token");
        simulator.SetGroup(Group, BridgeUid, Alice, Bob);
        simulator.EnterRoom(Alice, Room);
        await simulator.StartAsync();
        var factory = TestLoggerProvider.Factory(output, out var provider);
        return new RtmRig(simulator, new ILoggerFactoryHolder(factory, provider));
    }

    public static async Task<RtmRig> StartAsync(ITestOutputHelper output, Func<RtmOptions, RtmOptions>? configure = null, RtmSimulatorOptions? simulatorOptions = null, bool viaProxy = false, bool connect = true)
    {
        var rig = await StartSimulatorAsync(output, simulatorOptions);
        rig.CreateConnector(configure, viaProxy);
        if (connect)
        {
            rig.Run();
            await rig.WaitConnectedAsync();
        }

        return rig;
    }

    public static RtmOptions DefaultOptions(Uri gate) => new()
    {
        Endpoint = gate,
        Pid = Pid,
        Uid = BridgeUid,
        Token = new Secret(BridgeToken),
        QuestTimeout = TimeSpan.FromSeconds(2),
        Reconnect = ReconnectPolicy.Default with
        {
            InitialDelay = TimeSpan.FromMilliseconds(50),
            MaxDelay = TimeSpan.FromMilliseconds(200),
            BadCredentialsDelay = TimeSpan.FromSeconds(30),
            KeepaliveWindow = TimeSpan.FromSeconds(60),
            ShutdownTimeout = TimeSpan.FromSeconds(2),
        },
    };

    public static IReadOnlyList<EndpointRef> Endpoints { get; } =
    [
        new("rtm", EndpointKind.Room, Room.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("rtm", EndpointKind.Group, Group.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("rtm", EndpointKind.User, Alice.ToString(System.Globalization.CultureInfo.InvariantCulture)),
    ];

    public void CreateConnector(Func<RtmOptions, RtmOptions>? configure = null, bool viaProxy = false)
    {
        var gate = Simulator.Url;
        if (viaProxy)
        {
            Proxy = new FaultProxy(new IPEndPoint(IPAddress.Loopback, Simulator.Port));
            Proxy.Start();
            gate = new Uri($"ws://127.0.0.1:{Proxy.Port}{RtmEndpoints.Path}");
        }

        var options = DefaultOptions(gate);
        options = configure?.Invoke(options) ?? options;
        var context = new ConnectorContext("rtm", Endpoints, Cursors, Logging.Factory, TimeProvider.System);
        Connector = new RtmConnector(context, options);
    }

    public void Run() => _run = Connector.RunAsync(Sink, _stop.Token);

    public Task WaitConnectedAsync(string because = "the connector logged in") =>
        Eventually.TrueAsync(() => Connector.Status.IsConnected && Simulator.InRoom(BridgeUid, Room), TimeSpan.FromSeconds(10), because);

    public Task WaitStateAsync(SessionState state) =>
        Eventually.TrueAsync(() => Connector.Status.State == state, TimeSpan.FromSeconds(10), () => $"the connector is {state} (it is {Connector.Status.State}: {Connector.Status.Reason})");

    public async Task StopConnectorAsync()
    {
        await _stop.CancelAsync();
        if (_run is not null)
        {
            await _run.WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    public OutboundMessage Outbound(EndpointKind kind, long target, string text, string? key = null)
    {
        var eventId = Guid.NewGuid();
        return new OutboundMessage(
            new EndpointRef("rtm", kind, target.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            MessageBody.FromText(text),
            key ?? Convert.ToHexStringLower(eventId.ToByteArray()),
            new Participant("other", "someone"),
            eventId);
    }

    public async ValueTask DisposeAsync()
    {
        await StopConnectorAsync();
        await Simulator.DisposeAsync();
        if (Proxy is not null)
        {
            await Proxy.DisposeAsync();
        }

        Logging.Factory.Dispose();
        _stop.Dispose();
    }
}

internal sealed record ILoggerFactoryHolder(Microsoft.Extensions.Logging.ILoggerFactory Factory, TestLoggerProvider Provider);
