using System.Collections.Concurrent;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Xnest;
using Bridge.Contracts.V1;
using Bridge.Simulators.Xnest;
using Bridge.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Bridge.Tests.Xnest;

/// <summary>A sink that records every call it gets (duplicates included) before the recording sink dedupes.</summary>
internal sealed class CallCountingSink(RecordingSink inner) : IInboundSink
{
    private readonly ConcurrentQueue<string> _posted = new();
    private int _completed;

    public RecordingSink Inner => inner;

    /// <summary>The native id of every PostedAsync call, in call order.</summary>
    public IReadOnlyList<string> PostedCalls => _posted.ToArray();

    /// <summary>PostedAsync calls that completed (cheap to poll).</summary>
    public int PostedCompleted => Volatile.Read(ref _completed);

    /// <summary>While set, PostedAsync calls wait for it before they reach the recording sink.</summary>
    public TaskCompletionSource? Hold { get; set; }

    public async Task<IngestOutcome> PostedAsync(MessagePosted message, CancellationToken cancellationToken)
    {
        _posted.Enqueue(message.NativeMessageId);
        if (Hold is { } hold)
        {
            await hold.Task.WaitAsync(cancellationToken);
        }

        var outcome = await inner.PostedAsync(message, cancellationToken);
        Interlocked.Increment(ref _completed);
        return outcome;
    }

    public Task<IngestOutcome> EditedAsync(MessageEdited message, CancellationToken cancellationToken) => inner.EditedAsync(message, cancellationToken);

    public Task<IngestOutcome> DeletedAsync(MessageDeleted message, CancellationToken cancellationToken) => inner.DeletedAsync(message, cancellationToken);

    public Task<IngestOutcome> MembershipAsync(MembershipChanged change, CancellationToken cancellationToken) => inner.MembershipAsync(change, cancellationToken);
}

/// <summary>The simulator plus one running xnest connector with a recording sink.</summary>
internal sealed class XnestRig : IAsyncDisposable
{
    public const string ConnectorName = "xn";

    private readonly CancellationTokenSource _stop = new();
    private readonly ILoggerFactory _loggers;
    private readonly bool _ownsSimulator;
    private Task? _run;

    private XnestRig(XnestSimulator sim, bool ownsSimulator, XnestConnector connector, ICursorStore cursors, ILoggerFactory loggers, TestLoggerProvider log)
    {
        Log = log;
        Sim = sim;
        _ownsSimulator = ownsSimulator;
        Connector = connector;
        Cursors = cursors;
        _loggers = loggers;
        Sink = new CallCountingSink(new RecordingSink());
    }

    public XnestSimulator Sim { get; }

    /// <summary>The connector's log lines (all levels).</summary>
    public TestLoggerProvider Log { get; }

    public XnestConnector Connector { get; }

    public ICursorStore Cursors { get; }

    public CallCountingSink Sink { get; }

    public RecordingSink Recorded => Sink.Inner;

    public static XnestOptions TestOptions(Uri url) => new()
    {
        Url = url,
        Nickname = "bridge",
        ProbeInterval = TimeSpan.Zero,
        Watchdog = TimeSpan.Zero,
        SendTimeout = TimeSpan.FromSeconds(3),
        CheckpointInterval = TimeSpan.FromMilliseconds(50),
        Reconnect = Connectors.Transport.ReconnectPolicy.Default with
        {
            InitialDelay = TimeSpan.FromMilliseconds(50),
            MaxDelay = TimeSpan.FromMilliseconds(200),
            ShutdownTimeout = TimeSpan.FromSeconds(1),
        },
    };

    public static async Task<XnestRig> StartAsync(
        ITestOutputHelper output,
        string[] rooms,
        Func<XnestOptions, XnestOptions>? configure = null,
        XnestSimulator? sim = null,
        ICursorStore? cursors = null,
        bool run = true,
        XnestSimulatorOptions? simOptions = null)
    {
        var owns = sim is null;
        if (sim is null)
        {
            sim = new XnestSimulator(simOptions);
            await sim.StartAsync();
        }

        var loggers = TestLoggerProvider.Factory(output, out var log);
        cursors ??= new MemoryCursorStore();
        var options = (configure ?? (o => o))(TestOptions(sim.BaseUrl));
        var endpoints = rooms.Select(r => new EndpointRef(ConnectorName, EndpointKind.Room, r)).ToArray();
        var context = new ConnectorContext(ConnectorName, endpoints, cursors, loggers, TimeProvider.System);
        var rig = new XnestRig(sim, owns, new XnestConnector(context, options), cursors, loggers, log);
        if (run)
        {
            rig.Run();
            foreach (var room in rooms)
            {
                await rig.WaitJoinedAsync(room);
            }
        }

        return rig;
    }

    public void Run() => _run = Connector.RunAsync(Sink, _stop.Token);

    /// <summary>Waits until the bridge is connected in the room and has processed its connect history.</summary>
    public async Task WaitJoinedAsync(string room)
    {
        await Eventually.TrueAsync(() => Connector.OwnPid(room) is { } pid && Sim.Room(room)?.Members.Any(m => m.Pid == pid) == true, TimeSpan.FromSeconds(10), $"the bridge joined {room}");
    }

    public string BridgePid(string room) => Connector.OwnPid(room) ?? throw new InvalidOperationException("not connected");

    public static OutboundMessage Message(EndpointRef target, string text, string? key = null) => new(
        target,
        MessageBody.FromText(text),
        key ?? Guid.NewGuid().ToString("N"),
        new Participant("other", "u1", "Someone"),
        Guid.NewGuid());

    public static EndpointRef RoomRef(string room) => new(ConnectorName, EndpointKind.Room, room);

    public static EndpointRef UserRef(string room, string pid) => new(ConnectorName, EndpointKind.User, $"{room}/{pid}");

    public async Task StopConnectorAsync()
    {
        await _stop.CancelAsync();
        if (_run is not null)
        {
            await _run.WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopConnectorAsync();
        await Connector.DisposeAsync();
        if (_ownsSimulator)
        {
            await Sim.DisposeAsync();
        }

        _stop.Dispose();
        _loggers.Dispose();
    }
}
