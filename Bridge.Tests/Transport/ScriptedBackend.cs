using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using Bridge.Connectors.Transport;
using Bridge.Simulators.Hosting;
using Microsoft.AspNetCore.Http;

namespace Bridge.Tests.Transport;

/// <summary>
/// A tiny text protocol served over Kestrel for supervisor tests: the client sends
/// "auth &lt;password&gt;", the server answers "ok" or "denied" (then closes with 4003); after that
/// the server sends "tick" every <see cref="TickInterval"/>, answers "ping" with "pong", records
/// everything else, and completes the close handshake when the client closes.
/// </summary>
internal sealed class ScriptedBackend
{
    private readonly ConcurrentDictionary<Connection, byte> _live = new();
    private readonly ConcurrentQueue<string> _received = new();
    private readonly ConcurrentQueue<(WebSocketCloseStatus? Status, string? Description)> _closes = new();
    private int _connections;

    public string Password { get; set; } = "secret";

    public TimeSpan? TickInterval { get; set; } = TimeSpan.FromMilliseconds(30);

    /// <summary>Delay before answering "auth" (to stop the bridge mid-authentication).</summary>
    public TimeSpan AuthDelay { get; set; }

    /// <summary>WebSocket sessions accepted so far (connection attempts that reached the server).</summary>
    public int Connections => Volatile.Read(ref _connections);

    public int Live => _live.Count;

    public IReadOnlyList<string> Received => [.. _received];

    /// <summary>The close status each client sent when it closed (normal shutdown path).</summary>
    public IReadOnlyList<(WebSocketCloseStatus? Status, string? Description)> Closes => [.. _closes];

    public void Map(Microsoft.AspNetCore.Routing.IEndpointRouteBuilder routes) => SimulatorServer.MapWebSocket(routes, "/ws", SessionAsync);

    /// <summary>Tells every live client that another login took the account, then closes.</summary>
    public async Task KickAllAsync()
    {
        foreach (var connection in _live.Keys)
        {
            await connection.SendAsync("kicked");
            await connection.CloseAsync((WebSocketCloseStatus)4009, "replaced by another login");
        }
    }

    private async Task SessionAsync(HttpContext context, WebSocket socket)
    {
        Interlocked.Increment(ref _connections);
        var connection = new Connection(socket);
        _live[connection] = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        Task? ticker = null;
        try
        {
            while (await WebSocketIo.ReadMessageAsync(socket, 1 << 20, stop.Token) is { } message)
            {
                var text = Encoding.UTF8.GetString(message.Data);
                if (text.StartsWith("auth ", StringComparison.Ordinal))
                {
                    await Task.Delay(AuthDelay, stop.Token);
                    if (text[5..] != Password)
                    {
                        await connection.SendAsync("denied");
                        await connection.CloseAsync((WebSocketCloseStatus)4003, "bad credentials");
                        continue;
                    }

                    await connection.SendAsync("ok");
                    ticker = TickAsync(connection, stop.Token);
                }
                else if (text == "ping")
                {
                    await connection.SendAsync("pong");
                }
                else
                {
                    _received.Enqueue(text);
                }
            }

            if (socket.State == WebSocketState.CloseReceived)
            {
                _closes.Enqueue((socket.CloseStatus, socket.CloseStatusDescription));
                await connection.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye");
            }
        }
        finally
        {
            _live.TryRemove(connection, out _);
            await stop.CancelAsync();
            if (ticker is not null)
            {
                await ticker;
            }
        }
    }

    private async Task TickAsync(Connection connection, CancellationToken cancellationToken)
    {
        try
        {
            while (TickInterval is { } interval)
            {
                await Task.Delay(interval, cancellationToken);
                await connection.SendAsync("tick");
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
            // The session ended.
        }
    }

    /// <summary>A server-side socket whose sends are serialized (the ticker and the reader both send).</summary>
    private sealed class Connection(WebSocket socket)
    {
        private readonly SemaphoreSlim _sendLock = new(1, 1);

        public async Task SendAsync(string text)
        {
            await _sendLock.WaitAsync();
            try
            {
                if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                {
                    await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);
                }
            }
            finally
            {
                _sendLock.Release();
            }
        }

        public async Task CloseAsync(WebSocketCloseStatus status, string description)
        {
            await _sendLock.WaitAsync();
            try
            {
                if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                {
                    await socket.CloseOutputAsync(status, description, CancellationToken.None);
                }
            }
            finally
            {
                _sendLock.Release();
            }
        }
    }
}

/// <summary>The client half of <see cref="ScriptedBackend"/>'s protocol, as a session handler.</summary>
internal sealed class ScriptedHandler : ISessionHandler
{
    private int _goodbyes;
    private int _sessions;

    public string Password { get; set; } = "secret";

    /// <summary>Whether the server's "tick" counts as the protocol keepalive.</summary>
    public bool TickIsKeepalive { get; set; } = true;

    /// <summary>Thrown from GoodbyeAsync when set (a buggy protocol goodbye).</summary>
    public Exception? GoodbyeFailure { get; set; }

    public int Goodbyes => Volatile.Read(ref _goodbyes);

    public int Sessions => Volatile.Read(ref _sessions);

    public async Task<SessionEnd> RunAsync(SessionContext context, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _sessions);
        var connection = context.Connection;
        await SendAsync(connection, "auth " + Password, cancellationToken);
        using (var answer = await connection.ReceiveAsync(cancellationToken))
        {
            switch (Decode(answer))
            {
                case "ok":
                    context.MarkConnected();
                    break;
                case "denied":
                    return SessionEnd.BadCredentials("server said: denied");
                case var other:
                    return SessionEnd.Transient($"unexpected answer to auth: {other}");
            }
        }

        while (true)
        {
            using var frame = await connection.ReceiveAsync(cancellationToken);
            switch (Decode(frame))
            {
                case null:
                    return SessionEnd.Transient($"closed by server ({frame.CloseStatus})");
                case "kicked":
                    return SessionEnd.Kicked("another login took the account");
                case "tick" when TickIsKeepalive:
                case "pong":
                    context.KeepaliveSeen();
                    break;
            }
        }
    }

    public async Task GoodbyeAsync(IFrameConnection connection, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _goodbyes);
        if (GoodbyeFailure is { } failure)
        {
            throw failure;
        }

        await SendAsync(connection, "bye", cancellationToken);
    }

    private static ValueTask SendAsync(IFrameConnection connection, string text, CancellationToken cancellationToken) =>
        connection.SendAsync(Encoding.UTF8.GetBytes(text), FrameKind.Text, cancellationToken);

    private static string? Decode(ReceivedFrame frame) => frame.Kind == FrameKind.Close ? null : Encoding.UTF8.GetString(frame.Span);
}
