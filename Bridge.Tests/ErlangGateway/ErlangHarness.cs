using System.Net.WebSockets;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Configuration;
using Bridge.Connectors.ErlangGateway;
using Bridge.Connectors.Transport;
using Bridge.Contracts.V1;
using Bridge.Simulators.ErlangGateway;
using Bridge.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Bridge.Tests.ErlangGateway;

/// <summary>A simulator with fast timings, the bridge account, two users and group 7, and connectors on it.</summary>
internal sealed class ErlangHarness : IAsyncDisposable
{
    public const uint BridgeUid = 1000;
    public const uint AliceUid = 1001;
    public const uint BobUid = 1002;
    public const uint GroupId = 7;
    public const string Password = "s3cret-pw";

    private readonly List<(CancellationTokenSource Stop, Task Run, ErlangGatewayConnector Connector)> _running = [];
    private readonly ILoggerFactory _loggers;
    private readonly Dictionary<IConnector, StatusTrail> _trails = [];

    private ErlangHarness(ErlangGatewaySimulator simulator, ILoggerFactory loggers, TestLoggerProvider logs)
    {
        Simulator = simulator;
        _loggers = loggers;
        Logs = logs;
    }

    public ErlangGatewaySimulator Simulator { get; }

    public RecordingSink Sink { get; } = new();

    public TestLoggerProvider Logs { get; }

    public static ErlangGatewaySimulatorOptions FastOptions { get; } = new()
    {
        TcpPort = 0,
        PingInterval = TimeSpan.FromMilliseconds(150),
        PingTimeout = TimeSpan.FromMilliseconds(900),
        ResendInterval = TimeSpan.FromMilliseconds(200),
        MaxResends = 3,
    };

    public static async Task<ErlangHarness> StartAsync(ITestOutputHelper output, Func<ErlangGatewaySimulatorOptions, ErlangGatewaySimulatorOptions>? configure = null)
    {
        var simulator = new ErlangGatewaySimulator(configure is null ? FastOptions : configure(FastOptions));
        simulator.AddUser("bridge", Password, BridgeUid);
        simulator.AddUser("alice", "alice-pw", AliceUid);
        simulator.AddUser("bob", "bob-pw", BobUid);
        simulator.AddGroupMembers(GroupId, BridgeUid, AliceUid, BobUid);
        await simulator.StartAsync();
        var loggers = TestLoggerProvider.Factory(output, out var logs);
        return new ErlangHarness(simulator, loggers, logs);
    }

    public ErlangGatewayOptions Options(Uri? url = null) => new(url ?? Simulator.WebSocketUrl, "bridge", new Secret(Password))
    {
        SelfId = BridgeUid.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Payload = PayloadFormat.XywyJson,
        TcpHost = "127.0.0.1",
        TcpPort = Simulator.TcpPort,
        ConnectTimeout = TimeSpan.FromSeconds(2),
        AckTimeout = TimeSpan.FromSeconds(2),
        SilenceWindow = TimeSpan.FromSeconds(2),
        Reconnect = ReconnectPolicy.Default with
        {
            InitialDelay = TimeSpan.FromMilliseconds(50),
            MaxDelay = TimeSpan.FromMilliseconds(300),
            BadCredentialsDelay = TimeSpan.FromMilliseconds(300),
            BadCredentialsMaxDelay = TimeSpan.FromSeconds(1),
            KickedDelay = TimeSpan.FromMilliseconds(500),
            Jitter = 0,
            ShutdownTimeout = TimeSpan.FromSeconds(1),
        },
    };

    public ErlangGatewayConnector Create(ErlangGatewayOptions options, string name = "erl")
    {
        var connector = new ErlangGatewayConnector(new ConnectorContext(name, [], new MemoryCursorStore(), _loggers, TimeProvider.System), options);
        _trails.Add(connector, new StatusTrail(connector));
        return connector;
    }

    /// <summary>Creates and runs a connector into <paramref name="sink"/> (default: <see cref="Sink"/>).</summary>
    public ErlangGatewayConnector Run(ErlangGatewayOptions? options = null, IInboundSink? sink = null, string name = "erl")
    {
        var connector = Create(options ?? Options(), name);
        var stop = new CancellationTokenSource();
        _running.Add((stop, connector.RunAsync(sink ?? Sink, stop.Token), connector));
        return connector;
    }

    public async Task<ErlangGatewayConnector> RunConnectedAsync(ErlangGatewayOptions? options = null, IInboundSink? sink = null, string name = "erl")
    {
        var connector = Run(options, sink, name);
        await WaitForStateAsync(connector, SessionState.Connected);
        return connector;
    }

    /// <summary>Stops a connector cleanly (cancels its RunAsync and waits for it).</summary>
    public async Task StopAsync(ErlangGatewayConnector connector)
    {
        var entry = _running.Single(r => r.Connector == connector);
        _running.Remove(entry);
        await entry.Stop.CancelAsync();
        await entry.Run.WaitAsync(TimeSpan.FromSeconds(5));
        entry.Stop.Dispose();
        await connector.DisposeAsync();
    }

    /// <summary>Waits until the connector reports <paramref name="state"/> after the status the previous wait on it matched (see <see cref="StatusTrail"/>).</summary>
    public Task WaitForStateAsync(IConnector connector, SessionState state, string? reasonContains = null, double seconds = 5) =>
        _trails[connector].WaitForAsync(state, reasonContains, TimeSpan.FromSeconds(seconds));

    public static OutboundMessage Outbound(EndpointRef target, string text, string? key = null) =>
        new(target, MessageBody.FromText(text), key ?? ErlangMsgIds.New(), new Participant("other", "u1", "Someone"), Guid.NewGuid());

    public Task<string> AliceSendsToBridgeAsync(string text, string? msgId = null) =>
        Simulator.SendAsUserAsync(AliceUid, BridgeUid, ErlangPayload.Envelope(AliceUid.ToString(System.Globalization.CultureInfo.InvariantCulture), BridgeUid.ToString(System.Globalization.CultureInfo.InvariantCulture), text), msgId);

    public async ValueTask DisposeAsync()
    {
        foreach (var (stop, run, connector) in _running)
        {
            await stop.CancelAsync();
            try
            {
                await run.WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (TimeoutException)
            {
                // Reported by the test that left it running.
            }

            stop.Dispose();
            await connector.DisposeAsync();
        }

        await Simulator.DisposeAsync();
        _loggers.Dispose();
    }
}

/// <summary>A bare WebSocket client for checking the simulator's server-side behaviour byte by byte.</summary>
internal sealed class RawErlangClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();

    public static async Task<(RawErlangClient Client, byte Code)> ConnectAsync(Uri url, string user, string password, byte? role = 0, byte? clientId = null)
    {
        var client = new RawErlangClient();
        await client._socket.ConnectAsync(url, CancellationToken.None);
        await client.SendAsync(ErlangCodec.Connect(user, password, role, clientId));
        var ack = await client.ReceiveAsync(TimeSpan.FromSeconds(5)) ?? throw new InvalidOperationException("closed before CONNECT_ACK");
        Assert.Equal((byte)ErlangCommand.ConnectAck, ack[0]);
        return (client, ack[1]);
    }

    public Task SendAsync(byte[] packet) => _socket.SendAsync(packet, WebSocketMessageType.Binary, true, CancellationToken.None);

    /// <summary>The next binary message, or null when the server closed the connection.</summary>
    public async Task<byte[]?> ReceiveAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[1 << 17];
        var length = 0;
        while (true)
        {
            WebSocketReceiveResult result;
            try
            {
                result = await _socket.ReceiveAsync(buffer.AsMemory(length), cts.Token) is var r
                    ? new WebSocketReceiveResult(r.Count, r.MessageType, r.EndOfMessage)
                    : throw new InvalidOperationException();
            }
            catch (WebSocketException)
            {
                return null;
            }

            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            length += result.Count;
            if (result.EndOfMessage)
            {
                return buffer[..length];
            }
        }
    }

    /// <summary>Reads until a packet other than PING arrives (answering nothing).</summary>
    public async Task<byte[]?> ReceiveSkippingPingsAsync(TimeSpan timeout)
    {
        while (true)
        {
            var packet = await ReceiveAsync(timeout);
            if (packet is null || packet is not [(byte)ErlangCommand.Ping])
            {
                return packet;
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _socket.Abort();
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
