using System.Diagnostics;
using Bridge.Connectors.ErlangGateway;
using Bridge.Contracts.V1;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.ErlangGateway;

/// <summary>Pushes into the sink: attribution, ack only after durable, resends and own messages dropped.</summary>
public class ErlangInboundTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task A_json_push_becomes_a_message_from_its_sender_and_is_acked_after_the_sink()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        await h.RunConnectedAsync();

        var msgId = await h.AliceSendsToBridgeAsync("hi bridge");

        var posted = (await h.Sink.WaitForAsync<MessagePosted>(1))[0];
        Assert.Equal(new EndpointRef("erl", EndpointKind.User, "1001"), posted.Conversation);
        Assert.Equal("1001", posted.Sender.NativeUserId);
        Assert.Equal(MessageBody.FromText("hi bridge"), posted.Body);
        Assert.Equal(msgId, posted.NativeMessageId);
        Assert.Equal(EventIds.ForIngest("erl", msgId), posted.EventId);
        await Eventually.TrueAsync(() => h.Simulator.AcknowledgedBy(ErlangHarness.BridgeUid).Contains(msgId), Wait, "the push was acked");
    }

    [Fact]
    public async Task A_raw_text_push_is_attributed_to_the_configured_name()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        await h.RunConnectedAsync(h.Options() with { Payload = PayloadFormat.Text, UnknownSenderName = "Erlang users" });

        await h.Simulator.SendAsUserAsync(ErlangHarness.AliceUid, ErlangHarness.BridgeUid, "plain 你好");

        var posted = (await h.Sink.WaitForAsync<MessagePosted>(1))[0];
        Assert.Equal("plain 你好", posted.Body.Text);
        Assert.Equal("Erlang users", posted.Sender.Name);
        Assert.Equal(new EndpointRef("erl", EndpointKind.User, "unknown"), posted.Conversation);
    }

    [Fact]
    public async Task Group_and_group_part_pushes_land_in_the_group_and_are_acked_with_6_and_12()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        await h.RunConnectedAsync();

        var whole = await h.Simulator.SendToGroupAsync(ErlangHarness.AliceUid, ErlangHarness.GroupId, """{"from":"1001","content":"to all"}""");
        var part = await h.Simulator.SendToGroupPartAsync(ErlangHarness.AliceUid, ErlangHarness.GroupId, [ErlangHarness.BridgeUid, ErlangHarness.BobUid], """{"from":"1001","content":"to some"}""");

        var posted = await h.Sink.WaitForAsync<MessagePosted>(2);
        Assert.All(posted, p => Assert.Equal(new EndpointRef("erl", EndpointKind.Group, "7"), p.Conversation));
        Assert.Equal(["to all", "to some"], posted.Select(p => p.Body.Text).Order());
        Assert.Equal("1000,1002", posted.Single(p => p.NativeMessageId == part).Attributes!["toUids"]);
        Assert.Null(posted.Single(p => p.NativeMessageId == whole).Attributes);
        await Eventually.TrueAsync(() => h.Simulator.AcknowledgedBy(ErlangHarness.BridgeUid).Count == 2 && h.Simulator.UnacknowledgedCount(ErlangHarness.BridgeUid) == 0, Wait, "both pushes were acked");
    }

    [Fact]
    public async Task A_typed_xywy_content_and_a_system_role_are_understood()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        await h.RunConnectedAsync();

        await h.Simulator.SendAsUserAsync(ErlangHarness.AliceUid, ErlangHarness.BridgeUid, """{"from":"1001","to":"1000","content":"{\"type\":\"image\",\"url\":\"http://x/y.png\"}"}""");
        await h.Simulator.SendAsUserAsync(ErlangHarness.AliceUid, ErlangHarness.BridgeUid, """{"from":"1001","to":"1000","role":"0","content":"maintenance"}""");

        var posted = await h.Sink.WaitForAsync<MessagePosted>(2);
        Assert.Contains(posted, p => p.Body == MessageBody.Media(BodyKind.Image, "http://x/y.png"));
        Assert.Contains(posted, p => p.Body.Kind == BodyKind.System && p.Body.Text == "maintenance");
    }

    [Fact]
    public async Task A_slow_sink_delays_the_ack_and_resends_meanwhile_do_not_reach_the_sink()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        await h.RunConnectedAsync();
        h.Sink.DurableDelay = TimeSpan.FromMilliseconds(500);

        var msgId = await h.AliceSendsToBridgeAsync("slow");

        // Resends come every 200 ms; the third would be the last before the server gives up at 800 ms.
        // Whether the ack came after a resend is recorded by the server, not sampled here: a busy
        // machine may look only after the sink finished.
        await Eventually.TrueAsync(() => h.Simulator.AcknowledgedBy(ErlangHarness.BridgeUid).Contains(msgId), Wait, "acked once durable");
        Assert.True(h.Simulator.ResendsBeforeFirstAck(msgId) >= 1, $"the first ack came after {h.Simulator.ResendsBeforeFirstAck(msgId)} resends; the slow sink should have held it past one");
        Assert.Equal(1, h.Sink.Calls);
        Assert.Single(h.Sink.Posted);
        Assert.Equal(1, h.Simulator.Logins);
    }

    [Fact]
    public async Task A_failing_sink_gets_no_ack_the_server_resends_and_after_recovery_the_message_is_ingested_once_and_acked()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        await h.RunConnectedAsync();
        h.Sink.FailAll = true;

        var msgId = await h.AliceSendsToBridgeAsync("not durable yet");

        await Eventually.TrueAsync(() => h.Simulator.Resends >= 1 && h.Sink.Calls >= 2, Wait, "the server resent and the connector tried the sink again");
        Assert.Empty(h.Simulator.AcknowledgedBy(ErlangHarness.BridgeUid));
        Assert.Empty(h.Sink.Posted);

        h.Sink.FailAll = false;

        await Eventually.TrueAsync(() => h.Simulator.AcknowledgedBy(ErlangHarness.BridgeUid).Contains(msgId), TimeSpan.FromSeconds(10), "the push was acked after recovery");
        var posted = Assert.Single(h.Sink.Posted);
        Assert.Equal(msgId, posted.NativeMessageId);
        Assert.Equal("not durable yet", posted.Body.Text);
        await Eventually.TrueAsync(() => h.Simulator.UnacknowledgedCount(ErlangHarness.BridgeUid) == 0 && h.Simulator.OfflineCount(ErlangHarness.BridgeUid) == 0, Wait, "nothing is left to resend");
    }

    [Fact]
    public async Task A_failing_sink_past_the_resend_budget_is_recovered_through_the_reconnect_repush()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        var connector = await h.RunConnectedAsync();
        h.Sink.FailAll = true;

        var msgId = await h.AliceSendsToBridgeAsync("outlives a disconnect");
        await Eventually.TrueAsync(() => connector.Reconnects >= 1, Wait, "the server gave up after three resends and disconnected");
        h.Sink.FailAll = false;

        await Eventually.TrueAsync(() => h.Simulator.AcknowledgedBy(ErlangHarness.BridgeUid).Contains(msgId), TimeSpan.FromSeconds(10), "the re-pushed message was acked");
        Assert.Single(h.Sink.Posted);
    }

    [Fact]
    public async Task A_redelivery_after_reconnect_is_acked_and_dropped_even_by_a_fresh_connector()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        var first = await h.RunConnectedAsync();
        var msgId = await h.AliceSendsToBridgeAsync("once");
        await Eventually.TrueAsync(() => h.Simulator.AcknowledgedBy(ErlangHarness.BridgeUid).Count == 1, Wait, "acked");

        // Same connector after a reconnect: the MsgId is remembered.
        h.Simulator.DropConnections(ErlangHarness.BridgeUid);
        await Eventually.TrueAsync(() => h.Simulator.Logins == 2 && first.Status.IsConnected, Wait, "reconnected");
        await h.AliceSendsToBridgeAsync("once", msgId);
        await Eventually.TrueAsync(() => h.Simulator.AcknowledgedBy(ErlangHarness.BridgeUid).Count == 2, Wait, "the redelivery was acked");
        Assert.Equal(1, h.Sink.Calls);

        // A fresh process: the sink dedupes on the EventId derived from the MsgId.
        await h.StopAsync(first);
        await h.RunConnectedAsync();
        await h.AliceSendsToBridgeAsync("once", msgId);
        await Eventually.TrueAsync(() => h.Simulator.AcknowledgedBy(ErlangHarness.BridgeUid).Count == 3, Wait, "the redelivery was acked");
        Assert.Equal(2, h.Sink.Calls);
        Assert.Single(h.Sink.Posted);
    }

    [Fact]
    public async Task The_bridge_accounts_own_messages_are_acked_and_not_relayed()
    {
        await using var h = await ErlangHarness.StartAsync(output, o => o with { EchoGroupToSender = true });
        var connector = await h.RunConnectedAsync();

        // By sender: the envelope says it came from the bridge account.
        var own = await h.Simulator.SendAsUserAsync(ErlangHarness.AliceUid, ErlangHarness.BridgeUid, """{"from":"1000","to":"1000","content":"mine"}""");
        // By MsgId: the server echoes the bridge's own group message back with the same MsgId.
        var sent = await connector.SendAsync(ErlangHarness.Outbound(new EndpointRef("erl", EndpointKind.Group, "7"), "echo me"), CancellationToken.None);
        Assert.True(sent.Succeeded, sent.ToString());
        var marker = await h.AliceSendsToBridgeAsync("after the echoes");

        await Eventually.TrueAsync(() => h.Simulator.AcknowledgedBy(ErlangHarness.BridgeUid).Contains(marker), Wait, "the last push was acked");
        var acked = h.Simulator.AcknowledgedBy(ErlangHarness.BridgeUid);
        Assert.Contains(own, acked);
        Assert.Contains(sent.NativeMessageId!, acked);
        var posted = Assert.Single(h.Sink.Posted);
        Assert.Equal(marker, posted.NativeMessageId);
    }

    [Fact]
    public async Task A_relayed_message_carrying_an_origin_marker_keeps_that_event_id()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        await h.RunConnectedAsync();
        var origin = Guid.NewGuid();

        await h.Simulator.SendAsUserAsync(ErlangHarness.AliceUid, ErlangHarness.BridgeUid, ErlangPayload.Envelope("1001", "1000", "via another bridge", origin));

        Assert.Equal(origin, (await h.Sink.WaitForAsync<MessagePosted>(1))[0].EventId);
    }

    [Fact]
    public async Task A_push_with_a_non_ascii_msgid_is_still_ingested_and_acked_with_the_same_bytes()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        await h.RunConnectedAsync();
        var msgId = Enumerable.Range(0, 32).Select(i => (byte)(0x80 + i)).ToArray();
        var key = ErlangCodec.MsgIdKey(msgId);

        await h.Simulator.SendRawAsync(ErlangHarness.BridgeUid, ErlangCodec.Message(ErlangCommand.Publish, PacketSource.Server, 0, msgId, [], """{"from":"1001","content":"odd id"}"""u8));

        Assert.Equal(key, (await h.Sink.WaitForAsync<MessagePosted>(1))[0].NativeMessageId);
        await Eventually.TrueAsync(() => h.Simulator.AcknowledgedBy(ErlangHarness.BridgeUid).Contains(key), Wait, "the ack echoed the raw MsgId bytes");
    }

    [Fact]
    public async Task The_read_loop_does_not_wait_for_one_sink_call_before_the_next()
    {
        await using var h = await ErlangHarness.StartAsync(output, o => o with { ResendInterval = TimeSpan.FromSeconds(30) });
        var calls = new CallOrderSink(h.Sink);
        await h.RunConnectedAsync(sink: calls);
        h.Sink.DurableDelay = TimeSpan.FromMilliseconds(200);
        const int count = 100;

        var watch = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            await h.AliceSendsToBridgeAsync($"m{i}");
        }

        await h.Sink.WaitForAsync<MessagePosted>(count, TimeSpan.FromSeconds(15));
        await Eventually.TrueAsync(() => h.Simulator.AcknowledgedBy(ErlangHarness.BridgeUid).Count == count, Wait, "all acked");
        output.WriteLine($"{count} pushes with a 200 ms sink in {watch.ElapsedMilliseconds} ms");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}; one at a time would take 20 s");
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"m{i}"), calls.Texts);
    }

    [Fact]
    public async Task Ten_thousand_pushes_are_ingested_and_acked_quickly()
    {
        await using var h = await ErlangHarness.StartAsync(output, o => o with { ResendInterval = TimeSpan.FromSeconds(30) });
        await h.RunConnectedAsync();
        const int count = 10_000;
        var payloads = Enumerable.Range(0, count).Select(i => ErlangPayload.Envelope("1001", "1000", $"bulk {i}")).ToArray();

        var watch = Stopwatch.StartNew();
        foreach (var payload in payloads)
        {
            await h.Simulator.SendAsUserAsync(ErlangHarness.AliceUid, ErlangHarness.BridgeUid, payload);
        }

        await Eventually.TrueAsync(() => h.Simulator.AcknowledgedBy(ErlangHarness.BridgeUid).Count == count, TimeSpan.FromSeconds(30), "all pushes were acked");
        watch.Stop();
        output.WriteLine($"{count} pushes ingested and acked in {watch.ElapsedMilliseconds} ms ({count / watch.Elapsed.TotalSeconds:0} msg/s)");
        Assert.Equal(count, h.Sink.Posted.Count);
        Assert.Equal(0, h.Simulator.Resends);
    }

    /// <summary>Records the order in which the connector calls the sink, then forwards.</summary>
    private sealed class CallOrderSink(RecordingSink inner) : Bridge.Connectors.Abstractions.IInboundSink
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _texts = new();

        public IReadOnlyList<string> Texts => _texts.ToArray();

        public Task<Bridge.Connectors.Abstractions.IngestOutcome> PostedAsync(MessagePosted message, CancellationToken cancellationToken)
        {
            _texts.Enqueue(message.Body.Text ?? string.Empty);
            return inner.PostedAsync(message, cancellationToken);
        }

        public Task<Bridge.Connectors.Abstractions.IngestOutcome> EditedAsync(MessageEdited message, CancellationToken cancellationToken) => inner.EditedAsync(message, cancellationToken);

        public Task<Bridge.Connectors.Abstractions.IngestOutcome> DeletedAsync(MessageDeleted message, CancellationToken cancellationToken) => inner.DeletedAsync(message, cancellationToken);

        public Task<Bridge.Connectors.Abstractions.IngestOutcome> MembershipAsync(MembershipChanged change, CancellationToken cancellationToken) => inner.MembershipAsync(change, cancellationToken);
    }
}
