using System.Text.Json;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Glide;
using Bridge.Contracts.V1;
using Bridge.Simulators.Glide;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.Glide;

/// <summary>Pushes into the sink: normalized, acknowledged only when durable, deduplicated, own echoes dropped.</summary>
public sealed class GlideInboundTests(ITestOutputHelper output)
{
    /// <summary>A sink that holds every call until released.</summary>
    private sealed class GatedSink(RecordingSink inner) : IInboundSink
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Entered;

        public void Release() => _gate.TrySetResult();

        public async Task<IngestOutcome> PostedAsync(MessagePosted message, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Entered);
            await _gate.Task.WaitAsync(cancellationToken);
            return await inner.PostedAsync(message, cancellationToken);
        }

        public Task<IngestOutcome> EditedAsync(MessageEdited message, CancellationToken cancellationToken) => inner.EditedAsync(message, cancellationToken);

        public Task<IngestOutcome> DeletedAsync(MessageDeleted message, CancellationToken cancellationToken) => inner.DeletedAsync(message, cancellationToken);

        public Task<IngestOutcome> MembershipAsync(MembershipChanged change, CancellationToken cancellationToken) => inner.MembershipAsync(change, cancellationToken);
    }

    private static async Task<(GlideRig Rig, GlideConnector Connector, RecordingSink Sink)> StartAsync(ITestOutputHelper output, IInboundSink? sink = null, Func<GlideSimulatorOptions, GlideSimulatorOptions>? sim = null)
    {
        var rig = await GlideRig.StartAsync(output, sim);
        var recording = new RecordingSink();
        var connector = rig.Start(rig.Options(), sink ?? recording);
        await GlideRig.ConnectedAsync(connector);
        rig.Sim.CreateUser("1001");
        rig.Sim.CreateUser("1002");
        return (rig, connector, recording);
    }

    [Fact]
    public async Task A_chat_push_becomes_a_normalized_event_and_is_acknowledged_to_the_sender()
    {
        var (rig, _, sink) = await StartAsync(output);
        await using var _ = rig;
        rig.Sim.SendChat("1001", GlideRig.BridgeUid, "hello bridge", cliMid: "C1");

        var posted = Assert.Single(await sink.WaitForAsync<MessagePosted>(1));
        Assert.Equal(new EndpointRef("glide", EndpointKind.User, "1001"), posted.Conversation);
        Assert.Equal("1001", posted.Sender.NativeUserId);
        Assert.Equal("hello bridge", posted.Body.Text);
        Assert.Equal("1001:C1", posted.NativeMessageId);
        Assert.Equal(EventIds.ForIngest("glide", "chat:1001:C1"), posted.EventId);

        await Eventually.TrueAsync(() => rig.Sim.Received("1001", GlideActions.AckNotify).Count == 1, TimeSpan.FromSeconds(5), "the sender gets ack.notify");
        var ack = JsonDocument.Parse(rig.Sim.Received("1001", GlideActions.AckNotify)[0].Data!).RootElement;
        Assert.Equal("C1", ack.GetProperty("cli_mid").GetString());
        Assert.Equal("1001", ack.GetProperty("to").GetString());
        Assert.True(ack.GetProperty("mid").GetInt64() > 0);
    }

    [Fact]
    public async Task The_ack_waits_until_the_sink_says_durable()
    {
        var recording = new RecordingSink();
        var gated = new GatedSink(recording);
        var (rig, _, _) = await StartAsync(output, gated);
        await using var _ = rig;
        rig.Sim.SendChat("1001", GlideRig.BridgeUid, "slow", cliMid: "S1");
        await Eventually.TrueAsync(() => Volatile.Read(ref gated.Entered) == 1, TimeSpan.FromSeconds(5), "the sink was called");
        rig.Sim.SendChat("1002", GlideRig.BridgeUid, "marker", cliMid: "M1");
        await Eventually.TrueAsync(() => Volatile.Read(ref gated.Entered) == 2, TimeSpan.FromSeconds(5), "the next push reaches the sink without waiting for the first");
        Assert.Empty(rig.Sim.Received("1001", GlideActions.AckNotify));
        Assert.Empty(rig.Sim.Received("1002", GlideActions.AckNotify));

        gated.Release();
        await Eventually.TrueAsync(() => rig.Sim.Received("1001", GlideActions.AckNotify).Count == 1, TimeSpan.FromSeconds(5), "acknowledged once durable");
        Assert.Equal(2, recording.Posted.Count);
    }

    [Fact]
    public async Task A_failing_sink_prevents_the_ack_and_ends_the_session()
    {
        var (rig, connector, sink) = await StartAsync(output);
        await using var _ = rig;
        sink.FailAll = true;
        rig.Sim.SendChat("1001", GlideRig.BridgeUid, "lost?", cliMid: "F1");
        await Eventually.TrueAsync(() => connector.Reconnects >= 1, TimeSpan.FromSeconds(5), "the session ends when a push is not durable");
        Assert.Empty(rig.Sim.Received("1001", GlideActions.AckNotify));

        sink.FailAll = false;
        await GlideRig.ConnectedAsync(connector);
        rig.Sim.SendChat("1001", GlideRig.BridgeUid, "later", cliMid: "F2");
        await Eventually.TrueAsync(() => rig.Sim.Received("1001", GlideActions.AckNotify).Count == 1, TimeSpan.FromSeconds(5), "the next push is acknowledged");
        Assert.Equal("F2", JsonDocument.Parse(rig.Sim.Received("1001", GlideActions.AckNotify)[0].Data!).RootElement.GetProperty("cli_mid").GetString());
    }

    [Fact]
    public async Task A_resend_with_the_same_cliMid_is_one_event_and_both_are_acknowledged()
    {
        var (rig, _, sink) = await StartAsync(output);
        await using var _ = rig;
        rig.Sim.SendChat("1001", GlideRig.BridgeUid, "once", cliMid: "D1");
        rig.Sim.SendChat("1001", GlideRig.BridgeUid, "once", cliMid: "D1");
        rig.Sim.SendChat("1002", GlideRig.BridgeUid, "same cliMid, other sender", cliMid: "D1");
        await Eventually.TrueAsync(() => rig.Sim.Received("1001", GlideActions.AckNotify).Count == 2, TimeSpan.FromSeconds(5), "both copies are acknowledged");
        await Eventually.TrueAsync(() => sink.Calls == 3, TimeSpan.FromSeconds(5), "every copy reached the sink");
        Assert.Equal(2, sink.Posted.Count);
        Assert.Equal(["1001:D1", "1002:D1"], sink.Posted.Select(p => p.NativeMessageId).Order());
    }

    [Fact]
    public async Task Group_relay_passes_members_messages_and_never_the_bridges_own_echo()
    {
        var (rig, connector, sink) = await StartAsync(output);
        await using var _ = rig;
        rig.Sim.CreateChannel("room");
        rig.Sim.Subscribe("room", GlideRig.BridgeUid);
        rig.Sim.Subscribe("room", "1001");
        rig.Sim.Subscribe("room", "1002", GlidePerm.Read);

        var target = new EndpointRef("glide", EndpointKind.Group, "room");
        for (var i = 0; i < 5; i++)
        {
            var eventId = Guid.NewGuid();
            var result = await connector.SendAsync(new OutboundMessage(target, MessageBody.FromText($"relayed {i}"), $"{i:D32}", new Participant("rtm", "7"), eventId), CancellationToken.None);
            Assert.True(result.Succeeded, result.ToString());
        }

        rig.Sim.SendGroup("1001", "room", "from a member", cliMid: "G1");
        var posted = Assert.Single(await sink.WaitForAsync<MessagePosted>(1));
        Assert.Equal(target, posted.Conversation);
        Assert.Equal("1001", posted.Sender.NativeUserId);
        Assert.Equal("1001:G1", posted.NativeMessageId);
        Assert.Equal(1, sink.Calls);

        // The simulator pushes to the channel's readers one after another: the bridge can have the
        // member's message before the loop reaches 1002 (seen once in a full suite).
        await Eventually.TrueAsync(() => rig.Sim.Received("1002", GlideActions.Group).Count >= 6, TimeSpan.FromSeconds(5), "the reader got all six posts");
        Assert.Equal(6, rig.Sim.Received("1002", GlideActions.Group).Count);
        Assert.Contains(rig.LogLines.Lines, l => l.Contains("echoed by room", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_group_sender_is_the_envelope_from_even_when_data_from_claims_the_bridge()
    {
        var (rig, _, sink) = await StartAsync(output);
        await using var _ = rig;
        rig.Sim.CreateChannel("room");
        rig.Sim.Subscribe("room", GlideRig.BridgeUid);
        rig.Sim.Subscribe("room", "1001");
        rig.Sim.SendFrame("1001", """{"ver":1,"seq":3,"action":"message.group","to":"room","data":{"cliMid":"FORGED","mid":0,"seq":1,"from":"900","to":"room","type":1,"content":"spoof","sendAt":1}}""");
        var posted = Assert.Single(await sink.WaitForAsync<MessagePosted>(1));
        Assert.Equal("1001", posted.Sender.NativeUserId);
        Assert.Equal("1001:FORGED", posted.NativeMessageId);
    }

    [Fact]
    public async Task An_inbound_origin_marker_becomes_the_event_id()
    {
        var (rig, _, sink) = await StartAsync(output);
        await using var _ = rig;
        rig.Sim.CreateChannel("room");
        rig.Sim.Subscribe("room", GlideRig.BridgeUid);
        rig.Sim.Subscribe("room", "1001");
        var origin = Guid.NewGuid();
        rig.Sim.SendGroup("1001", "room", "relayed elsewhere", "O1", OriginMarker.Key, OriginMarker.Format(origin));
        var posted = Assert.Single(await sink.WaitForAsync<MessagePosted>(1));
        Assert.Equal(origin, posted.EventId);
    }

    [Fact]
    public async Task Notices_presence_cli_messages_and_unknown_actions_are_ignored_quietly()
    {
        var (rig, connector, sink) = await StartAsync(output);
        await using var _ = rig;
        foreach (var frame in new[]
        {
            """{"ver":1,"action":"message.group.notify","data":{"from":"system","type":2,"body":{"uid":"1001"}}}""",
            """{"ver":1,"action":"notify.state","data":{"uid":"1001","online":true}}""",
            """{"ver":1,"action":"message.cli","from":"1001","to":"900","data":{"type":"typing"}}""",
            """{"ver":1,"action":"something.new","data":{"x":1}}""",
            """{"ver":1,"action":"","data":{"Id":1,"Type":2}}""",
            """{"ver":1,"action":"message.group","data":{"mid":1,"seq":3,"from":"system","to":"the_world_channel","type":100,"content":"1001","sendAt":1}}""",
            """{"ver":1,"action":"message.chat","data":"{\"cliMid\":\"x\"}"}""",
        })
        {
            rig.Sim.PushRaw(GlideRig.BridgeUid, System.Text.Encoding.UTF8.GetBytes(frame));
        }

        rig.Sim.SendChat("1001", GlideRig.BridgeUid, "real", cliMid: "R1");
        await sink.WaitForAsync<MessagePosted>(1);
        Assert.Equal(1, sink.Calls);
        Assert.Equal(0, connector.Reconnects);
        Assert.DoesNotContain(rig.LogLines.Lines, l => l.Contains("Warning", StringComparison.Ordinal));
    }

    [Fact]
    public async Task V16_server_acks_route_the_portable_ack_request_back_to_the_sender()
    {
        var (rig, _, sink) = await StartAsync(output, sim: o => o with { V16Acks = true });
        await using var _ = rig;
        rig.Sim.SendChat("1001", GlideRig.BridgeUid, "old server", cliMid: "V1");
        await sink.WaitForAsync<MessagePosted>(1);
        await Eventually.TrueAsync(() => rig.Sim.Received("1001", GlideActions.AckNotify).Count == 1, TimeSpan.FromSeconds(5), "ack.notify reaches the sender through data.from");
    }

    [Fact]
    public async Task Many_pushes_arrive_in_order_and_are_all_acknowledged()
    {
        var (rig, _, sink) = await StartAsync(output);
        await using var _ = rig;
        const int count = 3000;
        var started = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            rig.Sim.SendChat("1001", GlideRig.BridgeUid, $"m{i}", cliMid: $"B{i}");
        }

        var posted = await sink.WaitForAsync<MessagePosted>(count, TimeSpan.FromSeconds(20));
        await Eventually.TrueAsync(() => rig.Sim.AckRequests == count, TimeSpan.FromSeconds(10), "every push is acknowledged");
        output.WriteLine($"{count} pushes sunk and acknowledged in {started.ElapsedMilliseconds} ms");
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"m{i}"), posted.Select(p => p.Body.Text));
    }
}
