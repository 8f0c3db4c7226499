using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Transport;
using Bridge.Contracts.V1;
using Microsoft.Extensions.Logging;

namespace Bridge.Connectors.Xnest;

/// <summary>
/// One mirrored room: its supervised WebSocket session (a new member, with a new pid, on every
/// connection), the durable dedupe window (loaded from and checkpointed to the cursor store), and
/// the room's sends.
/// </summary>
internal sealed class XnestRoom : ISessionHandler
{
    private readonly ICursorStore _cursors;
    private readonly XnestSentCache _sent = new(4096);
    private string? _durableState;
    private bool _loaded;
    private XnestRoomConnection? _live;

    public XnestRoom(string connector, string id, XnestOptions options, ICursorStore cursors, ILoggerFactory loggers, TimeProvider time, DeadlineSweep<EchoWaiter> echoDeadlines)
    {
        Connector = connector;
        EchoDeadlines = echoDeadlines;
        Id = id;
        Options = options;
        _cursors = cursors;
        Logger = loggers.CreateLogger<XnestConnector>();
        Time = time;
        Endpoint = new EndpointRef(connector, EndpointKind.Room, id);
        var url = options.RoomUrl(id);
        var socketOptions = new WebSocketEndpointOptions(url)
        {
            MaxFrameBytes = options.MaxFrameBytes,
            KeepAliveInterval = options.ProbeInterval > TimeSpan.Zero ? options.ProbeInterval : null,
            AllowUntrustedCertificate = options.AllowUntrustedCertificate,
        };
        var policy = options.Reconnect with { SilenceWindow = options.Watchdog > TimeSpan.Zero ? options.Watchdog : null };
        Supervisor = new SessionSupervisor(
            $"{connector}/{id}",
            socketOptions.SafeDescription,
            async ct => await WebSocketFrameConnection.ConnectAsync(socketOptions, time, ct).ConfigureAwait(false),
            this,
            policy,
            Logger,
            time)
        {
            CounterConnector = connector,
            RoutineLogLevel = LogLevel.Debug,
        };
    }

    public string Connector { get; }

    public string Id { get; }

    public EndpointRef Endpoint { get; }

    public XnestOptions Options { get; }

    public ILogger Logger { get; }

    public TimeProvider Time { get; }

    /// <summary>The deadlines of room sends waiting for their echo, shared by the connector's rooms.</summary>
    public DeadlineSweep<EchoWaiter> EchoDeadlines { get; }

    /// <summary>Decoded values that repeat across frames (pids, the room name, send times).</summary>
    public Utf8StringCache Strings { get; } = new(128);

    public SessionSupervisor Supervisor { get; }

    public IInboundSink? Sink { get; set; }

    /// <summary>The current connection once the server said <c>self</c>; null otherwise.</summary>
    public XnestRoomConnection? Live => Volatile.Read(ref _live);

    internal void SetLive(XnestRoomConnection? connection) => Volatile.Write(ref _live, connection);

    public async Task<SessionEnd> RunAsync(SessionContext context, CancellationToken cancellationToken)
    {
        var sink = Sink ?? throw new InvalidOperationException("the room runs without a sink");
        if (!_loaded)
        {
            _durableState = await _cursors.GetCursorAsync(Connector, Endpoint.Path, cancellationToken).ConfigureAwait(false);
            _loaded = true;
        }

        // Every connection starts from what is durable: anything relayed after the last checkpoint
        // is relayed again from history with the same ids, and the sink drops it as a duplicate.
        var window = XnestSeenWindow.Parse(_durableState, Options.DedupeWindow);
        var connection = new XnestRoomConnection(this, context, window, sink);
        try
        {
            return await connection.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            SetLive(null);
            connection.FailPendingSends();
        }
    }

    internal async Task CheckpointAsync(string state)
    {
        try
        {
            await _cursors.SetCursorAsync(Connector, Endpoint.Path, state, CancellationToken.None).ConfigureAwait(false);
            _durableState = state;
        }
        catch (Exception ex)
        {
            XnestLog.CheckpointFailed(Logger, Connector, Id, ex.Message);
        }
    }

    public Task<SendResult> SendTextAsync(string text, string idempotencyKey, CancellationToken cancellationToken) =>
        _sent.RunOnceAsync(idempotencyKey, () => Live is { } live
            ? live.SendRoomTextAsync(text, cancellationToken)
            : Task.FromResult(SendResult.NotConnected($"room {Id} is not connected")));

    public Task<SendResult> SendDirectAsync(string pid, string text, string idempotencyKey, CancellationToken cancellationToken) =>
        _sent.RunOnceAsync(idempotencyKey, () => Live is { } live
            ? live.SendDirectAsync(pid, text, idempotencyKey, cancellationToken)
            : Task.FromResult(SendResult.NotConnected($"room {Id} is not connected")));
}
