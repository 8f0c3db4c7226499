using System.Collections.Concurrent;
using System.Net;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Transport;
using Bridge.Contracts.V1;
using Bridge.Simulators.Hosting;
using Bridge.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Bridge.Tests.Transport;

/// <summary>
/// A <see cref="SessionSupervisor"/> running <see cref="ScriptedHandler"/> against a
/// <see cref="ScriptedBackend"/> on Kestrel, optionally through a <see cref="FaultProxy"/>; records
/// every status change (with whether <see cref="SessionSupervisor.Current"/> was set at that moment).
/// </summary>
internal sealed class SupervisorRig : IAsyncDisposable
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private readonly ConcurrentQueue<(ConnectorStatus Status, bool HasCurrent)> _statuses = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly ILoggerFactory _loggers;
    private Task? _run;

    private readonly ScriptedBackend? _backend;
    private readonly SimulatorServer? _server;
    private readonly ScriptedTcpBackend? _tcpBackend;

    private SupervisorRig(
        ReconnectPolicy policy,
        string endpoint,
        Func<RecordingTimeProvider, CancellationToken, Task<IFrameConnection>> connect,
        ITestOutputHelper output,
        ScriptedBackend? backend,
        SimulatorServer? server,
        ScriptedTcpBackend? tcpBackend,
        FaultProxy? proxy)
    {
        _backend = backend;
        _server = server;
        _tcpBackend = tcpBackend;
        Proxy = proxy;
        _loggers = TestLoggerProvider.Factory(output, out var logs);
        Logs = logs;
        Supervisor = new SessionSupervisor("test", endpoint, ct => connect(Time, ct), Handler, policy, _loggers.CreateLogger("SessionSupervisor"), Time);
        Supervisor.StatusChanged += s => _statuses.Enqueue((s, Supervisor.Current is not null));
    }

    public ScriptedBackend Backend => _backend ?? throw new InvalidOperationException("not a WebSocket rig");

    public SimulatorServer Server => _server ?? throw new InvalidOperationException("not a WebSocket rig");

    public ScriptedTcpBackend TcpBackend => _tcpBackend ?? throw new InvalidOperationException("not a TCP rig");

    public ScriptedHandler Handler { get; } = new();

    public RecordingTimeProvider Time { get; } = new();

    public FaultProxy? Proxy { get; }

    public SessionSupervisor Supervisor { get; }

    public TestLoggerProvider Logs { get; }

    public Task Running => _run ?? Task.CompletedTask;

    public IReadOnlyList<(ConnectorStatus Status, bool HasCurrent)> History => [.. _statuses];

    public IReadOnlyList<SessionState> States => [.. _statuses.Select(s => s.Status.State)];

    /// <summary>A WebSocket rig whose server starts now (or later, on a reserved port, when <paramref name="startServer"/> is false).</summary>
    public static async Task<SupervisorRig> CreateAsync(ReconnectPolicy policy, ITestOutputHelper output, bool useProxy = false, bool startServer = true)
    {
        var backend = new ScriptedBackend();
        var server = new SimulatorServer(backend.Map, port: startServer ? 0 : WebSocketFrameConnectionTests.FreePort());
        if (startServer)
        {
            await server.StartAsync();
        }

        var proxy = useProxy ? StartProxy(server.Port) : null;
        var options = new WebSocketEndpointOptions(new Uri($"ws://127.0.0.1:{proxy?.Port ?? server.Port}/ws")) { ConnectTimeout = TimeSpan.FromSeconds(10) };
        return new SupervisorRig(
            policy,
            options.SafeDescription,
            async (time, ct) => await WebSocketFrameConnection.ConnectAsync(options, time, ct),
            output,
            backend,
            server,
            null,
            proxy);
    }

    /// <summary>A length-prefixed TCP rig, always through a <see cref="FaultProxy"/>.</summary>
    public static SupervisorRig CreateTcp(ReconnectPolicy policy, ITestOutputHelper output)
    {
        var backend = new ScriptedTcpBackend();
        var proxy = StartProxy(backend.Port);
        return new SupervisorRig(
            policy,
            $"tcp://127.0.0.1:{proxy.Port}",
            async (time, ct) => await TcpFrameConnection.ConnectAsync("127.0.0.1", proxy.Port, 1 << 16, TimeSpan.FromSeconds(10), time, ct),
            output,
            null,
            null,
            backend,
            proxy);
    }

    private static FaultProxy StartProxy(int port)
    {
        var proxy = new FaultProxy(new IPEndPoint(IPAddress.Loopback, port));
        proxy.Start();
        return proxy;
    }

    public void Start() => _run = Supervisor.RunAsync(_stop.Token);

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Running.WaitAsync(Wait);
    }

    public int Count(SessionState state) => States.Count(s => s == state);

    /// <summary>Waits until <paramref name="state"/> was reported at least <paramref name="times"/> times in all.</summary>
    public Task WaitForAsync(SessionState state, int times = 1) =>
        Eventually.TrueAsync(() => Count(state) >= times, Wait, $"{state} was reported {times} time(s); saw: {string.Join(", ", States)}");

    /// <summary>Waits until the supervisor has started <paramref name="count"/> backoff delays (the status is reported just before).</summary>
    public async Task<IReadOnlyList<int>> DelaysAsync(int count)
    {
        await Eventually.TrueAsync(() => Time.Delays.Count >= count, Wait, $"{count} backoff delays were started");
        return [.. Time.Delays.Take(count).Select(d => (int)d.TotalMilliseconds)];
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await Running.WaitAsync(Wait);
        }
        finally
        {
            if (Proxy is not null)
            {
                await Proxy.DisposeAsync();
            }

            if (_server is not null)
            {
                await _server.DisposeAsync();
            }

            if (_tcpBackend is not null)
            {
                await _tcpBackend.DisposeAsync();
            }

            _loggers.Dispose();
            _stop.Dispose();
        }
    }
}
