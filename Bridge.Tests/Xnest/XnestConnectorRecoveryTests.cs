using Bridge.Connectors.Xnest;
using Bridge.Contracts.V1;
using Bridge.Simulators.Xnest;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.Xnest;

public class XnestConnectorRecoveryTests(ITestOutputHelper output)
{
    private static void AssertEachPassedOnce(CallCountingSink sink)
    {
        var calls = sink.PostedCalls;
        Assert.Equal(calls.Distinct().Count(), calls.Count);
    }

    [Fact]
    public async Task A_room_session_runs_over_wss()
    {
        await using var sim = new XnestSimulator();
        await sim.StartAsync();
        await using var terminator = new TlsTerminator(sim.Port);
        var url = new Uri($"wss://127.0.0.1:{terminator.Port}{sim.BaseUrl.AbsolutePath}");
        await using var rig = await XnestRig.StartAsync(output, ["tls"], o => o with { Url = url, AllowUntrustedCertificate = true }, sim);
        sim.AddMember("tls", "alice").Send("over tls");
        Assert.Equal("over tls", (await rig.Recorded.WaitForAsync<MessagePosted>(1))[0].Body.Text);
        var result = await rig.Connector.SendAsync(XnestRig.Message(XnestRig.RoomRef("tls"), "back over tls"), default);
        Assert.True(result.Succeeded, result.ToString());
        Assert.True(terminator.Handshakes >= 1);
    }

    [Fact]
    public async Task After_a_reconnect_the_history_replay_passes_only_what_was_missed_and_nothing_twice()
    {
        await using var rig = await XnestRig.StartAsync(output, ["re"]);
        var alice = rig.Sim.AddMember("re", "alice");
        alice.Send("ok");
        alice.Send("m1");
        alice.Send("ok");
        await rig.Recorded.WaitForAsync<MessagePosted>(3);
        var firstPid = rig.BridgePid("re");

        rig.Sim.DropConnections("re");
        alice.Send("ok");
        alice.Send("missed");
        await Eventually.TrueAsync(() => rig.Connector.OwnPid("re") is { } pid && pid != firstPid, TimeSpan.FromSeconds(10), "the bridge rejoined with a new pid");
        var posted = await rig.Recorded.WaitForAsync<MessagePosted>(5);
        alice.Send("after");
        await rig.Recorded.WaitForAsync<MessagePosted>(6);

        Assert.Equal(["ok", "m1", "ok", "ok", "missed", "after"], rig.Recorded.Posted.Select(p => p.Body.Text));
        Assert.Equal(6, rig.Sink.PostedCalls.Count);
        AssertEachPassedOnce(rig.Sink);
        Assert.True(rig.Connector.Reconnects("re") >= 1);
    }

    [Fact]
    public async Task A_restarted_bridge_remembers_what_it_relayed_through_the_cursor_store()
    {
        await using var sim = new XnestSimulator();
        await sim.StartAsync();
        var cursors = new MemoryCursorStore();
        var alice = sim.AddMember("keep", "alice");
        await using (var first = await XnestRig.StartAsync(output, ["keep"], sim: sim, cursors: cursors))
        {
            alice.Send("a");
            alice.Send("b");
            alice.Send("a");
            await first.Recorded.WaitForAsync<MessagePosted>(3);
        }

        alice.Send("c");
        alice.Send("a");
        await using var second = await XnestRig.StartAsync(output, ["keep"], sim: sim, cursors: cursors);
        var posted = await second.Recorded.WaitForAsync<MessagePosted>(2);
        alice.Send("d");
        await second.Recorded.WaitForAsync<MessagePosted>(3);
        Assert.Equal(["c", "a", "d"], second.Recorded.Posted.Select(p => p.Body.Text));
        Assert.Equal(3, second.Sink.PostedCalls.Count);
        Assert.Equal(XnestMessageKey.For(false, alice.Pid, "2000-01-01", "a").NativeId("keep", 3).Split('/')[^2], posted[1].NativeMessageId.Split('/')[^2]);
    }

    [Fact]
    public async Task A_server_restart_reconnects_with_a_new_pid_and_relays_nothing_twice()
    {
        await using var rig = await XnestRig.StartAsync(output, ["sr"]);
        var alice = rig.Sim.AddMember("sr", "alice");
        alice.Send("before");
        await rig.Recorded.WaitForAsync<MessagePosted>(1);
        var oldPid = rig.BridgePid("sr");

        await rig.Sim.RestartAsync();
        await Eventually.TrueAsync(() => rig.Connector.OwnPid("sr") is { } pid && pid != oldPid && rig.Sim.Room("sr") is not null, TimeSpan.FromSeconds(10), "the bridge rejoined the restarted server");
        var carol = rig.Sim.AddMember("sr", "carol");
        carol.Send("after");
        await rig.Recorded.WaitForAsync<MessagePosted>(2);
        Assert.Equal(["before", "after"], rig.Recorded.Posted.Select(p => p.Body.Text));
        AssertEachPassedOnce(rig.Sink);
        Assert.Equal(SessionState.Connected, rig.Connector.Status.State);
    }

    [Fact]
    public async Task A_failing_sink_ends_the_session_and_the_message_is_caught_up_once_the_sink_is_back()
    {
        await using var rig = await XnestRig.StartAsync(output, ["fail"]);
        var alice = rig.Sim.AddMember("fail", "alice");
        alice.Send("first");
        await rig.Recorded.WaitForAsync<MessagePosted>(1);
        rig.Recorded.FailAll = true;
        alice.Send("while down");
        await Eventually.TrueAsync(() => rig.Connector.Reconnects("fail") >= 1, TimeSpan.FromSeconds(10), "the session ended after the failed sink call");
        Assert.Single(rig.Recorded.Posted);
        rig.Recorded.FailAll = false;
        await rig.Recorded.WaitForAsync<MessagePosted>(2);
        Assert.Equal(["first", "while down"], rig.Recorded.Posted.Select(p => p.Body.Text));
        // Calls after the last checkpoint are made again, with the same ids: the sink drops them as duplicates.
        Assert.Equal(rig.Recorded.Posted.Select(p => p.NativeMessageId).Order(), rig.Sink.PostedCalls.Distinct().Order());
    }

    [Fact]
    public async Task A_slow_sink_does_not_hold_the_read_loop_and_order_is_kept()
    {
        await using var rig = await XnestRig.StartAsync(output, ["slow"]);
        rig.Recorded.DurableDelay = TimeSpan.FromMilliseconds(50);
        var alice = rig.Sim.AddMember("slow", "alice");
        for (var i = 0; i < 40; i++)
        {
            alice.Send($"n{i}");
        }

        // 40 sink calls of 50 ms each would take 2 s one after the other; in flight they overlap.
        await Eventually.TrueAsync(() => rig.Sink.PostedCalls.Count == 40, TimeSpan.FromMilliseconds(1500), "all 40 sink calls started");
        await rig.Recorded.WaitForAsync<MessagePosted>(40);
        Assert.Equal(Enumerable.Range(0, 40).Select(i => $"n{i}"), rig.Sink.PostedCalls.Select(id => rig.Recorded.Posted.Single(p => p.NativeMessageId == id).Body.Text));
    }

    [Fact]
    public async Task A_stalled_server_trips_the_watchdog_and_the_session_comes_back()
    {
        await using var rig = await XnestRig.StartAsync(output, ["stall"], o => o with { ProbeInterval = TimeSpan.FromMilliseconds(100), Watchdog = TimeSpan.FromMilliseconds(500) });
        rig.Sim.Stall(true);
        await Eventually.TrueAsync(() => rig.Connector.Reconnects("stall") >= 1, TimeSpan.FromSeconds(10), "the watchdog ended the stalled session");
        Assert.NotEqual(SessionState.Connected, rig.Connector.Status.State);
        rig.Sim.Stall(false);
        await Eventually.TrueAsync(() => rig.Connector.Status.State == SessionState.Connected, TimeSpan.FromSeconds(10), "the session came back");
        rig.Sim.AddMember("stall", "z").Send("alive");
        await rig.Recorded.WaitForAsync<MessagePosted>(1);
    }

    [Fact]
    public async Task A_quiet_room_stays_connected_because_probes_are_answered()
    {
        await using var rig = await XnestRig.StartAsync(output, ["quiet"], o => o with { ProbeInterval = TimeSpan.FromMilliseconds(100), Watchdog = TimeSpan.FromSeconds(1) });

        // 25 answered probes take 2.5 s: more than twice the watchdog window of a silent room.
        await Eventually.TrueAsync(() => rig.Sim.Commands.Count >= 25, TimeSpan.FromSeconds(15), "25 probes were answered");
        Assert.Equal(0, rig.Connector.Reconnects("quiet"));
        Assert.All(rig.Sim.Commands, c => Assert.Equal("@history:-1", c.Text));
        Assert.DoesNotContain(rig.Sim.Room("quiet")!.Robot.Received, f => f.Type == XnestFrameType.Normal);
    }
}

public class XnestCheckpointTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_stored_window_never_runs_ahead_of_what_the_sink_made_durable()
    {
        await using var rig = await XnestRig.StartAsync(output, ["ck"]);
        var alice = rig.Sim.AddMember("ck", "alice");
        alice.Send("warm-up");
        await rig.Recorded.WaitForAsync<MessagePosted>(1);
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        rig.Sink.Hold = hold;
        alice.Send("slow");
        await Eventually.TrueAsync(() => rig.Sink.PostedCalls.Count == 2, TimeSpan.FromSeconds(5), "the held call started");
        var echo = alice.Received.Last(f => f.Type == XnestFrameType.Normal && f.Text == "slow");
        var key = XnestMessageKey.For(false, alice.Pid, echo.SendTime, "slow");

        async Task<int> StoredCount() => XnestSeenWindow.Parse(await rig.Cursors.GetCursorAsync(XnestRig.ConnectorName, "room/ck", default), 100).Seen(key);

        // Later frames (renames, handled while the call is held) make the connector checkpoint;
        // those checkpoints queue behind the pending sink call.
        for (var i = 0; i < 4; i++)
        {
            await Task.Delay(60);
            alice.Send("@changename:a" + i);
        }

        await rig.Recorded.WaitForAsync<MembershipChanged>(5);
        Assert.Equal(0, await StoredCount());
        Assert.DoesNotContain(rig.Recorded.Posted, p => p.Body.Text == "slow");

        rig.Sink.Hold = null;
        hold.SetResult();
        await rig.Recorded.WaitForAsync<MessagePosted>(2);
        await Task.Delay(60);
        alice.Send("@changename:done");
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (await StoredCount() != 1 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(1, await StoredCount());
    }
}
