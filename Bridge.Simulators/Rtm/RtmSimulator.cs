using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using Bridge.Connectors.Rtm;
using Bridge.Connectors.Rtm.Fpnn;
using Bridge.Connectors.Rtm.MsgPack;
using Bridge.Simulators.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Bridge.Simulators.Rtm;

/// <summary>
/// A fake FPNN RTM gate (and dispatch) on <c>ws://127.0.0.1:port/service/&lt;name&gt;</c>, written
/// from docs protocols/rtm.md: FPNN msgpack packets one per binary message, auth against a
/// uid/token table, one login per uid (kickout to the older one), rooms per connection, groups,
/// p2p, pushes as twoway quests that wait for the client's answer, gate pings, history, mid
/// dedupe (200053). The control surface drives simulated users and inspects what they received.
/// </summary>
public sealed partial class RtmSimulator : IAsyncDisposable
{
    private readonly SimulatorServer _server;
    private readonly ConcurrentDictionary<long, (string Token, bool Banned)> _users = new();
    private readonly ConcurrentDictionary<long, HashSet<long>> _groups = new();
    private readonly ConcurrentDictionary<long, ConcurrentDictionary<long, byte>> _virtualRoomMembers = new();
    private readonly ConcurrentDictionary<long, RtmSimConnection> _connections = new();
    private readonly ConcurrentDictionary<long, ConcurrentQueue<RtmSimReceived>> _received = new();
    private readonly ConcurrentQueue<RtmSimClientAnswer> _answers = new();
    private readonly ConcurrentDictionary<(long From, long Mid), byte> _mids = new();
    private readonly RtmSimHistory _history = new();
    private readonly ConcurrentQueue<string> _proxyTargets = new();
    private readonly CancellationTokenSource _stop = new();
    private long _connectionIds;
    private int _logins;
    private volatile bool _pingsPaused;
    private Task? _timers;

    public RtmSimulator(RtmSimulatorOptions? options = null, int port = 0, IPAddress? address = null)
    {
        Options = options ?? new RtmSimulatorOptions();
        _server = new SimulatorServer(routes => SimulatorServer.MapWebSocket(routes, "/service/{name}", HandleAsync), port, address);
    }

    public RtmSimulatorOptions Options { get; set; }

    public int Port => _server.Port;

    /// <summary>The gate URL (<c>ws://127.0.0.1:port/service/websocket</c>); dispatch is served on the same URL.</summary>
    public Uri Url => _server.WebSocketUrl(RtmEndpoints.Path);

    /// <summary>Successful auths so far.</summary>
    public int Logins => Volatile.Read(ref _logins);

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _server.StartAsync(cancellationToken).ConfigureAwait(false);
        _timers ??= RunTimersAsync();
    }

    /// <summary>Drops every connection and listens again on the same port (state is kept).</summary>
    public async Task RestartAsync()
    {
        DropConnections();
        await _server.RestartAsync().ConfigureAwait(false);
    }

    public Task StopAsync()
    {
        DropConnections();
        return _server.StopAsync();
    }

    // ---- control surface -------------------------------------------------------------

    public void AddUser(long uid, string token) => _users[uid] = (token, false);

    /// <summary>A banned uid gets <c>{code:200024, ex:"auth denied"}</c>.</summary>
    public void BanUser(long uid) => _users.AddOrUpdate(uid, _ => (string.Empty, true), (_, u) => (u.Token, true));

    public void SetGroup(long gid, params long[] members) => _groups[gid] = [.. members];

    /// <summary>Makes a simulated (socket-less) user a member of a room.</summary>
    public void EnterRoom(long uid, long rid) => _virtualRoomMembers.GetOrAdd(rid, _ => new())[uid] = 0;

    /// <summary>Makes a simulated user send, as the gate would process the send quest.</summary>
    public Task<RtmSimSendResult> SendAsync(long from, RtmConversationType type, long target, string msg, int mtype = RtmMtypes.Chat, string attrs = "", long? mid = null) =>
        ProcessSendAsync(null, from, type, target, mid ?? NextMid(), mtype, msg, attrs);

    /// <summary>What a user received, in order (one entry per message).</summary>
    /// <summary>
    /// Raised once per chat message the gate stores (before it is pushed), on the sender's
    /// thread: a cheap hook for benchmarks that time arrivals. Keep handlers short.
    /// </summary>
    public event Action<RtmSimMessage>? Stored;

    public IReadOnlyList<RtmSimReceived> Received(long uid) =>
        _received.TryGetValue(uid, out var q) ? q.ToArray() : [];

    /// <summary>The <c>endpoint</c> of every packet that arrived in the proxy form.</summary>
    public IReadOnlyList<string> ProxyTargets => _proxyTargets.ToArray();

    /// <summary>Every answer clients sent to pushes and pings.</summary>
    public IReadOnlyList<RtmSimClientAnswer> ClientAnswers => _answers.ToArray();

    /// <summary>Pushes a connection of this uid has not answered yet.</summary>
    public int UnansweredPushes(long uid) => ConnectionsOf(uid).Sum(c => c.Pending.Values.Count(p => p.Method != RtmMethods.Ping));

    public int ConnectionCount(long uid) => ConnectionsOf(uid).Count();

    public IReadOnlyList<RtmSimMessage> History(RtmConversationType type, long a, long b = 0) => _history.All(type, a, b);

    /// <summary>Whether a connection of <paramref name="uid"/> has entered <paramref name="rid"/>.</summary>
    public bool InRoom(long uid, long rid) => ConnectionsOf(uid).Any(c => c.Rooms.ContainsKey(rid));

    public void PausePings(bool paused) => _pingsPaused = paused;

    /// <summary>Stalled connections of the uid send nothing and ignore what arrives (a hung gate).</summary>
    public void Stall(long uid, bool stalled)
    {
        foreach (var c in ConnectionsOf(uid))
        {
            c.Stalled = stalled;
        }
    }

    /// <summary>Aborts the connections of one uid (or all).</summary>
    public void DropConnections(long? uid = null)
    {
        foreach (var c in _connections.Values.Where(c => uid is null || c.Uid == uid))
        {
            c.Abort();
        }
    }

    public async Task KickoutAsync(long uid)
    {
        foreach (var c in ConnectionsOf(uid))
        {
            await c.KickAsync().ConfigureAwait(false);
        }
    }

    public async Task KickoutRoomAsync(long uid, long rid)
    {
        foreach (var c in ConnectionsOf(uid).Where(c => c.Rooms.TryRemove(rid, out _)))
        {
            using var packet = FpnnPacketWriter.Quest(RtmMethods.KickoutRoom, 0, twoWay: false);
            packet.Payload.WriteMapHeader(1);
            packet.Payload.WriteString("rid"u8);
            packet.Payload.WriteInt64(rid);
            await c.SendAsync(packet.ToArray()).ConfigureAwait(false);
        }
    }

    /// <summary>Sends a twoway quest (any method, a map payload) to every connection of the uid; the answers land in <see cref="ClientAnswers"/>.</summary>
    public async Task PushAsync(long uid, string method, Dictionary<string, object?>? payload = null)
    {
        foreach (var c in ConnectionsOf(uid))
        {
            await c.PushAsync(method, packet => MsgPackTree.Write(packet.Payload, payload ?? [])).ConfigureAwait(false);
        }
    }

    /// <summary>Sends raw bytes (e.g. a malformed packet) to every connection of the uid.</summary>
    public async Task SendRawAsync(long uid, byte[] bytes)
    {
        foreach (var c in ConnectionsOf(uid))
        {
            await c.SendAsync(bytes).ConfigureAwait(false);
        }
    }

    /// <summary>Re-sends every push the uid's connections have not answered, with new seqs.</summary>
    public async Task RepushUnansweredAsync(long uid)
    {
        foreach (var c in ConnectionsOf(uid))
        {
            await RepushAsync(c, TimeSpan.Zero).ConfigureAwait(false);
        }
    }

    // ---- connections -----------------------------------------------------------------

    private IEnumerable<RtmSimConnection> ConnectionsOf(long uid) =>
        _connections.Values.Where(c => c.Authenticated && c.Uid == uid);

    private async Task HandleAsync(HttpContext context, WebSocket socket)
    {
        var connection = new RtmSimConnection(Interlocked.Increment(ref _connectionIds), socket);
        _connections[connection.Id] = connection;
        try
        {
            while (!connection.Closing.IsCancellationRequested)
            {
                var message = await WebSocketIo.ReadMessageAsync(socket, Options.MaxPacketBytes + 16, connection.Closing.Token).ConfigureAwait(false);
                if (message is null)
                {
                    return;
                }

                connection.LastReceivedTicks = Environment.TickCount64;
                if (connection.Stalled)
                {
                    continue;
                }

                if (!await HandlePacketAsync(connection, message.Value.Data).ConfigureAwait(false))
                {
                    return; // framing error: close without answering
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            // Gone.
        }
        finally
        {
            _connections.TryRemove(connection.Id, out _);
            connection.Abort();
        }
    }

    private async Task RunTimersAsync()
    {
        var lastPing = Environment.TickCount64;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var now = Environment.TickCount64;
            var ping = Options.PingInterval is { } interval && !_pingsPaused && now - lastPing >= interval.TotalMilliseconds;
            if (ping)
            {
                lastPing = now;
            }

            foreach (var c in _connections.Values)
            {
                if (Options.IdleTimeout is { } idle && now - c.LastReceivedTicks > idle.TotalMilliseconds)
                {
                    c.Abort();
                    continue;
                }

                if (!c.Authenticated)
                {
                    continue;
                }

                if (ping)
                {
                    await c.PushAsync(RtmMethods.Ping, _ => { }).ConfigureAwait(false);
                }

                if (Options.RepushUnanswered is { } repush)
                {
                    await RepushAsync(c, repush).ConfigureAwait(false);
                }
            }
        }
    }

    private static async Task RepushAsync(RtmSimConnection c, TimeSpan olderThan)
    {
        var now = Environment.TickCount64;
        foreach (var (seq, push) in c.Pending.ToArray())
        {
            if (push.Method == RtmMethods.Ping || push.Repushed || now - push.SentTicks < olderThan.TotalMilliseconds)
            {
                continue;
            }

            // The old seq stays pending (its answer may still come); the copy goes out with a new seq.
            c.Pending[seq] = push with { Repushed = true };
            var next = c.NextSeq();
            var packet = push.Packet.ToArray();
            BinaryPrimitives.WriteUInt32LittleEndian(packet.AsSpan(12), next);
            c.Pending[next] = push with { Packet = packet, SentTicks = now };
            await c.SendAsync(packet).ConfigureAwait(false);
        }
    }

    private static long _midCounter = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;

    private static long NextMid() => Interlocked.Increment(ref _midCounter);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_timers is not null)
        {
            await _timers.ConfigureAwait(false);
        }

        await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
