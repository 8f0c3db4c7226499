using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using Bridge.Connectors.ProtobufIm;
using Bridge.Connectors.ProtobufIm.Wire;
using Bridge.Simulators.Hosting;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Bridge.Simulators.ProtobufIm;

/// <summary>
/// A faithful fake of the protobuf IM server v1 (Arwen-7/IM-Server <c>59220947</c>) on
/// <c>ws://127.0.0.1:port/ws</c>, quirks included: auth failure keeps the socket open, a second
/// login aborts the older socket without a close frame or KICK_OUT, the send reply's message_id is
/// the client's id, seqs are per sender, only messages with a receiver are pushed (groups: stored
/// only, unless <see cref="ProtobufImSimulatorOptions.GroupPush"/>), SYNC ignores min_seq and caps
/// limit at 100, revoke needs the server id, ACK and TYPING get no reply, malformed frames and
/// unknown commands are ignored. The control surface creates users and groups, sends as a user,
/// reads what users received, drops or stalls connections and restarts the server.
/// </summary>
public sealed partial class ProtobufImSimulator : IStandaloneSimulator
{
    private readonly SimulatorServer _server;
    private readonly ImServerState _state;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, ImServerConnection> _online = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<ImServerConnection, byte> _connections = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<PushMessage>> _received = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentQueue<MessageAck>> _acks = new(StringComparer.Ordinal);
    private int _authSuccesses;
    private int _authFailures;
    private long _droppedFrames;

    public ProtobufImSimulator(ProtobufImSimulatorOptions? options = null, int port = 0, IPAddress? address = null, ILoggerFactory? loggerFactory = null, TimeProvider? time = null)
    {
        Options = options ?? new ProtobufImSimulatorOptions();
        _time = time ?? TimeProvider.System;
        _state = new ImServerState(_time, () => Options.MaxStoredContentBytes);
        _server = new SimulatorServer(routes => routes.Map("/ws", AcceptAsync), port, address, loggerFactory);
    }

    /// <summary>Timings and switches; change them between tests (new connections pick up timings).</summary>
    public ProtobufImSimulatorOptions Options { get; }

    public Uri Url => _server.WebSocketUrl("/ws");

    public int Port => _server.Port;

    public int AuthSuccesses => Volatile.Read(ref _authSuccesses);

    public int AuthFailures => Volatile.Read(ref _authFailures);

    /// <summary>Frames dropped because a connection's write buffer was full (the v1 server drops them silently).</summary>
    public long DroppedFrames => Interlocked.Read(ref _droppedFrames);

    /// <summary>Open WebSocket connections, authenticated or not.</summary>
    public int ConnectionCount => _connections.Count;

    public IReadOnlyList<ImStoredMessage> Messages => _state.Messages;

    /// <summary>
    /// Raised once per message the server stores (before it is pushed), on the sender's thread:
    /// a cheap hook for benchmarks that time arrivals. Keep handlers short.
    /// </summary>
    public event Action<ImStoredMessage>? Stored;

    public Task StartAsync(CancellationToken cancellationToken = default) => _server.StartAsync(cancellationToken);

    /// <summary>Stops the server (every connection drops at once); the stored messages survive.</summary>
    public async Task StopAsync()
    {
        foreach (var connection in _connections.Keys)
        {
            connection.Abort();
        }

        await _server.StopAsync().ConfigureAwait(false);
    }

    public async Task RestartAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await StartAsync().ConfigureAwait(false);
    }

    public string Describe() =>
        $"protobuf-im simulator (IM-Server v1) on {Url} — tokens: demo_token_<userId>, or HS256 JWTs with the server's default secret";

    public ValueTask DisposeAsync() => new(StopAsync());

    // ---- control surface -------------------------------------------------------------------

    /// <summary>Creates a user (v1 checks no user table) and returns a token for it (the server's dev form).</summary>
#pragma warning disable CA1822 // Part of the control surface; instance member by design.
    public string CreateUser(string userId) => "demo_token_" + userId;
#pragma warning restore CA1822

    /// <summary>A server-minted style JWT for the user (default lifetime 720 h).</summary>
    public string CreateJwt(string userId, DateTimeOffset? expires = null, string platform = "Web")
    {
        var now = _time.GetUtcNow();
        return ImJwt.Create(Options.JwtSecret, userId, platform, now, expires ?? now.AddHours(720));
    }

    public void CreateGroup(string groupId, params string[] members) => _state.AddMembers(groupId, members);

    /// <summary>Makes <paramref name="from"/> send a direct message, as its client would (conversation id by convention).</summary>
    public ImStoredMessage SendDirect(string from, string to, string text, string? clientMsgId = null) =>
        Submit(from, new SendMessageRequest
        {
            ClientMsgId = clientMsgId ?? Guid.NewGuid().ToString("N"),
            ConversationId = ImConversationIds.Single(from, to),
            SenderId = from,
            ReceiverId = to,
            MessageType = 1,
            Content = ByteString.CopyFromUtf8(text),
            SendTime = _time.GetUtcNow().ToUnixTimeMilliseconds(),
        });

    /// <summary>Makes <paramref name="from"/> send to a group: stored, pushed to nobody in v1.</summary>
    public ImStoredMessage SendToGroup(string from, string groupId, string text, string? clientMsgId = null) =>
        Submit(from, new SendMessageRequest
        {
            ClientMsgId = clientMsgId ?? Guid.NewGuid().ToString("N"),
            ConversationId = ImConversationIds.Group(groupId),
            SenderId = from,
            GroupId = groupId,
            MessageType = 1,
            Content = ByteString.CopyFromUtf8(text),
            SendTime = _time.GetUtcNow().ToUnixTimeMilliseconds(),
        });

    /// <summary>Revokes a stored message as its sender would; true on success.</summary>
    public bool Revoke(string by, string serverId) => RevokeCore(by, serverId).Code == ErrorCode.ErrSuccess;

    /// <summary>The pushes delivered to the user's connection(s), in order.</summary>
    public IReadOnlyList<PushMessage> Received(string userId) =>
        _received.TryGetValue(userId, out var queue) ? queue.ToArray() : [];

    /// <summary>What a user would see: stored, unrevoked messages addressed to them (direct, or groups they belong to).</summary>
    public IReadOnlyList<ImStoredMessage> Inbox(string userId) => _state.Messages
        .Where(m => !m.Revoked && (m.ReceiverId == userId || (m.GroupId.Length > 0 && _state.Members(m.GroupId).Contains(userId))))
        .ToArray();

    /// <summary>The MSG_ACKs a user's connection sent.</summary>
    public IReadOnlyList<MessageAck> Acks(string userId) =>
        _acks.TryGetValue(userId, out var queue) ? queue.ToArray() : [];

    public bool IsOnline(string userId) => _online.ContainsKey(userId);

    /// <summary>Aborts the user's connection (no close frame).</summary>
    public void Drop(string userId)
    {
        if (_online.TryGetValue(userId, out var connection))
        {
            connection.Abort();
        }
    }

    /// <summary>Stops (or resumes) reading from and writing to the user's connection.</summary>
    public void Stall(string userId, bool stalled)
    {
        if (_online.TryGetValue(userId, out var connection))
        {
            connection.Stalled = stalled;
        }
    }

    /// <summary>Writes raw bytes to the user's connection (fuzzing); false when offline or the buffer is full.</summary>
    public bool Inject(string userId, byte[] frame, bool asText = false) =>
        _online.TryGetValue(userId, out var connection)
        && connection.SendRaw(frame, asText ? WebSocketMessageType.Text : WebSocketMessageType.Binary);

    // ---- server ----------------------------------------------------------------------------

    private async Task AcceptAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        // Ping every PingInterval; abort when no pong (or other frame) within the read deadline.
        var accept = new WebSocketAcceptContext
        {
            KeepAliveInterval = Options.PingInterval,
            KeepAliveTimeout = Options.ReadDeadline > Options.PingInterval ? Options.ReadDeadline - Options.PingInterval : Options.ReadDeadline,
        };
        using var socket = await context.WebSockets.AcceptWebSocketAsync(accept).ConfigureAwait(false);
        var connection = new ImServerConnection(context, socket, this, Options.WriteBufferFrames, () => Interlocked.Increment(ref _droppedFrames));
        _connections[connection] = 0;
        try
        {
            await connection.RunAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The client went away, the deadline passed, or the server is stopping.
        }
        finally
        {
            connection.End();
            _connections.TryRemove(connection, out _);
            if (connection.UserId is { } user)
            {
                _online.TryRemove(new KeyValuePair<string, ImServerConnection>(user, connection));
            }
        }
    }

    /// <summary>One inbound binary frame (the connection handles frames one at a time).</summary>
    internal void Handle(ImServerConnection connection, byte[] data)
    {
        if (!ImCodec.TryDecode(data, int.MaxValue, out var envelope, out _))
        {
            return;
        }

        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        switch (envelope.Command)
        {
            case CommandType.CmdHeartbeatReq:
                connection.Send(CommandType.CmdHeartbeatRsp, envelope.Sequence, new HeartbeatResponse { ServerTime = now }, now);
                break;
            case CommandType.CmdAuthReq when ImCodec.TryParse(AuthRequest.Parser, envelope.Body, out var auth, out _):
                connection.Send(CommandType.CmdAuthRsp, envelope.Sequence, Authenticate(connection, auth.Token), now);
                break;
            case CommandType.CmdSendMsgReq when ImCodec.TryParse(SendMessageRequest.Parser, envelope.Body, out var send, out _):
                HandleSend(connection, envelope.Sequence, send, now);
                break;
            case CommandType.CmdMsgAck when ImCodec.TryParse(MessageAck.Parser, envelope.Body, out var ack, out _):
                if (connection.UserId is { } acker)
                {
                    _acks.GetOrAdd(acker, _ => new ConcurrentQueue<MessageAck>()).Enqueue(ack);
                }

                break;
            case CommandType.CmdRevokeMsgReq when ImCodec.TryParse(RevokeMessageRequest.Parser, envelope.Body, out var revoke, out _):
                var (code, text) = connection.UserId is { } revoker ? RevokeCore(revoker, revoke.MessageId) : (ErrorCode.ErrAuthFailed, "Not authenticated");
                connection.Send(CommandType.CmdRevokeMsgRsp, envelope.Sequence, new RevokeMessageResponse { ErrorCode = code, ErrorMsg = text }, now);
                break;
            case CommandType.CmdSyncReq when connection.UserId is { } syncer && ImCodec.TryParse(SyncRequest.Parser, envelope.Body, out var sync, out _):
                connection.Send(CommandType.CmdSyncRsp, envelope.Sequence, Sync(syncer, sync), now);
                break;
            case CommandType.CmdReadReceiptReq when connection.UserId is not null && ImCodec.TryParse(ReadReceiptRequest.Parser, envelope.Body, out _, out _):
                connection.Send(CommandType.CmdReadReceiptRsp, envelope.Sequence, new ReadReceiptResponse { ErrorMsg = "Success" }, now);
                break;
            default:
                // TYPING, unauthenticated SYNC/READ_RECEIPT, unparsable bodies, unknown commands: no reply.
                break;
        }
    }

    private AuthResponse Authenticate(ImServerConnection connection, string token)
    {
        var user = token.Length > 11 && token.StartsWith("demo_token_", StringComparison.Ordinal)
            ? token[11..]
            : ImJwt.Validate(token, Options.JwtSecret, _time.GetUtcNow());
        if (user is null)
        {
            Interlocked.Increment(ref _authFailures);
            return new AuthResponse { ErrorCode = ErrorCode.ErrAuthFailed, ErrorMsg = "Invalid token" };
        }

        connection.UserId = user;
        _online.AddOrUpdate(user, connection, (_, older) =>
        {
            if (!ReferenceEquals(older, connection))
            {
                if (Options.KickOutFrame)
                {
                    older.SendThenAbort(ImCodec.Encode(CommandType.CmdKickOut, 0,
                        new KickOutNotification { Reason = 1, Message = "logged in on another device" }, _time.GetUtcNow().ToUnixTimeMilliseconds()));
                }
                else
                {
                    older.Abort();
                }
            }

            return connection;
        });
        Interlocked.Increment(ref _authSuccesses);
        return new AuthResponse { ErrorMsg = "Success", MaxSeq = _state.SenderSeq(user) };
    }

    private void HandleSend(ImServerConnection connection, uint sequence, SendMessageRequest request, long now)
    {
        if (connection.UserId is not { } sender)
        {
            connection.Send(CommandType.CmdSendMsgRsp, sequence, new SendMessageResponse { ErrorCode = ErrorCode.ErrAuthFailed, ErrorMsg = "Not authenticated" }, now);
            return;
        }

        if (Options.FailSaves || !CanStore(request.Content))
        {
            connection.Send(CommandType.CmdSendMsgRsp, sequence, new SendMessageResponse { ErrorCode = ErrorCode.ErrUnknown, ErrorMsg = "Failed to save message" }, now);
            return;
        }

        var stored = _state.Store(sender, request);
        connection.Send(CommandType.CmdSendMsgRsp, sequence, new SendMessageResponse
        {
            ErrorMsg = "Success",
            MessageId = request.ClientMsgId,
            Seq = stored.Seq,
            ServerTime = stored.ServerTime,
        }, now);
        Fanout(stored);
    }

    private ImStoredMessage Submit(string sender, SendMessageRequest request)
    {
        if (!CanStore(request.Content))
        {
            throw new ArgumentException("content with NUL or invalid UTF-8 cannot be stored (the server answers 'Failed to save message')", nameof(request));
        }

        var stored = _state.Store(sender, request);
        Fanout(stored);
        return stored;
    }

    /// <summary>A text column takes neither NUL nor invalid UTF-8.</summary>
    private static bool CanStore(ByteString content) =>
        content.Span.IndexOf((byte)0) < 0 && System.Text.Unicode.Utf8.IsValid(content.Span);

    private void Fanout(ImStoredMessage stored)
    {
        Stored?.Invoke(stored);
        if (stored.ReceiverId.Length > 0)
        {
            Push(stored.ReceiverId, CommandType.CmdPushMsg, stored.ToPush());
        }
        else if (stored.GroupId.Length > 0 && Options.GroupPush)
        {
            foreach (var member in _state.Members(stored.GroupId).Where(m => m != stored.SenderId))
            {
                Push(member, CommandType.CmdPushMsg, stored.ToPush());
            }
        }
    }

    private void Push(string user, CommandType command, IMessage body)
    {
        if (!_online.TryGetValue(user, out var connection))
        {
            return;
        }

        if (connection.Send(command, 0, body, _time.GetUtcNow().ToUnixTimeMilliseconds()) && Options.RecordPushes && body is PushMessage push)
        {
            _received.GetOrAdd(user, _ => new ConcurrentQueue<PushMessage>()).Enqueue(push);
        }
    }

    private (ErrorCode Code, string Text) RevokeCore(string by, string serverId)
    {
        var message = _state.Find(serverId);
        if (message is null)
        {
            return (ErrorCode.ErrPermissionDenied, "record not found");
        }

        if (message.SenderId != by)
        {
            return (ErrorCode.ErrPermissionDenied, "permission denied");
        }

        _state.Revoke(message);
        if (Options.RevokePush && message.ReceiverId.Length > 0)
        {
            Push(message.ReceiverId, CommandType.CmdRevokeMsgPush, new RevokeMessagePush
            {
                MessageId = message.ServerId,
                ConversationId = message.ConversationId,
                RevokedBy = by,
                RevokedTime = _time.GetUtcNow().ToUnixTimeMilliseconds(),
            });
        }

        return (ErrorCode.ErrSuccess, "Success");
    }

    private SyncResponse Sync(string user, SyncRequest request)
    {
        var limit = request.Limit <= 0 || request.Limit > 100 ? 100 : request.Limit;
        var (page, serverMaxSeq) = _state.Sync(user, request.MaxSeq, limit);
        var response = new SyncResponse { ErrorMsg = "Success", ServerMaxSeq = serverMaxSeq, HasMore = page.Count >= limit };
        response.Messages.AddRange(page.Select(m => m.ToPush()));
        return response;
    }
}
