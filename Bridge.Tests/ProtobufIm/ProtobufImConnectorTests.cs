using Bridge.Connectors.Abstractions;
using Bridge.Connectors.ProtobufIm;
using Bridge.Connectors.ProtobufIm.Wire;
using Bridge.Contracts.V1;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.ProtobufIm;

/// <summary>Inbound, outbound, deletes and catch-up of the connector against the simulator.</summary>
public sealed class ProtobufImConnectorTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_push_becomes_a_posted_event_and_is_acknowledged_only_after_it_is_durable()
    {
        await using var rig = await ImRig.StartAsync(output);
        await rig.RunConnectedAsync();
        rig.Sink.DurableDelay = TimeSpan.FromMilliseconds(700);
        var stored = rig.Simulator.SendDirect("alice", ImRig.Bridge, "hello bridge");

        await Eventually.TrueAsync(() => rig.Sink.Calls == 1, TimeSpan.FromSeconds(5), "the sink was called");
        Assert.Empty(rig.Simulator.Acks(ImRig.Bridge)); // not durable yet
        var posted = (await rig.Sink.WaitForAsync<MessagePosted>(1))[0];
        await Eventually.TrueAsync(() => rig.Simulator.Acks(ImRig.Bridge).Count == 1, TimeSpan.FromSeconds(5), "acknowledged after durable");

        var ack = rig.Simulator.Acks(ImRig.Bridge)[0];
        Assert.Equal((stored.ServerId, stored.Seq), (ack.MessageId, ack.Seq));
        Assert.Equal(EventIds.ForIngest("pbim", stored.ServerId), posted.EventId);
        Assert.Equal(stored.ServerId, posted.NativeMessageId);
        Assert.Equal(new EndpointRef("pbim", EndpointKind.User, "alice"), posted.Conversation);
        Assert.Equal(new Participant("pbim", "alice"), posted.Sender);
        Assert.Equal("hello bridge", posted.Body.Text);
    }

    [Fact]
    public async Task A_failing_sink_prevents_the_ack_and_the_reconnect_catches_the_message_up()
    {
        await using var rig = await ImRig.StartAsync(output);
        var connector = await rig.RunConnectedAsync();
        rig.Sink.FailAll = true;
        var stored = rig.Simulator.SendDirect("alice", ImRig.Bridge, "keep me");
        await Eventually.TrueAsync(() => connector.Reconnects >= 1, TimeSpan.FromSeconds(5), "the session ended to catch up");
        Assert.Empty(rig.Simulator.Acks(ImRig.Bridge));

        rig.Sink.FailAll = false;
        var posted = await rig.Sink.WaitForAsync<MessagePosted>(1);
        Assert.Equal(stored.ServerId, posted[0].NativeMessageId);
        await Eventually.TrueAsync(() => connector.Status.State == SessionState.Connected, TimeSpan.FromSeconds(5), "connected again");
        Assert.Single(rig.Sink.Posted);
    }

    [Fact]
    public async Task Many_pushes_are_ingested_in_order_without_waiting_for_each_sink_call()
    {
        await using var rig = await ImRig.StartAsync(output, o => o.WriteBufferFrames = 10_000);
        var calls = new CallOrderSink(rig.Sink);
        await rig.RunConnectedAsync(sink: calls);
        rig.Sink.DurableDelay = TimeSpan.FromMilliseconds(200);
        for (var i = 0; i < 500; i++)
        {
            rig.Simulator.SendDirect("alice", ImRig.Bridge, $"m{i}");
        }

        // 500 calls of 200 ms each would take 100 s one by one.
        await rig.Sink.WaitForAsync<MessagePosted>(500, TimeSpan.FromSeconds(10));
        Assert.Equal(Enumerable.Range(0, 500).Select(i => $"m{i}"), calls.Texts);
        await Eventually.TrueAsync(() => rig.Simulator.Acks(ImRig.Bridge).Count == 500, TimeSpan.FromSeconds(5), "all acknowledged");
    }

    [Fact]
    public async Task Inbound_and_outbound_throughput_is_reported()
    {
        const int count = 2_000;
        await using var rig = await ImRig.StartAsync(output, o => { o.WriteBufferFrames = count * 2; o.RecordPushes = false; });
        var connector = await rig.RunConnectedAsync(rig.Options() with { MaxInFlight = 1024, RequestTimeout = TimeSpan.FromSeconds(30), HeartbeatInterval = TimeSpan.FromSeconds(5) });

        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            rig.Simulator.SendDirect("alice", ImRig.Bridge, $"m{i}");
        }

        await rig.Sink.WaitForAsync<MessagePosted>(count, TimeSpan.FromSeconds(30));
        var inbound = count / clock.Elapsed.TotalSeconds;

        clock.Restart();
        var sends = await Task.WhenAll(Enumerable.Range(0, count).Select(i => connector.SendAsync(ImRig.Outbound(EndpointKind.User, "alice", $"o{i}"), CancellationToken.None)));
        var outbound = count / clock.Elapsed.TotalSeconds;
        Assert.All(sends, r => Assert.True(r.Succeeded, r.ToString()));
        output.WriteLine($"inbound {inbound:0} msg/s, outbound {outbound:0} msg/s (simulator, connector and RecordingSink in one process)");
    }

    [Fact]
    public async Task A_message_seen_live_is_not_handed_over_again_by_the_catch_up_after_a_reconnect()
    {
        await using var rig = await ImRig.StartAsync(output);
        var connector = await rig.RunConnectedAsync();
        rig.Simulator.SendDirect("alice", ImRig.Bridge, "once");
        await rig.Sink.WaitForAsync<MessagePosted>(1);
        rig.Simulator.Drop(ImRig.Bridge);
        await Eventually.TrueAsync(() => connector.CompletedCatchUps >= 2, TimeSpan.FromSeconds(5), "reconnected and caught up");
        Assert.Equal(1, rig.Sink.Calls);
    }

    [Fact]
    public async Task The_bridge_accounts_own_messages_are_not_relayed_back()
    {
        await using var rig = await ImRig.StartAsync(output);
        var connector = await rig.RunConnectedAsync();
        var sent = await connector.SendAsync(ImRig.Outbound(EndpointKind.User, "alice", "from the bridge"), CancellationToken.None);
        Assert.True(sent.Succeeded, sent.ToString());
        rig.Simulator.SendDirect("alice", ImRig.Bridge, "from alice");
        await rig.Sink.WaitForAsync<MessagePosted>(1);

        // The reconnect's SYNC returns both (own messages included); only alice's reached the sink, once.
        rig.Simulator.Drop(ImRig.Bridge);
        await Eventually.TrueAsync(() => connector.CompletedCatchUps >= 2, TimeSpan.FromSeconds(5), "reconnected and caught up");
        Assert.Equal(1, rig.Sink.Calls);
        Assert.Equal("from alice", rig.Sink.Posted.Single().Body.Text);
    }

    [Fact]
    public async Task Catch_up_after_a_restart_ingests_what_was_missed_exactly_once()
    {
        await using var rig = await ImRig.StartAsync(output);
        rig.Simulator.SendDirect("alice", ImRig.Bridge, "ancient history");
        await rig.RunConnectedAsync();
        rig.Simulator.SendDirect("alice", ImRig.Bridge, "live");
        await rig.Sink.WaitForAsync<MessagePosted>(1);
        await rig.StopConnectorAsync();

        var missed = new[]
        {
            rig.Simulator.SendDirect("alice", ImRig.Bridge, "missed 1"),
            rig.Simulator.SendDirect("bob", ImRig.Bridge, "missed 2"),
            rig.Simulator.SendDirect("alice", ImRig.Bridge, "missed 3"),
        };
        Assert.DoesNotContain(rig.Simulator.Received(ImRig.Bridge), p => p.Content.ToStringUtf8().StartsWith("missed", StringComparison.Ordinal));

        await rig.RunConnectedAsync(); // a new connector instance, same cursor store
        var posted = await rig.Sink.WaitForAsync<MessagePosted>(4);
        Assert.Equal("live", posted[0].Body.Text);
        Assert.Equal(missed.Select(m => m.ServerId).Order(), posted.Skip(1).Select(p => p.NativeMessageId).Order());
        // SYNC orders by per-sender seq, so conversations interleave; each conversation keeps its order.
        Assert.Equal(["live", "missed 1", "missed 3"], posted.Where(p => p.Sender.NativeUserId == "alice").Select(p => p.Body.Text));
        Assert.Equal(4, rig.Sink.Calls); // neither the history nor "live" was handed over again
    }

    [Fact]
    public async Task History_is_relayed_on_first_start_only_when_configured()
    {
        await using var rig = await ImRig.StartAsync(output);
        rig.Simulator.SendDirect("alice", ImRig.Bridge, "old 1");
        rig.Simulator.SendDirect("alice", ImRig.Bridge, "old 2");
        await rig.RunConnectedAsync(rig.Options() with { SyncHistoryOnFirstStart = true });
        var posted = await rig.Sink.WaitForAsync<MessagePosted>(2);
        Assert.Equal(["old 1", "old 2"], posted.Select(p => p.Body.Text));
    }

    [Fact]
    public async Task Catch_up_pages_past_full_pages_with_per_sender_seqs()
    {
        await using var rig = await ImRig.StartAsync(output);
        var connector = await rig.RunConnectedAsync();
        await rig.StopConnectorAsync();
        for (var i = 0; i < 130; i++)
        {
            rig.Simulator.SendDirect(i % 2 == 0 ? "alice" : "bob", ImRig.Bridge, $"m{i}");
        }

        await rig.RunConnectedAsync(rig.Options() with { SyncPageSize = 20 });
        var posted = await rig.Sink.WaitForAsync<MessagePosted>(130);
        Assert.Equal(130, posted.Select(p => p.NativeMessageId).Distinct().Count());
        Assert.Equal(130, rig.Sink.Calls);
    }

    [Fact]
    public async Task A_budget_limited_catch_up_covers_new_senders_and_known_senders_with_high_seqs()
    {
        await using var rig = await ImRig.StartAsync(output);
        var connector = await rig.RunConnectedAsync();
        for (var i = 0; i < 100; i++)
        {
            rig.Simulator.SendDirect("bob", "carol", $"elsewhere {i}"); // bob's own counter climbs to 100
        }

        rig.Simulator.SendDirect("bob", ImRig.Bridge, "bob live");
        await rig.Sink.WaitForAsync<MessagePosted>(1);
        for (var i = 0; i < 60; i++)
        {
            Assert.True((await connector.SendAsync(ImRig.Outbound(EndpointKind.User, "alice", $"own {i}"), CancellationToken.None)).Succeeded);
        }

        await rig.StopConnectorAsync();
        rig.Simulator.SendDirect("dave", ImRig.Bridge, "dave new");   // seq 1 of a sender never seen
        rig.Simulator.SendDirect("bob", ImRig.Bridge, "bob missed");  // seq 102, far above the low pages

        await rig.RunConnectedAsync(rig.Options() with { SyncPageSize = 10, SyncMaxPages = 2, SyncLookback = 5 });
        var posted = await rig.Sink.WaitForAsync<MessagePosted>(3);
        Assert.Equal(["bob live", "bob missed", "dave new"], posted.Select(p => p.Body.Text).Order());
        Assert.Equal(3, rig.Sink.Calls);
    }

    [Fact]
    public async Task Sends_reach_users_and_groups_with_the_idempotency_key_and_origin_marker()
    {
        await using var rig = await ImRig.StartAsync(output);
        var connector = await rig.RunConnectedAsync();
        rig.Simulator.CreateGroup("g1", ImRig.Bridge, "alice");

        var toUser = ImRig.Outbound(EndpointKind.User, "alice", "hi alice");
        var userResult = await connector.SendAsync(toUser, CancellationToken.None);
        Assert.True(userResult.Succeeded, userResult.ToString());
        Assert.Equal($"{toUser.IdempotencyKey}@1", userResult.NativeMessageId);
        var stored = rig.Simulator.Messages.Single(m => m.ClientMsgId == toUser.IdempotencyKey);
        Assert.Equal(("single_alice_bridge", ImRig.Bridge, "alice", "", 1, "hi alice"),
            (stored.ConversationId, stored.SenderId, stored.ReceiverId, stored.GroupId, stored.MessageType, stored.Text));

        var toGroup = ImRig.Outbound(EndpointKind.Group, "g1", "hi group");
        var groupResult = await connector.SendAsync(toGroup, CancellationToken.None);
        Assert.True(groupResult.Succeeded, groupResult.ToString());
        Assert.Contains(rig.Simulator.Inbox("alice"), m => m.GroupId == "g1" && m.Text == "hi group");

        var image = ImRig.Outbound(EndpointKind.User, "alice", "x") with { Body = MessageBody.Media(BodyKind.Image, "https://img/1.png") };
        Assert.True((await connector.SendAsync(image, CancellationToken.None)).Succeeded);
        Assert.Contains(rig.Simulator.Messages, m => m.MessageType == 2 && m.Text == "https://img/1.png");

        var room = await connector.SendAsync(ImRig.Outbound(EndpointKind.Room, "r1", "x"), CancellationToken.None);
        Assert.Equal(SendFailureKind.Unsupported, room.Failure);
    }

    [Fact]
    public async Task Retries_of_one_send_store_it_once()
    {
        await using var rig = await ImRig.StartAsync(output);
        var connector = await rig.RunConnectedAsync();
        var message = ImRig.Outbound(EndpointKind.User, "alice", "only once");
        var results = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => connector.SendAsync(message, CancellationToken.None)));
        Assert.All(results, r => Assert.True(r.Succeeded));
        var later = await connector.SendAsync(message, CancellationToken.None); // a retry after success
        Assert.Equal(results[0].NativeMessageId, later.NativeMessageId);
        Assert.Single(rig.Simulator.Messages, m => m.ClientMsgId == message.IdempotencyKey);
    }

    [Fact]
    public async Task Large_texts_sent_at_once_arrive_whole_and_the_content_limit_counts_utf8_bytes()
    {
        await using var rig = await ImRig.StartAsync(output);
        var connector = await rig.RunConnectedAsync(rig.Options() with { MaxContentBytes = 200_000 });

        // Each frame is written into a rented buffer returned after the send: eight sent together must not share one.
        var texts = Enumerable.Range(0, 8).Select(i => $"{i}:" + string.Concat(Enumerable.Repeat($"é中{i}😀x", 6_000 + i))).ToList();
        var results = await Task.WhenAll(texts.Select(t => connector.SendAsync(ImRig.Outbound(EndpointKind.User, "alice", t), CancellationToken.None)));

        Assert.All(results, r => Assert.True(r.Succeeded, r.ToString()));
        Assert.Equal(texts.Order(StringComparer.Ordinal), rig.Simulator.Messages.Where(m => m.SenderId == ImRig.Bridge).Select(m => m.Text).Order(StringComparer.Ordinal));

        await rig.StopConnectorAsync();
        var limited = await rig.RunConnectedAsync(rig.Options() with { MaxContentBytes = 10 });
        Assert.True((await limited.SendAsync(ImRig.Outbound(EndpointKind.User, "alice", "ééééé"), CancellationToken.None)).Succeeded); // 5 chars, 10 bytes
        Assert.Equal(SendFailureKind.TooLarge, (await limited.SendAsync(ImRig.Outbound(EndpointKind.User, "alice", "éééééx"), CancellationToken.None)).Failure);
    }

    [Fact]
    public async Task Send_failures_are_typed()
    {
        await using var rig = await ImRig.StartAsync(output);
        var idle = new ProtobufImConnector(new ConnectorContext("pbim", [], rig.Cursors, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, TimeProvider.System), rig.Options());
        Assert.Equal(SendFailureKind.NotConnected, (await idle.SendAsync(ImRig.Outbound(EndpointKind.User, "alice", "x"), CancellationToken.None)).Failure);

        var connector = await rig.RunConnectedAsync(rig.Options() with { MaxContentBytes = 10 });
        var big = await connector.SendAsync(ImRig.Outbound(EndpointKind.User, "alice", new string('x', 11)), CancellationToken.None);
        Assert.Equal(SendFailureKind.TooLarge, big.Failure);

        rig.Simulator.Options.FailSaves = true;
        var rejected = await connector.SendAsync(ImRig.Outbound(EndpointKind.User, "alice", "x"), CancellationToken.None);
        Assert.Equal((SendFailureKind.Rejected, "ERR_UNKNOWN"), (rejected.Failure, rejected.Code));
        Assert.Contains("Failed to save message", rejected.Reason, StringComparison.Ordinal);
        rig.Simulator.Options.FailSaves = false;

        rig.Simulator.Stall(ImRig.Bridge, true);
        var timedOut = await connector.SendAsync(ImRig.Outbound(EndpointKind.User, "alice", "x"), CancellationToken.None);
        Assert.Equal(SendFailureKind.Timeout, timedOut.Failure);
        Assert.True(timedOut.IsTransient);
    }

    [Fact]
    public async Task A_send_whose_reply_never_came_is_looked_up_through_sync_before_it_is_tried_again_so_the_server_keeps_one_copy()
    {
        await using var rig = await ImRig.StartAsync(output);
        var connector = await rig.RunConnectedAsync();
        await connector.SendAsync(ImRig.Outbound(EndpointKind.User, "alice", "before"), CancellationToken.None);
        rig.Simulator.SendDirect("alice", ImRig.Bridge, "noise"); // another sender's seqs interleave

        // Stored late: the server reads the send only after the bridge gave up waiting for its reply.
        var late = ImRig.Outbound(EndpointKind.User, "alice", "stored late");
        rig.Simulator.Stall(ImRig.Bridge, true);
        Assert.Equal(SendFailureKind.Timeout, (await connector.SendAsync(late, CancellationToken.None)).Failure);
        rig.Simulator.Stall(ImRig.Bridge, false);
        var retried = await connector.SendAsync(late, CancellationToken.None);
        Assert.True(retried.Succeeded, retried.ToString());
        var stored = Assert.Single(rig.Simulator.Messages, m => m.Text == "stored late");
        Assert.Equal($"{late.IdempotencyKey}@{stored.Seq}", retried.NativeMessageId);

        // Never stored: the connection died before the server read it; the retry sends it, once.
        var lost = ImRig.Outbound(EndpointKind.User, "alice", "never read");
        rig.Simulator.Stall(ImRig.Bridge, true);
        Assert.Equal(SendFailureKind.Timeout, (await connector.SendAsync(lost, CancellationToken.None)).Failure);
        var sessions = rig.Simulator.AuthSuccesses;
        rig.Simulator.Drop(ImRig.Bridge);
        await Eventually.TrueAsync(() => rig.Simulator.AuthSuccesses > sessions && connector.CompletedCatchUps > 1, TimeSpan.FromSeconds(15), "the connector reconnected");
        Assert.DoesNotContain(rig.Simulator.Messages, m => m.Text == "never read");
        var resent = await connector.SendAsync(lost, CancellationToken.None);
        Assert.True(resent.Succeeded, resent.ToString());
        Assert.Single(rig.Simulator.Messages, m => m.Text == "never read");
    }

    [Fact]
    public async Task Deleting_a_sent_message_revokes_it_by_the_server_id_found_through_sync()
    {
        await using var rig = await ImRig.StartAsync(output);
        var connector = await rig.RunConnectedAsync();
        for (var i = 0; i < 3; i++)
        {
            rig.Simulator.SendDirect("alice", ImRig.Bridge, $"noise {i}"); // other senders share low seqs
        }

        await connector.SendAsync(ImRig.Outbound(EndpointKind.User, "alice", "first"), CancellationToken.None);
        var target = new EndpointRef("pbim", EndpointKind.User, "alice");
        var sent = await connector.SendAsync(ImRig.Outbound(EndpointKind.User, "alice", "delete me"), CancellationToken.None);
        var deleted = await connector.DeleteAsync(new OutboundDelete(target, sent.NativeMessageId!, "d1", Guid.NewGuid()), CancellationToken.None);
        Assert.True(deleted.Succeeded, deleted.ToString());
        Assert.True(rig.Simulator.Messages.Single(m => m.Text == "delete me").Revoked);
        Assert.False(rig.Simulator.Messages.Single(m => m.Text == "first").Revoked);

        var again = await connector.DeleteAsync(new OutboundDelete(target, sent.NativeMessageId!, "d1", Guid.NewGuid()), CancellationToken.None);
        Assert.True(again.Succeeded); // a retried delete is not an error

        var unknown = await connector.DeleteAsync(new OutboundDelete(target, "0123456789abcdef0123456789abcdef@99", "d2", Guid.NewGuid()), CancellationToken.None);
        Assert.Equal((SendFailureKind.Rejected, "NOT_FOUND"), (unknown.Failure, unknown.Code));

        var notOurs = rig.Simulator.Messages.First(m => m.SenderId == "alice");
        var denied = await connector.DeleteAsync(new OutboundDelete(target, notOurs.ServerId, "d3", Guid.NewGuid()), CancellationToken.None);
        Assert.Equal((SendFailureKind.Rejected, "ERR_PERMISSION_DENIED"), (denied.Failure, denied.Code));
    }

    [Fact]
    public async Task A_revoke_push_from_a_newer_server_becomes_a_deleted_event()
    {
        await using var rig = await ImRig.StartAsync(output, o => o.RevokePush = true);
        await rig.RunConnectedAsync();
        var stored = rig.Simulator.SendDirect("alice", ImRig.Bridge, "oops");
        await rig.Sink.WaitForAsync<MessagePosted>(1);
        Assert.True(rig.Simulator.Revoke("alice", stored.ServerId));
        var deleted = (await rig.Sink.WaitForAsync<MessageDeleted>(1))[0];
        Assert.Equal(stored.ServerId, deleted.TargetNativeMessageId);
        Assert.Equal(new EndpointRef("pbim", EndpointKind.User, "alice"), deleted.Conversation);
        Assert.Equal("alice", deleted.DeletedBy!.NativeUserId);
    }

    [Fact]
    public async Task Group_pushes_from_a_server_that_has_them_arrive_on_the_group_endpoint()
    {
        await using var rig = await ImRig.StartAsync(output, o => o.GroupPush = true);
        await rig.RunConnectedAsync();
        rig.Simulator.CreateGroup("g7", ImRig.Bridge, "alice");
        rig.Simulator.SendToGroup("alice", "g7", "to the group");
        var posted = (await rig.Sink.WaitForAsync<MessagePosted>(1))[0];
        Assert.Equal(new EndpointRef("pbim", EndpointKind.Group, "g7"), posted.Conversation);
    }

    [Fact]
    public async Task Read_receipts_and_typing_pushes_are_accepted_and_ignored()
    {
        await using var rig = await ImRig.StartAsync(output);
        var connector = await rig.RunConnectedAsync();
        rig.Simulator.Inject(ImRig.Bridge, ImCodec.Encode(CommandType.CmdReadReceiptPush, 0, new ReadReceiptPush { MessageIds = { "1" }, ConversationId = "c", UserId = "alice" }, 1));
        rig.Simulator.Inject(ImRig.Bridge, ImCodec.Encode(CommandType.CmdTypingStatusPush, 0, new TypingStatusPush { ConversationId = "c", UserId = "alice", Status = 1 }, 1));
        rig.Simulator.Inject(ImRig.Bridge, ImCodec.Encode(CommandType.CmdSyncFinished, 0, null, 1));
        rig.Simulator.SendDirect("alice", ImRig.Bridge, "after receipts");
        var posted = await rig.Sink.WaitForAsync<MessagePosted>(1);
        Assert.Equal("after receipts", posted[0].Body.Text);
        Assert.Equal(1, rig.Sink.Calls);
        Assert.Equal(0, connector.Reconnects);
    }

    /// <summary>Records the order in which the connector calls the sink, then delegates.</summary>
    private sealed class CallOrderSink(IInboundSink inner) : IInboundSink
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _texts = new();

        public IReadOnlyList<string> Texts => _texts.ToArray();

        public Task<IngestOutcome> PostedAsync(MessagePosted message, CancellationToken cancellationToken)
        {
            _texts.Enqueue(message.Body.Text ?? string.Empty);
            return inner.PostedAsync(message, cancellationToken);
        }

        public Task<IngestOutcome> EditedAsync(MessageEdited message, CancellationToken cancellationToken) => inner.EditedAsync(message, cancellationToken);

        public Task<IngestOutcome> DeletedAsync(MessageDeleted message, CancellationToken cancellationToken) => inner.DeletedAsync(message, cancellationToken);

        public Task<IngestOutcome> MembershipAsync(MembershipChanged change, CancellationToken cancellationToken) => inner.MembershipAsync(change, cancellationToken);
    }
}
