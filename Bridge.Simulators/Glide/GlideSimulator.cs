using System.Collections.Concurrent;
using System.Security.Cryptography;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Glide;
using Bridge.Simulators.Hosting;
using Microsoft.AspNetCore.Routing;

namespace Bridge.Simulators.Glide;

/// <summary>
/// A faithful fake of the Glide IM server (protocol doc sections 2-7): <c>/ws</c> with JSON text
/// frames, hello with a tmp@ id, AES credentials with a 25-minute expiry, one connection per uid
/// with <c>notify.kickout</c>, tickets, channels with permission bits, heartbeats and the silence
/// drop; plus the business API's <c>/api/auth/token</c> and <c>/api/session/ticket</c>. The C#
/// control surface creates users and channels, makes simulated users send, reads what each
/// received, drops or stalls connections and restarts the server.
/// </summary>
public sealed partial class GlideSimulator : IStandaloneSimulator
{
    public const string WorldChannelId = "the_world_channel";

    private readonly GlideSimulatorOptions _options;
    private readonly SimulatorServer _server;
    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private readonly ConcurrentDictionary<string, GlideSimClient> _clients = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, GlideSimUser> _users = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, GlideSimChannel> _channels = new(StringComparer.Ordinal);
    private CancellationTokenSource? _ticker;
    private long _mid;
    private long _chats;
    private long _groups;
    private long _ackRequests;
    private long _decodeErrors;

    public GlideSimulator(GlideSimulatorOptions? options = null)
    {
        _options = options ?? new GlideSimulatorOptions();
        _time = _options.Time;
        _server = new SimulatorServer(MapRoutes, _options.Port, _options.Bind, _options.LoggerFactory);
        if (_options.WorldChannel)
        {
            CreateChannel(WorldChannelId);
        }
    }

    public GlideSimulatorOptions Options => _options;

    public Uri WebSocketUrl => _server.WebSocketUrl("/ws");

    public Uri ApiUrl => _server.HttpUrl("/");

    public int Port => _server.Port;

    public long ChatMessages => Interlocked.Read(ref _chats);

    public long GroupMessages => Interlocked.Read(ref _groups);

    public long AckRequests => Interlocked.Read(ref _ackRequests);

    public long DecodeErrors => Interlocked.Read(ref _decodeErrors);

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _server.StartAsync(cancellationToken).ConfigureAwait(false);
        _ticker ??= StartTicker();
    }

    public string Describe() => $"glide simulator: ws {WebSocketUrl}, business API {ApiUrl}, secret '{_options.Secret}'";

    /// <summary>Stops listening and drops every WebSocket (a crashed server). Users, channels and simulated users stay.</summary>
    public async Task StopAsync()
    {
        foreach (var client in _clients.Values.Where(c => !c.IsVirtual))
        {
            client.Abort();
        }

        await _server.StopAsync().ConfigureAwait(false);
    }

    public async Task RestartAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await _server.StartAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_ticker is { } ticker)
        {
            await ticker.CancelAsync().ConfigureAwait(false);
            ticker.Dispose();
        }

        await StopAsync().ConfigureAwait(false);
    }

    // ---- users ---------------------------------------------------------------------------

    /// <summary>Creates an account (deliver secret and API token); online: also a simulated user connected as that uid.</summary>
    public GlideSimUser CreateUser(string uid, bool online = true, string? deliverSecret = null)
    {
        var user = _users.GetOrAdd(uid, u => new GlideSimUser(u, deliverSecret ?? RandomHex(8), "tok-" + RandomHex(16)));
        if (online)
        {
            SetOnline(uid, true);
        }

        return user;
    }

    /// <summary>Connects or disconnects the simulated user <paramref name="uid"/>.</summary>
    public void SetOnline(string uid, bool online)
    {
        lock (_gate)
        {
            if (online)
            {
                var user = _users.GetOrAdd(uid, u => new GlideSimUser(u, RandomHex(8), "tok-" + RandomHex(16)));
                var client = new GlideSimClient(uid, null, 0, _time)
                {
                    Credentials = new GlideCredentialClaims(uid, "sim", "simulated", user.DeliverSecret, _time.GetUtcNow().ToUnixTimeMilliseconds()),
                    DeliverSecret = user.DeliverSecret,
                };
                RegisterLocked(client, uid, null);
            }
            else if (_clients.TryGetValue(uid, out var existing) && existing.IsVirtual)
            {
                Unregister(existing);
            }
        }
    }

    public GlideSimUser? User(string uid) => _users.GetValueOrDefault(uid);

    /// <summary>A credential for <paramref name="uid"/> as the business API would issue it (IV random).</summary>
    public string MintCredential(string uid, string deviceId = "1", DateTimeOffset? issuedAt = null, string? deliverSecret = null, string? secret = null)
    {
        var user = _users.GetOrAdd(uid, u => new GlideSimUser(u, RandomHex(8), "tok-" + RandomHex(16)));
        var claims = new GlideCredentialClaims(uid, deviceId, string.Empty, deliverSecret ?? user.DeliverSecret, (issuedAt ?? _time.GetUtcNow()).ToUnixTimeMilliseconds());
        return GlideCredentials.Mint(secret ?? _options.Secret, claims);
    }

    /// <summary>Rotates a user's deliver secret, also on its live connection (what blacklisting does): cached tickets start failing.</summary>
    public void RotateSecret(string uid, string newSecret)
    {
        if (_users.TryGetValue(uid, out var user))
        {
            user.DeliverSecret = newSecret;
        }

        if (_clients.TryGetValue(uid, out var client))
        {
            client.DeliverSecret = newSecret;
        }
    }

    // ---- channels ------------------------------------------------------------------------

    public void CreateChannel(string id) => _channels.GetOrAdd(id, c => new GlideSimChannel(c));

    public void Subscribe(string channel, string uid, GlidePerm perm = GlidePerm.Member)
    {
        var c = _channels.GetOrAdd(channel, id => new GlideSimChannel(id));
        lock (c)
        {
            c.Members[uid] = perm;
        }
    }

    public void Unsubscribe(string channel, string uid)
    {
        if (_channels.TryGetValue(channel, out var c))
        {
            lock (c)
            {
                c.Members.Remove(uid);
            }
        }
    }

    public void SetChannelState(string channel, bool? muted = null, bool? blocked = null, bool? closed = null, bool? queueFull = null)
    {
        var c = _channels[channel];
        lock (c)
        {
            c.Muted = muted ?? c.Muted;
            c.Blocked = blocked ?? c.Blocked;
            c.Closed = closed ?? c.Closed;
            c.QueueFull = queueFull ?? c.QueueFull;
        }
    }

    public void RemoveChannel(string channel) => _channels.TryRemove(channel, out _);

    // ---- simulated users act -------------------------------------------------------------

    /// <summary>The simulated user <paramref name="from"/> sends a direct message (as its SDK would).</summary>
    public void SendChat(string from, string to, string content, string? cliMid = null, long mid = 0, int type = 1) =>
        SendAs(from, GlideActions.Chat, to, new GlideChatMessage(cliMid ?? RandomHex(16).ToUpperInvariant(), mid, 1, from, to, type, content, _time.GetUtcNow().ToUnixTimeMilliseconds()), null, null);

    /// <summary>The simulated user <paramref name="from"/> posts to a channel, optionally with one <c>extra</c> entry.</summary>
    public void SendGroup(string from, string channel, string content, string? cliMid = null, string? extraKey = null, string? extraValue = null) =>
        SendAs(from, GlideActions.Group, channel, new GlideChatMessage(cliMid ?? RandomHex(16).ToUpperInvariant(), 0, 1, from, channel, 1, content, _time.GetUtcNow().ToUnixTimeMilliseconds()), extraKey, extraValue);

    /// <summary>Processes <paramref name="json"/> as if the simulated user <paramref name="uid"/> sent it.</summary>
    public void SendFrame(string uid, string json) => Handle(VirtualClient(uid), System.Text.Encoding.UTF8.GetBytes(json));

    private void SendAs(string from, string action, string to, GlideChatMessage data, string? extraKey, string? extraValue)
    {
        using var frame = new PooledBufferWriter(512);
        GlideEncoder.Send(frame, action, 1, to, null, data, extraKey, extraValue);
        Handle(VirtualClient(from), frame.ToArray());
    }

    private GlideSimClient VirtualClient(string uid) =>
        _clients.TryGetValue(uid, out var c) && c.IsVirtual ? c : throw new InvalidOperationException($"'{uid}' is not an online simulated user (CreateUser first)");

    /// <summary>What the simulated user (or, for a WebSocket, nothing) received so far.</summary>
    /// <summary>
    /// Raised once per group message the server accepts (before it is pushed to the readers),
    /// on the sender's thread: a cheap hook for benchmarks that time arrivals. Keep handlers short.
    /// </summary>
    public event Action<GlideGroupMessage>? GroupMessageAccepted;

    public IReadOnlyList<GlideReceived> Received(string uid) =>
        _clients.TryGetValue(uid, out var c) ? c.Received.ToArray() : [];

    public IReadOnlyList<GlideReceived> Received(string uid, string action) => Received(uid).Where(r => r.Action == action).ToList();

    public void ClearReceived(string uid)
    {
        if (_clients.TryGetValue(uid, out var c))
        {
            c.Received.Clear();
        }
    }

    // ---- connections ---------------------------------------------------------------------

    /// <summary>Connection ids (uids, or tmp@… before authentication / after a kick).</summary>
    public IReadOnlyCollection<string> ConnectionIds => _clients.Keys.ToArray();

    public int SocketCount => _clients.Values.Count(c => !c.IsVirtual);

    /// <summary>Whether a WebSocket is authenticated as <paramref name="uid"/>.</summary>
    public bool IsConnected(string uid) => _clients.TryGetValue(uid, out var c) && !c.IsVirtual;

    /// <summary>Closes the connection's TCP at once.</summary>
    public bool Drop(string id)
    {
        if (!_clients.TryGetValue(id, out var c) || c.IsVirtual)
        {
            return false;
        }

        c.Abort();
        return true;
    }

    public void DropAll()
    {
        foreach (var c in _clients.Values.Where(c => !c.IsVirtual))
        {
            c.Abort();
        }
    }

    /// <summary>While stalled the server neither reads from nor writes to the connection.</summary>
    public bool Stall(string id, bool stalled)
    {
        if (!_clients.TryGetValue(id, out var c))
        {
            return false;
        }

        c.Stalled = stalled;
        return true;
    }

    /// <summary>Writes raw bytes to a connection as a text frame (fuzzing a client).</summary>
    public bool PushRaw(string id, byte[] frame)
    {
        if (!_clients.TryGetValue(id, out var c) || c.IsVirtual)
        {
            return false;
        }

        c.Deliver(frame);
        return true;
    }

    private void RegisterLocked(GlideSimClient client, string id, string? oldId)
    {
        if (oldId is not null)
        {
            _clients.TryRemove(new KeyValuePair<string, GlideSimClient>(oldId, client));
        }

        client.Id = id;
        _clients[id] = client;
    }

    private void Unregister(GlideSimClient client)
    {
        lock (_gate)
        {
            var id = client.Id;
            if (_clients.TryRemove(new KeyValuePair<string, GlideSimClient>(id, client)) && _options.WorldChannel && !id.StartsWith("tmp@", StringComparison.Ordinal))
            {
                Unsubscribe(WorldChannelId, id);
            }
        }
    }

    private static string RandomHex(int bytes) => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes));

    private static string NewTempId() => "tmp@" + Guid.NewGuid().ToString("D");
}
