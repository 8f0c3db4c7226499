using System.Net.WebSockets;
using Bridge.Connectors.ProtobufIm.Wire;
using Bridge.Simulators.ProtobufIm;
using Bridge.Tests.Infrastructure;
using Google.Protobuf;

namespace Bridge.Tests.ProtobufIm;

/// <summary>The simulator behaves like the v1 server, quirk for quirk.</summary>
public sealed class ProtobufImSimulatorTests : IAsyncLifetime
{
    private readonly ProtobufImSimulator _sim = new();

    public Task InitializeAsync() => _sim.StartAsync();

    public async Task DisposeAsync() => await _sim.DisposeAsync();

    private static SendMessageRequest Direct(string from, string to, string text, string clientId) => new()
    {
        ClientMsgId = clientId, ConversationId = $"single_{from}_{to}", SenderId = "ignored", ReceiverId = to,
        MessageType = 1, Content = ByteString.CopyFromUtf8(text), SendTime = 1,
    };

    [Fact]
    public async Task Auth_failure_keeps_the_socket_open_and_a_retry_succeeds()
    {
        await using var client = await ImRawClient.ConnectAsync(_sim.Url);
        var refused = await client.AuthAsync("alice", "wrong");
        Assert.Equal((ErrorCode.ErrAuthFailed, "Invalid token"), (refused.ErrorCode, refused.ErrorMsg));
        var expired = await client.AuthAsync("alice", _sim.CreateJwt("alice", DateTimeOffset.UtcNow.AddSeconds(-5)));
        Assert.Equal(ErrorCode.ErrAuthFailed, expired.ErrorCode);

        // Unauthenticated: heartbeat answered, send refused, sync ignored.
        var beat = await client.RequestAsync(CommandType.CmdHeartbeatReq, new HeartbeatRequest(), HeartbeatResponse.Parser);
        Assert.True(beat.ServerTime > 0);
        var send = await client.RequestAsync(CommandType.CmdSendMsgReq, Direct("alice", "bob", "x", "c0"), SendMessageResponse.Parser);
        Assert.Equal((ErrorCode.ErrAuthFailed, "Not authenticated"), (send.ErrorCode, send.ErrorMsg));
        await client.SendAsync(CommandType.CmdSyncReq, new SyncRequest());
        Assert.Null(await client.ReceiveAsync(TimeSpan.FromMilliseconds(300)));

        var ok = await client.AuthAsync("alice", _sim.CreateJwt("alice"));
        Assert.Equal((ErrorCode.ErrSuccess, "Success"), (ok.ErrorCode, ok.ErrorMsg));
        Assert.Equal(WebSocketState.Open, client.State);
    }

    [Fact]
    public async Task Send_replies_with_the_client_id_and_a_per_sender_seq_and_pushes_to_the_receiver()
    {
        await using var alice = await ImRawClient.ConnectAsync(_sim.Url);
        await using var bob = await ImRawClient.ConnectAsync(_sim.Url);
        await alice.AuthAsync("alice", _sim.CreateUser("alice"));
        await bob.AuthAsync("bob", _sim.CreateUser("bob"));

        var first = await alice.RequestAsync(CommandType.CmdSendMsgReq, Direct("alice", "bob", "one", "c1"), SendMessageResponse.Parser);
        var second = await alice.RequestAsync(CommandType.CmdSendMsgReq, Direct("alice", "bob", "two", "c2"), SendMessageResponse.Parser);
        var fromBob = await bob.RequestAsync(CommandType.CmdSendMsgReq, Direct("bob", "alice", "three", "c3"), SendMessageResponse.Parser);
        Assert.Equal(("c1", 1L), (first.MessageId, first.Seq));
        Assert.Equal(("c2", 2L), (second.MessageId, second.Seq));
        Assert.Equal(("c3", 1L), (fromBob.MessageId, fromBob.Seq));

        var pushes = _sim.Received("bob");
        Assert.Equal(["one", "two"], pushes.Select(p => p.Content.ToStringUtf8()));
        Assert.Matches("^[0-9]{16}$", pushes[0].MessageId);
        Assert.Equal("alice", pushes[0].SenderId);
        Assert.Empty(pushes[0].Extra);

        var bad = await alice.RequestAsync(CommandType.CmdSendMsgReq, Direct("alice", "bob", "nul\0", "c4"), SendMessageResponse.Parser);
        Assert.Equal((ErrorCode.ErrUnknown, "Failed to save message"), (bad.ErrorCode, bad.ErrorMsg));
        var auth = await alice.AuthAsync("alice", _sim.CreateUser("alice"));
        Assert.Equal(2, auth.MaxSeq);
    }

    [Fact]
    public async Task Group_messages_are_stored_but_pushed_only_with_the_switch()
    {
        _sim.CreateGroup("g1", "alice", "bob");
        await using var bob = await ImRawClient.ConnectAsync(_sim.Url);
        await bob.AuthAsync("bob", _sim.CreateUser("bob"));
        _sim.SendToGroup("alice", "g1", "quiet");
        Assert.Single(_sim.Messages);
        Assert.Empty(_sim.Received("bob"));

        _sim.Options.GroupPush = true;
        _sim.SendToGroup("alice", "g1", "loud");
        await Eventually.TrueAsync(() => _sim.Received("bob").Count == 1, TimeSpan.FromSeconds(5), "bob got the group push");
        Assert.Equal("g1", _sim.Received("bob")[0].GroupId);
    }

    [Fact]
    public async Task Sync_ignores_min_seq_caps_the_limit_and_includes_own_messages()
    {
        for (var i = 0; i < 150; i++)
        {
            _sim.SendDirect("alice", "bob", $"m{i}");
        }

        _sim.SendDirect("bob", "alice", "reply");
        await using var bob = await ImRawClient.ConnectAsync(_sim.Url);
        await bob.AuthAsync("bob", _sim.CreateUser("bob"));
        var page = await bob.RequestAsync(CommandType.CmdSyncReq, new SyncRequest { MinSeq = 140, MaxSeq = 0, Limit = 500 }, SyncResponse.Parser);
        Assert.Equal(100, page.Messages.Count);
        Assert.True(page.HasMore);
        Assert.Equal(1, page.ServerMaxSeq);
        Assert.Equal(2, page.Messages.Count(m => m.Seq == 1)); // alice's seq 1 and bob's own seq 1
        Assert.Contains(page.Messages, m => m.SenderId == "bob");

        var tail = await bob.RequestAsync(CommandType.CmdSyncReq, new SyncRequest { MaxSeq = 140, Limit = 0 }, SyncResponse.Parser);
        Assert.Equal(10, tail.Messages.Count);
        Assert.False(tail.HasMore);
    }

    [Fact]
    public async Task A_bounded_messages_table_forgets_the_oldest_rows_and_sync_serves_the_rest()
    {
        _sim.Options.MaxStoredContentBytes = 1000;
        for (var i = 0; i < 100; i++)
        {
            _sim.SendDirect("alice", "bob", $"{i:D3}-{new string('x', 46)}"); // 50 bytes each
        }

        var kept = _sim.Messages;
        Assert.InRange(kept.Sum(m => m.Content.Length), 750, 1000);
        Assert.Equal("099", kept[^1].Text[..3]);
        Assert.Equal(Enumerable.Range(100 - kept.Count, kept.Count).Select(i => $"{i:D3}"), kept.Select(m => m.Text[..3]));

        await using var bob = await ImRawClient.ConnectAsync(_sim.Url);
        await bob.AuthAsync("bob", _sim.CreateUser("bob"));
        var page = await bob.RequestAsync(CommandType.CmdSyncReq, new SyncRequest { MaxSeq = 0, Limit = 100 }, SyncResponse.Parser);
        Assert.Equal(kept.Select(m => m.ServerId), page.Messages.Select(m => m.MessageId));
    }

    [Fact]
    public async Task Pushes_beyond_a_full_write_buffer_are_dropped_and_counted()
    {
        await using var bob = await ImRawClient.ConnectAsync(_sim.Url);
        await bob.AuthAsync("bob", _sim.CreateUser("bob"));
        Assert.Equal(0, _sim.DroppedFrames);
        _sim.Stall("bob", true);
        var sent = _sim.Options.WriteBufferFrames + 100;
        for (var i = 0; i < sent; i++)
        {
            _sim.SendDirect("alice", "bob", $"m{i}");
        }

        // The stalled pump holds at most one frame besides the buffer, so at least 99 of the extra 100 are dropped.
        Assert.InRange(_sim.DroppedFrames, 99, 100);
    }

    [Fact]
    public async Task Revoke_needs_the_server_id_and_the_sender()
    {
        await using var alice = await ImRawClient.ConnectAsync(_sim.Url);
        await alice.AuthAsync("alice", _sim.CreateUser("alice"));
        await alice.RequestAsync(CommandType.CmdSendMsgReq, Direct("alice", "bob", "x", "c1"), SendMessageResponse.Parser);
        var byClientId = await alice.RequestAsync(CommandType.CmdRevokeMsgReq, new RevokeMessageRequest { MessageId = "c1" }, RevokeMessageResponse.Parser);
        Assert.Equal((ErrorCode.ErrPermissionDenied, "record not found"), (byClientId.ErrorCode, byClientId.ErrorMsg));

        var bobs = _sim.SendDirect("bob", "alice", "not yours");
        var notSender = await alice.RequestAsync(CommandType.CmdRevokeMsgReq, new RevokeMessageRequest { MessageId = bobs.ServerId }, RevokeMessageResponse.Parser);
        Assert.Equal((ErrorCode.ErrPermissionDenied, "permission denied"), (notSender.ErrorCode, notSender.ErrorMsg));

        var own = _sim.Messages.Single(m => m.ClientMsgId == "c1");
        var ok = await alice.RequestAsync(CommandType.CmdRevokeMsgReq, new RevokeMessageRequest { MessageId = own.ServerId }, RevokeMessageResponse.Parser);
        Assert.Equal(ErrorCode.ErrSuccess, ok.ErrorCode);
        Assert.True(own.Revoked);
    }

    [Fact]
    public async Task Ack_typing_garbage_text_frames_and_unknown_commands_get_no_reply()
    {
        await using var alice = await ImRawClient.ConnectAsync(_sim.Url);
        await alice.AuthAsync("alice", _sim.CreateUser("alice"));
        await alice.SendAsync(CommandType.CmdMsgAck, new MessageAck { MessageId = "1", Seq = 1 });
        await alice.SendAsync(CommandType.CmdTypingStatusReq, new TypingStatusRequest { ConversationId = "c", Status = 1 });
        await alice.SendAsync((CommandType)777, new HeartbeatRequest());
        await alice.SendRawAsync([0xFF, 0xFF, 0xFF]);
        await alice.SendRawAsync("hello"u8.ToArray(), WebSocketMessageType.Text);
        Assert.Null(await alice.ReceiveAsync(TimeSpan.FromMilliseconds(300)));
        Assert.Single(_sim.Acks("alice"));
        var receipt = await alice.RequestAsync(CommandType.CmdReadReceiptReq, new ReadReceiptRequest { MessageIds = { "1" } }, ReadReceiptResponse.Parser);
        Assert.Equal((ErrorCode.ErrSuccess, "Success"), (receipt.ErrorCode, receipt.ErrorMsg));
    }

    [Fact]
    public async Task A_second_login_aborts_the_first_connection_without_a_close_frame()
    {
        await using var first = await ImRawClient.ConnectAsync(_sim.Url);
        await first.AuthAsync("alice", _sim.CreateUser("alice"));
        await using var second = await ImRawClient.ConnectAsync(_sim.Url);
        await second.AuthAsync("alice", _sim.CreateUser("alice"));
        await Assert.ThrowsAsync<WebSocketException>(() => first.ReceiveAsync(TimeSpan.FromSeconds(5)));
        Assert.True(_sim.IsOnline("alice"));
    }

    [Fact]
    public async Task The_read_deadline_drops_a_client_that_does_not_answer_pings()
    {
        _sim.Options.PingInterval = TimeSpan.FromMilliseconds(200);
        _sim.Options.ReadDeadline = TimeSpan.FromMilliseconds(600);
        await using var proxy = new FaultProxy(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, _sim.Port));
        proxy.Start();
        await using var alice = await ImRawClient.ConnectAsync(new Uri($"ws://127.0.0.1:{proxy.Port}/ws"));
        await alice.AuthAsync("alice", _sim.CreateUser("alice"));
        proxy.Stall(true);
        await Eventually.TrueAsync(() => !_sim.IsOnline("alice"), TimeSpan.FromSeconds(5), "the server dropped the silent client");
    }
}
