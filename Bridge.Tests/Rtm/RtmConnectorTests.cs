using System.Globalization;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Rtm;
using Bridge.Contracts.V1;
using Bridge.Simulators.Rtm;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.Rtm;

/// <summary>Inbound, outbound and catch-up behaviour of the RTM connector against the simulated gate.</summary>
public sealed class RtmConnectorTests(ITestOutputHelper output)
{
    private static string Id(long value) => value.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_room_push_becomes_a_normalized_event_and_is_answered_only_after_it_is_durable()
    {
        await using var rig = await RtmRig.StartAsync(output);
        rig.Sink.DurableDelay = TimeSpan.FromMilliseconds(700);
        var sent = (await rig.Simulator.SendAsync(RtmRig.Alice, RtmConversationType.Room, RtmRig.Room, "hello room")).Message!;
        await Eventually.TrueAsync(() => rig.Sink.Calls == 1, TimeSpan.FromSeconds(5), "the push reached the sink");
        Assert.Equal(1, rig.Simulator.UnansweredPushes(RtmRig.BridgeUid));

        var posted = (await rig.Sink.WaitForAsync<MessagePosted>(1))[0];
        await Eventually.TrueAsync(() => rig.Simulator.UnansweredPushes(RtmRig.BridgeUid) == 0, TimeSpan.FromSeconds(5), "the push was answered once durable");
        Assert.Equal(new EndpointRef("rtm", EndpointKind.Room, Id(RtmRig.Room)), posted.Conversation);
        Assert.Equal(Id(RtmRig.Alice), posted.Sender.NativeUserId);
        Assert.Equal(MessageBody.FromText("hello room"), posted.Body);
        Assert.Equal($"3:{RtmRig.Room}:{RtmRig.Alice}:{sent.Mid}", posted.NativeMessageId);
        Assert.Equal(EventIds.ForIngest("rtm", $"room/{RtmRig.Room}/{RtmRig.Alice}/{sent.Mid}"), posted.EventId);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(sent.MTime), posted.SentAt);
    }

    [Fact]
    public async Task A_push_the_sink_cannot_make_durable_is_not_answered_and_is_caught_up_after_the_reconnect()
    {
        await using var rig = await RtmRig.StartAsync(output);
        rig.Sink.FailAll = true;
        await rig.Simulator.SendAsync(RtmRig.Alice, RtmConversationType.Group, RtmRig.Group, "must not be lost");
        await Eventually.TrueAsync(() => rig.Connector.Reconnects >= 1, TimeSpan.FromSeconds(5), "the failed push ended the session");
        Assert.DoesNotContain(rig.Simulator.ClientAnswers, a => a.Method == RtmMethods.PushGroupMsg);

        rig.Sink.FailAll = false;
        var posted = await rig.Sink.WaitForAsync<MessagePosted>(1);
        Assert.Equal("must not be lost", posted[0].Body.Text);
        Assert.Equal(EndpointKind.Group, posted[0].Conversation.Kind);
    }

    [Fact]
    public async Task Redelivered_pushes_are_answered_and_deduplicated()
    {
        await using var rig = await RtmRig.StartAsync(output);
        rig.Sink.DurableDelay = TimeSpan.FromMilliseconds(300);
        await rig.Simulator.SendAsync(RtmRig.Alice, RtmConversationType.P2P, RtmRig.BridgeUid, "once");
        // The connector's catch-up of user/111 may still be running after it logged in and can find
        // the same message in the history: then the sink sees it once more (same event id).
        await Eventually.TrueAsync(() => rig.Sink.Calls >= 1, TimeSpan.FromSeconds(5), "the push reached the sink");
        var before = rig.Sink.Calls;
        await rig.Simulator.RepushUnansweredAsync(RtmRig.BridgeUid);
        await Eventually.TrueAsync(() => rig.Sink.Calls > before && rig.Simulator.UnansweredPushes(RtmRig.BridgeUid) == 0, TimeSpan.FromSeconds(5), $"both copies were answered (calls {rig.Sink.Calls}, unanswered {rig.Simulator.UnansweredPushes(RtmRig.BridgeUid)})");
        var posted = await rig.Sink.WaitForAsync<MessagePosted>(1);
        Assert.Single(rig.Sink.Posted);
        Assert.Equal(new EndpointRef("rtm", EndpointKind.User, Id(RtmRig.Alice)), posted[0].Conversation);
        Assert.Equal(2, rig.Simulator.ClientAnswers.Count(a => a.Method == RtmMethods.PushMsg));
    }

    [Fact]
    public async Task A_broadcast_push_becomes_an_event_on_room_broadcast_and_is_answered()
    {
        await using var rig = await RtmRig.StartAsync(output);
        var sent = (await rig.Simulator.SendAsync(RtmRig.Alice, RtmConversationType.Broadcast, 0, "to everyone")).Message!;
        var posted = (await rig.Sink.WaitForAsync<MessagePosted>(1))[0];
        await Eventually.TrueAsync(() => rig.Simulator.ClientAnswers.Any(a => a.Method == RtmMethods.PushBroadcastMsg), TimeSpan.FromSeconds(5), "the broadcast push was answered");
        Assert.Equal(new EndpointRef("rtm", EndpointKind.Room, "broadcast"), posted.Conversation);
        Assert.Equal((Id(RtmRig.Alice), "to everyone"), (posted.Sender.NativeUserId, posted.Body.Text));
        Assert.Equal($"4:0:{RtmRig.Alice}:{sent.Mid}", posted.NativeMessageId);
        Assert.Equal(0, rig.Simulator.UnansweredPushes(RtmRig.BridgeUid));
    }

    [Fact]
    public async Task The_bridge_accounts_own_messages_are_answered_and_not_relayed_and_origin_markers_keep_the_event_id()
    {
        await using var rig = await RtmRig.StartAsync(output, simulatorOptions: new RtmSimulatorOptions { PingInterval = null, EchoToSender = true });
        await rig.Simulator.SendAsync(RtmRig.BridgeUid, RtmConversationType.Room, RtmRig.Room, "own");
        var origin = Guid.NewGuid();
        await rig.Simulator.SendAsync(RtmRig.Alice, RtmConversationType.Room, RtmRig.Room, "relayed by another bridge", attrs: RtmNormalizer.OriginAttrs(origin));
        var posted = await rig.Sink.WaitForAsync<MessagePosted>(1);
        await Eventually.TrueAsync(() => rig.Simulator.ClientAnswers.Count(a => a.Method == RtmMethods.PushRoomMsg) == 2, TimeSpan.FromSeconds(5), "both pushes were answered");
        Assert.Single(rig.Sink.Posted);
        Assert.Equal(1, rig.Sink.Calls);
        Assert.Equal(origin, posted[0].EventId);
    }

    [Fact]
    public async Task Chat_maps_files_and_other_mtypes_are_normalized()
    {
        await using var rig = await RtmRig.StartAsync(output, o => o with { OtherMtypes = RtmOtherMtypes.Drop }, new RtmSimulatorOptions { PingInterval = null, ChatAsMap = true });
        await rig.Simulator.SendAsync(RtmRig.Alice, RtmConversationType.Room, RtmRig.Room, "from a map");
        await rig.Simulator.SendAsync(RtmRig.Alice, RtmConversationType.Room, RtmRig.Room, "system", mtype: 6);
        await rig.Simulator.SendAsync(RtmRig.Alice, RtmConversationType.Room, RtmRig.Room, "{\"url\":\"https://f.example/a/cat.png\",\"size\":1234,\"surl\":\"https://f.example/a/s.png\"}", mtype: RtmMtypes.Image);
        var posted = await rig.Sink.WaitForAsync<MessagePosted>(2);
        await Eventually.TrueAsync(() => rig.Simulator.UnansweredPushes(RtmRig.BridgeUid) == 0, TimeSpan.FromSeconds(5), "all three were answered");
        Assert.Equal(MessageBody.FromText("from a map"), posted[0].Body);
        Assert.Equal(MessageBody.Media(BodyKind.Image, "https://f.example/a/cat.png", "cat.png", 1234), posted[1].Body);
        Assert.Equal(2, rig.Sink.Posted.Count);
    }

    [Fact]
    public async Task Sends_to_users_groups_and_rooms_carry_a_derived_mid_and_the_origin_marker()
    {
        await using var rig = await RtmRig.StartAsync(output);
        foreach (var (kind, target, type) in new[] { (EndpointKind.User, RtmRig.Alice, RtmConversationType.P2P), (EndpointKind.Group, RtmRig.Group, RtmConversationType.Group), (EndpointKind.Room, RtmRig.Room, RtmConversationType.Room) })
        {
            var message = rig.Outbound(kind, target, $"to {kind}");
            var result = await rig.Connector.SendAsync(message, CancellationToken.None);
            Assert.True(result.Succeeded, result.ToString());
            var mid = EventIds.ToPositiveInt64(message.IdempotencyKey);
            Assert.Equal($"{(int)type}:{target}:{RtmRig.BridgeUid}:{mid}", result.NativeMessageId);
            var received = rig.Simulator.Received(RtmRig.Alice).Single(r => r.Message.Mid == mid).Message;
            Assert.Equal(($"to {kind}", RtmMtypes.Chat, RtmRig.BridgeUid), (received.Msg, received.Mtype, received.From));
            Assert.Equal(message.EventId, RtmNormalizer.ReadAttrs(received.Attrs, RtmRig.Alice, out _));
        }
    }

    [Fact]
    public async Task A_retried_send_with_the_same_key_counts_as_delivered_once()
    {
        await using var rig = await RtmRig.StartAsync(output);
        var message = rig.Outbound(EndpointKind.Room, RtmRig.Room, "exactly once");
        var first = await rig.Connector.SendAsync(message, CancellationToken.None);
        var retry = await rig.Connector.SendAsync(message, CancellationToken.None);
        Assert.True(retry.Succeeded, retry.ToString());
        Assert.Equal(first.NativeMessageId, retry.NativeMessageId);
        Assert.Single(rig.Simulator.Received(RtmRig.Alice), r => r.Message.Msg == "exactly once");
        Assert.Contains(rig.Logging.Provider.Lines, l => l.Contains("200053", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Send_failures_are_typed()
    {
        await using var rig = await RtmRig.StartAsync(output, o => o with { MaxMessageBytes = 100, TextMtype = 60 });
        var notMember = await rig.Connector.SendAsync(rig.Outbound(EndpointKind.Group, 999, "x"), CancellationToken.None);
        Assert.Equal((SendFailureKind.Rejected, "200041"), (notMember.Failure, notMember.Code));
        var tooLarge = await rig.Connector.SendAsync(rig.Outbound(EndpointKind.Room, RtmRig.Room, new string('x', 101)), CancellationToken.None);
        Assert.Equal(SendFailureKind.TooLarge, tooLarge.Failure);
        var badId = await rig.Connector.SendAsync(rig.Outbound(EndpointKind.User, 0, "x") with { Target = new EndpointRef("rtm", EndpointKind.User, "alice") }, CancellationToken.None);
        Assert.Equal(SendFailureKind.Rejected, badId.Failure);

        rig.Simulator.Stall(RtmRig.BridgeUid, true);
        var stalled = await rig.Connector.SendAsync(rig.Outbound(EndpointKind.Room, RtmRig.Room, "into the void"), CancellationToken.None);
        Assert.Equal(SendFailureKind.Timeout, stalled.Failure);

        await rig.StopConnectorAsync();
        var offline = await rig.Connector.SendAsync(rig.Outbound(EndpointKind.Room, RtmRig.Room, "x"), CancellationToken.None);
        Assert.Equal(SendFailureKind.NotConnected, offline.Failure);
    }

    [Fact]
    public async Task A_room_the_bridge_was_not_in_is_entered_on_demand()
    {
        await using var rig = await RtmRig.StartAsync(output);
        rig.Simulator.EnterRoom(RtmRig.Bob, 4242);
        var result = await rig.Connector.SendAsync(rig.Outbound(EndpointKind.Room, 4242, "new room"), CancellationToken.None);
        Assert.True(result.Succeeded, result.ToString());
        Assert.Single(rig.Simulator.Received(RtmRig.Bob), r => r.Message.Msg == "new room");
    }

    [Fact]
    public async Task Deletes_use_delmsg_with_what_the_native_id_encodes()
    {
        await using var rig = await RtmRig.StartAsync(output);
        var message = rig.Outbound(EndpointKind.Room, RtmRig.Room, "to be deleted");
        var sent = await rig.Connector.SendAsync(message, CancellationToken.None);
        var deleted = await rig.Connector.DeleteAsync(new OutboundDelete(message.Target, sent.NativeMessageId!, "k", message.EventId), CancellationToken.None);
        Assert.True(deleted.Succeeded, deleted.ToString());
        Assert.True(rig.Simulator.History(RtmConversationType.Room, RtmRig.Room).Single(m => m.Msg == "to be deleted").Deleted);
        var bad = await rig.Connector.DeleteAsync(new OutboundDelete(message.Target, "nonsense", "k", message.EventId), CancellationToken.None);
        Assert.Equal(SendFailureKind.Rejected, bad.Failure);
    }

    [Fact]
    public async Task Kickoutroom_is_reported_as_the_bridge_leaving_the_room()
    {
        await using var rig = await RtmRig.StartAsync(output);
        await rig.Simulator.KickoutRoomAsync(RtmRig.BridgeUid, RtmRig.Room);
        var left = (await rig.Sink.WaitForAsync<MembershipChanged>(1))[0];
        Assert.Equal((MembershipChange.Left, Id(RtmRig.BridgeUid), Id(RtmRig.Room)), (left.Change, left.Member.NativeUserId, left.Conversation.NativeId));
        Assert.True(rig.Connector.Status.IsConnected);
        Assert.Equal(0, rig.Connector.Reconnects);
    }

    [Fact]
    public async Task Catch_up_after_downtime_fetches_what_was_missed_from_the_stored_cursor_without_deleted_or_own_messages()
    {
        await using var rig = await RtmRig.StartAsync(output);
        // Every routed endpoint's cursor, not just the room's: one not yet stored at the stop would
        // make the restart treat that conversation as new (its history is not relayed).
        await Eventually.TrueAsync(() => RtmRig.Endpoints.All(e => rig.Cursors.GetCursorAsync("rtm", e.Path, default).Result is not null), TimeSpan.FromSeconds(5), "cursors were started");
        await rig.StopConnectorAsync();

        for (var i = 0; i < 45; i++)
        {
            await rig.Simulator.SendAsync(RtmRig.Alice, RtmConversationType.Room, RtmRig.Room, $"room {i}");
        }

        var gone = (await rig.Simulator.SendAsync(RtmRig.Alice, RtmConversationType.Room, RtmRig.Room, "deleted later")).Message!;
        gone.Deleted = true;
        await rig.Simulator.SendAsync(RtmRig.BridgeUid, RtmConversationType.Room, RtmRig.Room, "own");
        await rig.Simulator.SendAsync(RtmRig.Bob, RtmConversationType.Group, RtmRig.Group, "group missed");
        await rig.Simulator.SendAsync(RtmRig.Alice, RtmConversationType.P2P, RtmRig.BridgeUid, "p2p missed");
        await rig.Simulator.SendAsync(RtmRig.BridgeUid, RtmConversationType.P2P, RtmRig.Alice, "own p2p");

        var sink = new RecordingSink();
        var context = new ConnectorContext("rtm", RtmRig.Endpoints, rig.Cursors, rig.Logging.Factory, TimeProvider.System);
        await using var restarted = new RtmConnector(context, RtmRig.DefaultOptions(rig.Simulator.Url));
        using var stop = new CancellationTokenSource();
        var run = restarted.RunAsync(sink, stop.Token);
        var posted = await sink.WaitForAsync<MessagePosted>(47);
        await Task.Delay(200);
        Assert.Equal(47, sink.Posted.Count);
        Assert.Equal(Enumerable.Range(0, 45).Select(i => $"room {i}"), sink.Posted.Where(p => p.Conversation.Kind == EndpointKind.Room).Select(p => p.Body.Text));
        Assert.Contains(sink.Posted, p => p.Body.Text == "group missed" && p.Conversation.NativeId == Id(RtmRig.Group));
        var p2p = Assert.Single(sink.Posted, p => p.Conversation.Kind == EndpointKind.User);
        Assert.Equal(("p2p missed", Id(RtmRig.Alice)), (p2p.Body.Text, p2p.Sender.NativeUserId));

        // The same message as a live push and from history has one event id.
        var live = (await rig.Simulator.SendAsync(RtmRig.Alice, RtmConversationType.Room, RtmRig.Room, "live")).Message!;
        await sink.WaitForAsync<MessagePosted>(48);
        Assert.Equal(EventIds.ForIngest("rtm", $"room/{RtmRig.Room}/{RtmRig.Alice}/{live.Mid}"), sink.Posted[^1].EventId);
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Catch_up_is_bounded_per_endpoint()
    {
        await using var rig = await RtmRig.StartAsync(output, o => o with { CatchUpLimit = 30 });
        await Eventually.TrueAsync(() => rig.Cursors.GetCursorAsync("rtm", $"room/{RtmRig.Room}", default).Result is not null, TimeSpan.FromSeconds(5), "cursors were started");
        await rig.StopConnectorAsync();
        for (var i = 0; i < 60; i++)
        {
            await rig.Simulator.SendAsync(RtmRig.Alice, RtmConversationType.Room, RtmRig.Room, $"m{i}");
        }

        var sink = new RecordingSink();
        var context = new ConnectorContext("rtm", RtmRig.Endpoints, rig.Cursors, rig.Logging.Factory, TimeProvider.System);
        await using var restarted = new RtmConnector(context, RtmRig.DefaultOptions(rig.Simulator.Url) with { CatchUpLimit = 30 });
        using var stop = new CancellationTokenSource();
        var run = restarted.RunAsync(sink, stop.Token);
        await sink.WaitForAsync<MessagePosted>(30);
        await Eventually.TrueAsync(() => rig.Logging.Provider.Lines.Count(l => l.Contains("caught up", StringComparison.Ordinal)) >= 3, TimeSpan.FromSeconds(5), "catch-up finished");
        await Task.Delay(200);
        Assert.Equal(30, sink.Posted.Count);

        // One Information line sums up each pass; an endpoint with nothing to catch up is Debug.
        var lines = rig.Logging.Provider.Lines;
        Assert.Contains(lines, l => l.Contains(" Information ", StringComparison.Ordinal) && l.Contains($"caught up 30 message(s) on room/{RtmRig.Room}", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains(" Information ", StringComparison.Ordinal) && l.Contains("catch-up pass done: 30 message(s) caught up over", StringComparison.Ordinal) && l.Contains("1 not complete", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains(" Information ", StringComparison.Ordinal) && l.Contains("caught up 0 message(s)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains(" Debug ", StringComparison.Ordinal) && l.Contains("caught up 0 message(s)", StringComparison.Ordinal));
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Many_pushes_flow_with_bounded_concurrency_in_order()
    {
        await using var rig = await RtmRig.StartAsync(output, o => o with { MaxInFlight = 16 }, new RtmSimulatorOptions { PingInterval = null });
        rig.Sink.DurableDelay = TimeSpan.FromMilliseconds(2);
        var order = new OrderRecordingSink(rig.Sink);
        await rig.StopConnectorAsync();
        var context = new ConnectorContext("rtm", RtmRig.Endpoints, rig.Cursors, rig.Logging.Factory, TimeProvider.System);
        await using var connector = new RtmConnector(context, RtmRig.DefaultOptions(rig.Simulator.Url) with { MaxInFlight = 16 });
        using var stop = new CancellationTokenSource();
        var run = connector.RunAsync(order, stop.Token);
        await Eventually.TrueAsync(() => connector.Status.IsConnected && rig.Simulator.InRoom(RtmRig.BridgeUid, RtmRig.Room), TimeSpan.FromSeconds(5), "connected");
        const int count = 2000;
        var started = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            await rig.Simulator.SendAsync(RtmRig.Alice, RtmConversationType.Room, RtmRig.Room, $"n{i}");
        }

        var posted = await rig.Sink.WaitForAsync<MessagePosted>(count, TimeSpan.FromSeconds(30));
        await Eventually.TrueAsync(() => rig.Simulator.UnansweredPushes(RtmRig.BridgeUid) == 0, TimeSpan.FromSeconds(10), "every push was answered");
        output.WriteLine($"{count} pushes ingested and answered in {started.ElapsedMilliseconds} ms");
        // A push repeated to the connector (a gate that re-sends while the previous connection
        // closes) reaches the sink again and is dropped there; what matters is first-seen order.
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"n{i}"), order.Calls.Distinct().Take(count));
        Assert.Equal(count, posted.Select(p => p.Body.Text).Distinct().Count());
        await stop.CancelAsync();
        await run;
    }

    /// <summary>Records the order of sink calls (the real sink keeps per-conversation call order).</summary>
    private sealed class OrderRecordingSink(RecordingSink inner) : IInboundSink
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _calls = new();

        public IReadOnlyList<string> Calls => _calls.ToArray();

        public Task<IngestOutcome> PostedAsync(MessagePosted message, CancellationToken cancellationToken)
        {
            _calls.Enqueue(message.Body.Text ?? string.Empty);
            return inner.PostedAsync(message, cancellationToken);
        }

        public Task<IngestOutcome> EditedAsync(MessageEdited message, CancellationToken cancellationToken) => inner.EditedAsync(message, cancellationToken);

        public Task<IngestOutcome> DeletedAsync(MessageDeleted message, CancellationToken cancellationToken) => inner.DeletedAsync(message, cancellationToken);

        public Task<IngestOutcome> MembershipAsync(MembershipChanged change, CancellationToken cancellationToken) => inner.MembershipAsync(change, cancellationToken);
    }
}
