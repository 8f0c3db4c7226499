using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bridge.Simulators.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Bridge.Simulators.Xnest;

/// <summary>
/// A faithful fake of the xnest chat server (XPro HEAD, protocol doc <c>protocols/xnest.md</c>):
/// <c>/xgate/websocket/{room}</c> with the connect sequence, the robot, commands, history pages,
/// private messages across rooms, binary uploads served over HTTP, the idle-room stop, and the
/// <c>/xgate/http</c> JSON RPC. Control surface: rooms, simulated members that send and record
/// what they receive, executed commands, drop, stall, restart.
/// </summary>
public sealed class XnestSimulator : IStandaloneSimulator
{
    private static readonly JsonSerializerOptions RpcJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly string[] RandomNames = ["大痴", "卫春华", "黑旋风李逵", "小明", "花和尚鲁智深"];

    private readonly SimulatorServer _server;
    private readonly Dictionary<string, XnestSimRoom> _rooms = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, XnestSimHistory> _histories = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte[]> _uploads = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<XnestSimMember, WebSocket> _sockets = new();
    private readonly ConcurrentQueue<XnestSimCommand> _commands = new();
    private readonly ConcurrentQueue<XnestSimText> _texts = new();
    private CancellationTokenSource _lifetime = new();
    private volatile bool _stalled;
    private long _pidCounter = 100;
    private int _epoch;
    private long _uploadKey;
    private int _connections;

    public XnestSimulator(XnestSimulatorOptions? options = null, int port = 0, IPAddress? bind = null)
    {
        Options = options ?? new XnestSimulatorOptions();
        _server = new SimulatorServer(Map, port, bind);
    }

    public XnestSimulatorOptions Options { get; }

    public int Port => _server.Port;

    /// <summary>The gateway base URL: <c>ws://127.0.0.1:port/xgate/websocket</c>.</summary>
    public Uri BaseUrl => _server.WebSocketUrl("/xgate/websocket");

    /// <summary>How many TCP-level WebSocket sessions were accepted since start.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Every command the server executed (@changename, @history, @to with '|', @call with '|').</summary>
    public IReadOnlyList<XnestSimCommand> Commands => _commands.ToArray();

    /// <summary>Every text frame a client sent, as received.</summary>
    public IReadOnlyList<XnestSimText> Texts => _texts.ToArray();

    /// <summary>
    /// Raised once per chat text a member posts (as it is recorded), on the member's thread:
    /// a cheap hook for benchmarks that time arrivals. Keep handlers short.
    /// </summary>
    public event Action<XnestSimText>? TextPosted;

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _server.StartAsync(cancellationToken).ConfigureAwait(false);
        _ = TickAsync(_lifetime.Token);
    }

    public string Describe() => $"xnest simulator: {BaseUrl}/{{xnest_id}}?nickname=…, uploads and /xgate/http on {_server.HttpUrl("/")}";

    public XnestSimRoom? Room(string name)
    {
        lock (_rooms)
        {
            return _rooms.TryGetValue(name, out var room) && !room.Stopped ? room : null;
        }
    }

    /// <summary>The room, created (with its robot) if it does not run; <paramref name="storeHistory"/> applies only on creation.</summary>
    public XnestSimRoom CreateRoom(string name, bool storeHistory = true)
    {
        lock (_rooms)
        {
            if (_rooms.TryGetValue(name, out var room) && !room.Stopped)
            {
                return room;
            }

            var history = _histories.GetOrAdd(name, _ => new XnestSimHistory(Options.HistoryPageThreshold));
            return _rooms[name] = new XnestSimRoom(this, name, storeHistory, history);
        }
    }

    /// <summary>A simulated member (no socket) joins the room; it can send, and records what it receives.</summary>
    public XnestSimMember AddMember(string room, string nickname) => Join(room, nickname, storeHistory: true, hasSocket: false);

    private XnestSimMember Join(string roomName, string nickname, bool storeHistory, bool hasSocket)
    {
        while (true)
        {
            var room = CreateRoom(roomName, storeHistory);
            var member = new XnestSimMember(room, NewPid(), nickname, hasSocket, isRobot: false, Options.RecordLimit);
            if (room.TryJoin(member))
            {
                return member;
            }
        }
    }

    public XnestSimMember? FindMember(string pid)
    {
        lock (_rooms)
        {
            return _rooms.Values.SelectMany(r => r.Members).FirstOrDefault(m => m.Pid == pid);
        }
    }

    /// <summary>While stalled, the server neither reads nor writes any socket (pings go unanswered too).</summary>
    public void Stall(bool stalled) => _stalled = stalled;

    /// <summary>Aborts every WebSocket (optionally only those in one room); their leaves are broadcast.</summary>
    public void DropConnections(string? room = null)
    {
        foreach (var (member, socket) in _sockets)
        {
            if (room is null || member.Room.Name == room)
            {
                socket.Abort();
                member.Room.Remove(member);
            }
        }
    }

    /// <summary>Server restart: every connection drops, every room process dies, pids start anew; history persists.</summary>
    public async Task RestartAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _lifetime = new CancellationTokenSource();
        await StartAsync().ConfigureAwait(false);
    }

    public async Task StopAsync()
    {
        await _lifetime.CancelAsync().ConfigureAwait(false);
        lock (_rooms)
        {
            foreach (var room in _rooms.Values)
            {
                room.Kill();
            }

            _rooms.Clear();
        }

        Interlocked.Increment(ref _epoch);
        foreach (var socket in _sockets.Values)
        {
            socket.Abort();
        }

        await _server.StopAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _lifetime.Dispose();
    }

    internal string NewPid() => string.Create(CultureInfo.InvariantCulture, $"<0.{Interlocked.Increment(ref _pidCounter)}.{Volatile.Read(ref _epoch)}>");

    internal void RecordCommand(XnestSimCommand command) => _commands.Enqueue(command);

    internal void RecordText(XnestSimText text)
    {
        _texts.Enqueue(text);
        TextPosted?.Invoke(text);
    }

    internal string StoreUpload(string bucket, byte[] data)
    {
        var micros = (Options.Time.GetUtcNow().ToUnixTimeMilliseconds() * 1000) + (Interlocked.Increment(ref _uploadKey) % 1000);
        var key = micros.ToString(CultureInfo.InvariantCulture);
        _uploads[$"{bucket}/{key}"] = data;
        return _server.HttpUrl($"/{Uri.EscapeDataString(bucket)}/{key}").ToString();
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(Options.RoomTick, Options.Time, cancellationToken).ConfigureAwait(false);
                lock (_rooms)
                {
                    foreach (var (name, room) in _rooms.ToArray())
                    {
                        if (room.TickShouldStop())
                        {
                            _rooms.Remove(name);
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Server stopped.
        }
    }

    private void Map(IEndpointRouteBuilder routes)
    {
        routes.Map("/xgate/websocket/{room}", ServeWebSocketAsync);
        routes.MapPost("/xgate/http", ServeRpcAsync);
        routes.MapGet("/{bucket}/{key}", async context =>
        {
            var id = $"{context.Request.RouteValues["bucket"]}/{context.Request.RouteValues["key"]}";
            if (_uploads.TryGetValue(id, out var data))
            {
                await context.Response.Body.WriteAsync(data).ConfigureAwait(false);
                return;
            }

            context.Response.StatusCode = StatusCodes.Status404NotFound;
            context.Response.ContentType = "text/html";
            await context.Response.WriteAsync("<html><body><h1>404 Not Found</h1></body></html>").ConfigureAwait(false);
        });
    }

    private async Task ServeWebSocketAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        var roomName = (string)context.Request.RouteValues["room"]!;
        var nickname = context.Request.Query.TryGetValue("nickname", out var q) ? q.ToString()
            : context.Request.Cookies.TryGetValue("nickname", out var c) ? c
            : RandomNames[Random.Shared.Next(RandomNames.Length)];
        var store = !context.Request.Query.TryGetValue("is_store_history", out var s) || s.ToString() != "false";
        context.Response.Headers.SetCookie = $"nickname={Uri.EscapeDataString(new string(nickname.Where(ch => ch is not (' ' or ',' or ';')).ToArray()))}; max-age=86400";
        context.Response.Headers.AccessControlAllowOrigin = "*";
        using var socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        Interlocked.Increment(ref _connections);
        var member = Join(roomName, nickname, store, hasSocket: true);
        _sockets[member] = socket;
        using var done = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _lifetime.Token);
        var pump = member.PumpAsync(socket, () => _stalled, done.Token);
        try
        {
            await ReadAsync(member, socket, done.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            // Client gone or server stopping.
        }
        finally
        {
            member.Room.Remove(member);
            _sockets.TryRemove(member, out _);
            try
            {
                await pump.WaitAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
                if (socket.State == WebSocketState.CloseSent)
                {
                    // The server closed (1007, 1011): the handshake completes before the connection goes, so
                    // the client reads the close frame rather than a reset.
                    await WebSocketIo.AwaitPeerCloseAsync(socket, TimeSpan.FromSeconds(1)).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or TimeoutException or ObjectDisposedException)
            {
                socket.Abort();
            }
        }
    }

    private async Task ReadAsync(XnestSimMember member, WebSocket socket, CancellationToken cancellationToken)
    {
        while (member.IsConnected)
        {
            while (_stalled)
            {
                await Task.Delay(10, cancellationToken).ConfigureAwait(false);
            }

            var message = await WebSocketIo.ReadMessageAsync(socket, int.MaxValue, cancellationToken).ConfigureAwait(false);
            if (message is not { } m || !member.IsConnected)
            {
                return;
            }

            if (m.Type == WebSocketMessageType.Binary)
            {
                member.Room.OnBinary(member, m.Data);
            }
            else if (!System.Text.Unicode.Utf8.IsValid(m.Data))
            {
                member.Room.Crash(member, WebSocketCloseStatus.InvalidPayloadData);
            }
            else
            {
                member.Room.OnText(member, Encoding.UTF8.GetString(m.Data));
            }
        }
    }

    private async Task ServeRpcAsync(HttpContext context)
    {
        JsonNode? request;
        try
        {
            request = await JsonNode.ParseAsync(context.Request.Body).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        var room = CreateRoom(request?["params"]?["xnest"]?.GetValue<string>() ?? string.Empty);
        JsonNode? result = request?["method"]?.GetValue<string>() switch
        {
            "members" => new JsonArray(room.Members.Select(m => (JsonNode)new JsonArray(m.Pid, m.Nickname)).ToArray()),
            "member_count" => room.Members.Count,
            "history" => new JsonArray(room.History.Page(request?["params"]?["count"]?.GetValue<long>() ?? 0)
                .Select(h => (JsonNode)new JsonObject { ["from"] = h.From, ["payload"] = h.Payload, ["type"] = h.Type, ["send_time"] = h.SendTime }).ToArray()),
            _ => "404",
        };
        var response = new JsonObject { ["request_id"] = request?["request_id"]?.DeepClone(), ["result"] = result };
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(response.ToJsonString(RpcJson)).ConfigureAwait(false);
    }
}
