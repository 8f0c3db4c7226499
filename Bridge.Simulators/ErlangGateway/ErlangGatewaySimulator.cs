using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using Bridge.Connectors.ErlangGateway;
using Bridge.Simulators.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Bridge.Simulators.ErlangGateway;

/// <summary>
/// A fake Erlang IM gateway: binary WebSocket at <c>/ws</c> (and <c>/wss</c>, plain), the TCP
/// interface (4-byte length prefix, PUBLISH/PUB_ACK), the user-centre contract at <c>POST /auth</c>,
/// group membership sets named like the real <c>im_group:&lt;gid&gt;</c> Redis sets, server PINGs,
/// the resend-every-2-s-three-times-then-disconnect rule, offline queues and both duplicate-login
/// behaviours. The C# control surface creates users and groups, makes simulated users send, and
/// reports what each user received and acknowledged.
/// </summary>
public sealed partial class ErlangGatewaySimulator : IStandaloneSimulator
{
    private readonly ConcurrentDictionary<string, SimulatedUser> _users = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<uint, byte>> _groups = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<uint, List<SimulatedSession>> _sessions = new();
    private readonly ConcurrentDictionary<uint, ConcurrentQueue<SimulatedPush>> _offline = new();
    private readonly ConcurrentDictionary<uint, ConcurrentQueue<SimulatedDelivery>> _received = new();
    private readonly ConcurrentDictionary<uint, ConcurrentQueue<(string MsgId, int ResendsBefore)>> _acknowledged = new();
    private readonly ConcurrentQueue<string> _connectRefusals = new();
    private readonly SimulatorServer _server;
    private readonly ErlangTcpInterface? _tcp;
    private CancellationTokenSource _stopping = new();

    public ErlangGatewaySimulator(ErlangGatewaySimulatorOptions? options = null, IPAddress? address = null)
    {
        Options = options ?? new ErlangGatewaySimulatorOptions();
        _server = new SimulatorServer(Map, Options.Port, address);
        if (Options.TcpPort is { } tcpPort)
        {
            _tcp = new ErlangTcpInterface(this, tcpPort, address ?? IPAddress.Loopback);
        }
    }

    public ErlangGatewaySimulatorOptions Options { get; set; }

    /// <summary>When set, CONNECT credentials are checked by POSTing to this user centre (the real server's way).</summary>
    public Uri? UserCenterUrl { get; set; }

    public int Port => _server.Port;

    public int TcpPort => _tcp?.Port ?? 0;

    public Uri WebSocketUrl => _server.WebSocketUrl("/ws");

    public Uri AuthUrl => _server.HttpUrl("/auth");

    private int _logins;
    private int _clientDisconnects;
    private int _pingResponses;

    /// <summary>PING_RESPs received from all clients.</summary>
    public int PingResponses => Volatile.Read(ref _pingResponses);

    /// <summary>Clients that said DISCONNECT (9) before closing.</summary>
    public int ClientDisconnects => Volatile.Read(ref _clientDisconnects);

    /// <summary>Successful logins so far.</summary>
    public int Logins => Volatile.Read(ref _logins);

    public int Resends => AllSessions().Sum(s => s.Resends) + _closedResends;

    private int _closedResends;

    /// <summary>CONNECTs refused, with the reason (code and why).</summary>
    public IReadOnlyList<string> ConnectRefusals => _connectRefusals.ToArray();

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_stopping.IsCancellationRequested)
        {
            _stopping.Dispose();
            _stopping = new CancellationTokenSource();
        }

        await _server.StartAsync(cancellationToken).ConfigureAwait(false);
        _tcp?.Start();
    }

    /// <summary>A crashed server: every connection dropped, nothing listens until <see cref="StartAsync"/>.</summary>
    public async Task StopAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var session in AllSessions())
        {
            session.Abort("server stopped");
        }

        _tcp?.Stop();
        await _server.StopAsync().ConfigureAwait(false);
    }

    public async Task RestartAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await StartAsync().ConfigureAwait(false);
    }

    public string Describe() =>
        $"erlang-gateway simulator: ws://{_server.Host}:{Port}/ws" + (_tcp is null ? string.Empty : $", tcp {_server.Host}:{TcpPort}") +
        $", user centre {AuthUrl}; users: {string.Join(", ", _users.Values.OrderBy(u => u.Uid))}";

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    // ---------------- control surface ----------------

    /// <summary>Adds (or replaces) an account in the user centre.</summary>
    public SimulatedUser AddUser(string username, string password, uint uid)
    {
        var user = new SimulatedUser(username, password, uid);
        _users[username] = user;
        return user;
    }

    public SimulatedUser? FindUser(uint uid) => _users.Values.FirstOrDefault(u => u.Uid == uid);

    /// <summary>Adds members to the set <c>im_group:&lt;gid&gt;</c>.</summary>
    public void AddGroupMembers(uint groupId, params uint[] uids)
    {
        var set = _groups.GetOrAdd(GroupKey(groupId), _ => new ConcurrentDictionary<uint, byte>());
        foreach (var uid in uids)
        {
            set[uid] = 0;
        }
    }

    public void RemoveGroupMember(uint groupId, uint uid)
    {
        if (_groups.TryGetValue(GroupKey(groupId), out var set))
        {
            set.TryRemove(uid, out _);
        }
    }

    public IReadOnlyCollection<uint> GroupMembers(uint groupId) =>
        _groups.TryGetValue(GroupKey(groupId), out var set) ? set.Keys.Order().ToArray() : [];

    public static string GroupKey(uint groupId) => $"im_group:{groupId}";

    /// <summary>A simulated user sends a 1:1 message (as if its client wrote PUBLISH); returns the MsgId.</summary>
    public Task<string> SendAsUserAsync(uint fromUid, uint toUid, string payload, string? msgId = null) =>
        SendAsUserAsync(fromUid, toUid, Encoding.UTF8.GetBytes(payload), msgId);

    public async Task<string> SendAsUserAsync(uint fromUid, uint toUid, byte[] payload, string? msgId = null)
    {
        msgId ??= ErlangMsgIds.New();
        await RouteAsync(fromUid, ErlangCommand.Publish, toUid, [], msgId, payload).ConfigureAwait(false);
        return msgId;
    }

    /// <summary>A simulated user sends to a whole group (GROUP_PUBLISH).</summary>
    public Task<string> SendToGroupAsync(uint fromUid, uint groupId, string payload, string? msgId = null) =>
        SendToGroupAsync(fromUid, groupId, Encoding.UTF8.GetBytes(payload), msgId);

    public async Task<string> SendToGroupAsync(uint fromUid, uint groupId, byte[] payload, string? msgId = null)
    {
        msgId ??= ErlangMsgIds.New();
        await RouteAsync(fromUid, ErlangCommand.GroupPublish, groupId, [], msgId, payload).ConfigureAwait(false);
        return msgId;
    }

    /// <summary>A simulated user sends to some members of a group (GROUP_PART_PUBLISH).</summary>
    public async Task<string> SendToGroupPartAsync(uint fromUid, uint groupId, uint[] uids, string payload, string? msgId = null)
    {
        msgId ??= ErlangMsgIds.New();
        await RouteAsync(fromUid, ErlangCommand.GroupPartPublish, groupId, uids, msgId, Encoding.UTF8.GetBytes(payload)).ConfigureAwait(false);
        return msgId;
    }

    /// <summary>
    /// Raised once per message the gateway routes (before it is pushed to anyone), on the
    /// routing thread: a cheap hook for benchmarks that time arrivals. Keep handlers short.
    /// </summary>
    public event Action<SimulatedPush>? Routed;

    /// <summary>What a user received (once per message, whether or not it was online).</summary>
    public IReadOnlyList<SimulatedDelivery> ReceivedBy(uint uid) =>
        _received.TryGetValue(uid, out var q) ? q.ToArray() : [];

    /// <summary>MsgIds a connected client of this user acknowledged (every ack, resends included).</summary>
    public IReadOnlyList<string> AcknowledgedBy(uint uid) =>
        _acknowledged.TryGetValue(uid, out var q) ? q.Select(a => a.MsgId).ToArray() : [];

    /// <summary>How many pushes the acknowledging session had resent when the first ack of <paramref name="msgId"/> came; null before it came.</summary>
    public int? ResendsBeforeFirstAck(string msgId) =>
        _acknowledged.Values.SelectMany(q => q).Where(a => a.MsgId == msgId).Select(a => (int?)a.ResendsBefore).FirstOrDefault();

    public int OfflineCount(uint uid) => _offline.TryGetValue(uid, out var q) ? q.Count : 0;

    public bool IsOnline(uint uid) => SessionsOf(uid).Count > 0;

    public int ConnectionCount(uint uid) => SessionsOf(uid).Count;

    /// <summary>Pushes of this user's connections still waiting for an ack.</summary>
    public int UnacknowledgedCount(uint uid) => SessionsOf(uid).Sum(s => s.Unacknowledged);

    /// <summary>Drops every connection of a user (or everyone) without a close handshake.</summary>
    public void DropConnections(uint? uid = null)
    {
        foreach (var session in uid is { } u ? SessionsOf(u) : AllSessions())
        {
            session.Abort("dropped by the test");
        }
    }

    /// <summary>Stalls (or resumes) a user's connections: nothing is written or read, the sockets stay open.</summary>
    public void StallConnections(uint uid, bool stalled)
    {
        foreach (var session in SessionsOf(uid))
        {
            session.Stalled = stalled;
        }
    }

    /// <summary>Stops (or resumes) the server's PINGs to a user's connections.</summary>
    public void PausePings(uint uid, bool paused)
    {
        foreach (var session in SessionsOf(uid))
        {
            session.PingsPaused = paused;
        }
    }

    /// <summary>Sends a bare server packet (DISCONNECT 9, LOGOUT 20, INVALID_PACKET 10, PING 7) to a user's connections.</summary>
    public async Task SendControlAsync(uint uid, ErlangCommand command)
    {
        foreach (var session in SessionsOf(uid))
        {
            await session.SendAsync(ErlangCodec.Bare(command)).ConfigureAwait(false);
        }
    }

    /// <summary>Sends raw bytes to a user's connections (fuzzing the client).</summary>
    public async Task SendRawAsync(uint uid, byte[] packet)
    {
        foreach (var session in SessionsOf(uid))
        {
            await session.SendAsync(packet).ConfigureAwait(false);
        }
    }

    // ---------------- routing ----------------

    internal async Task RouteAsync(uint fromUid, ErlangCommand command, uint target, uint[] uids, string msgId, byte[] payload)
    {
        var pushMsgId = Options.FreshPushMsgId ? ErlangMsgIds.New() : msgId;
        if (command == ErlangCommand.Publish)
        {
            var direct = new SimulatedPush(fromUid, ErlangCommand.Publish, 0, [], pushMsgId, payload);
            Routed?.Invoke(direct);
            await DeliverAsync(target, direct).ConfigureAwait(false);
            return;
        }

        var members = GroupMembers(target);
        var recipients = command == ErlangCommand.GroupPartPublish ? uids.Where(members.Contains).Distinct() : members;
        var pushCommand = Options.GroupPushAsPublish ? ErlangCommand.Publish : command;
        var push = new SimulatedPush(fromUid, pushCommand, pushCommand == ErlangCommand.Publish ? 0 : target, pushCommand == ErlangCommand.GroupPartPublish ? uids : [], pushMsgId, payload);
        Routed?.Invoke(push with { GroupId = target });
        foreach (var uid in recipients)
        {
            if (uid != fromUid || Options.EchoGroupToSender)
            {
                await DeliverAsync(uid, push).ConfigureAwait(false);
            }
        }
    }

    private async Task DeliverAsync(uint uid, SimulatedPush push)
    {
        AddBounded(_received.GetOrAdd(uid, _ => new ConcurrentQueue<SimulatedDelivery>()), new SimulatedDelivery(uid, push), Options.MaxRecordedPerUser);

        var sessions = SessionsOf(uid);
        if (sessions.Count == 0)
        {
            Enqueue(uid, push);
            return;
        }

        var delivered = false;
        foreach (var session in sessions)
        {
            delivered |= await session.PushAsync(push).ConfigureAwait(false);
        }

        if (!delivered)
        {
            Enqueue(uid, push);
        }
    }

    private void Enqueue(uint uid, SimulatedPush push)
    {
        if (!Options.QueueOffline)
        {
            return;
        }

        AddBounded(_offline.GetOrAdd(uid, _ => new ConcurrentQueue<SimulatedPush>()), push, Options.MaxOfflinePerUser);
    }

    /// <summary>Adds at the end; beyond <paramref name="max"/> items the oldest are dropped.</summary>
    private static void AddBounded<T>(ConcurrentQueue<T> queue, T item, int max)
    {
        queue.Enqueue(item);
        while (queue.Count > max && queue.TryDequeue(out _))
        {
        }
    }

    private List<SimulatedSession> SessionsOf(uint uid)
    {
        if (!_sessions.TryGetValue(uid, out var list))
        {
            return [];
        }

        lock (list)
        {
            return [.. list];
        }
    }

    private List<SimulatedSession> AllSessions() => _sessions.Keys.SelectMany(SessionsOf).ToList();

    // ---------------- HTTP: WebSocket endpoints and the user centre ----------------

    private void Map(IEndpointRouteBuilder routes)
    {
        SimulatorServer.MapWebSocket(routes, "/ws", RunConnectionAsync);
        SimulatorServer.MapWebSocket(routes, "/wss", RunConnectionAsync);
        routes.MapPost("/auth", AnswerUserCentreAsync);
    }

    /// <summary>The user-centre contract: form <c>username=…&amp;password=…</c> → <c>{"result":"pass","uid":N}</c> or <c>{"result":"denied"}</c>.</summary>
    private async Task AnswerUserCentreAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        var user = Authenticate(form["username"].ToString(), form["password"].ToString());
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(user is null ? """{"result":"denied"}""" : $$"""{"result":"pass","uid":{{user.Uid}}}""", context.RequestAborted).ConfigureAwait(false);
    }

    private SimulatedUser? Authenticate(string username, string password) =>
        _users.TryGetValue(username, out var user) && string.Equals(user.Password, password, StringComparison.Ordinal) ? user : null;
}
