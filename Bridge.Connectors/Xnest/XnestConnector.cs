using Bridge.Connectors.Abstractions;
using Bridge.Contracts.V1;

namespace Bridge.Connectors.Xnest;

/// <summary>
/// The xnest connector: one supervised WebSocket per room the routes name (room endpoints
/// <c>room/&lt;xnest_id&gt;</c>, and the rooms of user endpoints <c>user/&lt;xnest_id&gt;/&lt;pid&gt;</c>).
/// Its status is the worst of its rooms'.
/// </summary>
public sealed class XnestConnector : IConnector
{
    private readonly Dictionary<string, XnestRoom> _rooms = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private ConnectorStatus _status;
    private readonly object _statusGate = new();

    public XnestConnector(ConnectorContext context, XnestOptions options)
    {
        Name = context.Name;
        Options = options;
        _time = context.Time;
        _status = ConnectorStatus.Initial(_time);
        var echoDeadlines = XnestEchoWaiters.NewDeadlines(_time);
        foreach (var endpoint in context.Endpoints)
        {
            var room = endpoint.Kind switch
            {
                EndpointKind.Room => endpoint.NativeId,
                EndpointKind.User when SplitUser(endpoint.NativeId) is { } user => user.Room,
                _ => null,
            };
            if (room is not null && !_rooms.ContainsKey(room))
            {
                var r = new XnestRoom(Name, room, options, context.Cursors, context.LoggerFactory, _time, echoDeadlines);
                r.Supervisor.StatusChanged += _ => UpdateStatus();
                _rooms[room] = r;
            }
        }
    }

    public string Name { get; }

    public XnestOptions Options { get; }

    public ConnectorCapabilities Capabilities { get; } = new(
        ConnectorCapabilities.Kinds(EndpointKind.Room, EndpointKind.User),
        AcknowledgesSends: false,
        AcknowledgesPushes: false);

    public ConnectorStatus Status => Volatile.Read(ref _status);

    public event Action<ConnectorStatus>? StatusChanged;

    /// <summary>The rooms this connector keeps a session in.</summary>
    public IReadOnlyCollection<string> Rooms => _rooms.Keys;

    /// <summary>The bridge's pid in a room on the current connection (null while not connected).</summary>
    public string? OwnPid(string room) => _rooms.TryGetValue(room, out var r) ? r.Live?.OwnPid : null;

    /// <summary>The current members (pid → nickname) of a room, empty while not connected.</summary>
    public IReadOnlyDictionary<string, string> Members(string room) =>
        _rooms.TryGetValue(room, out var r) && r.Live is { } live ? live.Members : new Dictionary<string, string>();

    /// <summary>How often the room's session ended and was started again.</summary>
    public int Reconnects(string room) => _rooms.TryGetValue(room, out var r) ? r.Supervisor.Reconnects : 0;

    public async Task RunAsync(IInboundSink sink, CancellationToken stoppingToken)
    {
        if (_rooms.Count == 0)
        {
            SetStatus(new ConnectorStatus(SessionState.Stopped, "no xnest room is named in the routes", _time.GetUtcNow()));
            return;
        }

        foreach (var room in _rooms.Values)
        {
            room.Sink = sink;
        }

        await Task.WhenAll(_rooms.Values.Select(r => r.Supervisor.RunAsync(stoppingToken))).ConfigureAwait(false);
        UpdateStatus();
    }

    public async Task<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        var target = message.Target;
        using var activity = ConnectorDiagnostics.StartSend(Name, EndpointRef.KindName(target.Kind), target.ToString(), message.IdempotencyKey);
        var text = message.Body.AsPlainText();
        var result = target.Kind switch
        {
            EndpointKind.Room when _rooms.TryGetValue(target.NativeId, out var room) =>
                await room.SendTextAsync(text, message.IdempotencyKey, cancellationToken).ConfigureAwait(false),
            EndpointKind.User when SplitUser(target.NativeId) is { } user && _rooms.TryGetValue(user.Room, out var room) =>
                await room.SendDirectAsync(user.Pid, text, message.IdempotencyKey, cancellationToken).ConfigureAwait(false),
            EndpointKind.Room or EndpointKind.User => SendResult.Rejected(
                $"{target} names no room this connector is in (user endpoints are <xnest_id>/<pid>; the room must be in the routes)", "unknown-room"),
            _ => SendResult.Unsupported($"xnest has no {EndpointRef.KindName(target.Kind)} endpoints"),
        };
        if (!result.Succeeded && result.Failure != SendFailureKind.NotConnected) // held and logged once by the delivery consumer
        {
            ConnectorDiagnostics.Errors.Add(1, ConnectorDiagnostics.Tag(Name));
        }

        activity?.SetTag("bridge.native_message_id", result.NativeMessageId);
        return result;
    }

    /// <summary>A user endpoint's native id is <c>&lt;xnest_id&gt;/&lt;pid&gt;</c> (split at the last '/').</summary>
    public static (string Room, string Pid)? SplitUser(string nativeId)
    {
        var slash = nativeId.LastIndexOf('/');
        return slash <= 0 || slash == nativeId.Length - 1 ? null : (nativeId[..slash], nativeId[(slash + 1)..]);
    }

    /// <summary>
    /// Recomputes the connector's state from its rooms': the worst room state, with the first room
    /// in it as the reason. Serialized: rooms report from their own threads, and an unserialized
    /// computation that read a room's older state could be published after a newer one and stick
    /// (seen with 1,000 rooms: every room connected, the connector still "Connecting"). Only a
    /// change of state is announced (logged and published on the bus); while the state holds, a
    /// different room taking over the reason updates <see cref="Status"/> quietly, so that a
    /// thousand rooms connecting one after another announce "Connecting" once, not once a room.
    /// </summary>
    private void UpdateStatus()
    {
        lock (_statusGate)
        {
            XnestRoom? worst = null;
            var worstRank = -1;
            foreach (var room in _rooms.Values)
            {
                var rank = Rank(room.Supervisor.Status.State);
                if (rank > worstRank)
                {
                    (worst, worstRank) = (room, rank);
                }
            }

            var state = worst!.Supervisor.Status;
            var reason = state.State == SessionState.Connected ? null : $"room {worst.Id}: {state.Reason ?? state.State.ToString()}";
            var current = Status;
            if (current.State != state.State)
            {
                SetStatus(new ConnectorStatus(state.State, reason, _time.GetUtcNow()));
            }
            else if (current.Reason != reason)
            {
                Volatile.Write(ref _status, current with { Reason = reason });
            }
        }
    }

    private void SetStatus(ConnectorStatus status)
    {
        Volatile.Write(ref _status, status);
        StatusChanged?.Invoke(status);
    }

    private static int Rank(SessionState state) => state switch
    {
        SessionState.Connected => 0,
        SessionState.Starting => 1,
        SessionState.Connecting => 2,
        SessionState.TransientDisconnect => 3,
        SessionState.Kicked => 4,
        SessionState.BadCredentials => 5,
        _ => 6,
    };

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
