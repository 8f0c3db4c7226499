using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Xnest;
using Bridge.Contracts.V1;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.Xnest;

public class XnestConnectorInboundTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Room_messages_become_events_with_names_and_derived_ids_and_robot_and_own_frames_stay_out()
    {
        await using var rig = await XnestRig.StartAsync(output, ["lobby"]);
        var alice = rig.Sim.AddMember("lobby", "alice");
        alice.Send("hello");
        alice.Send("@robot are you there");
        var posted = await rig.Recorded.WaitForAsync<MessagePosted>(2);
        await Eventually.TrueAsync(() => alice.Received.Any(f => f.From == rig.Sim.Room("lobby")!.Robot.Pid), TimeSpan.FromSeconds(5), "the robot answered");
        var echo = alice.Received.First(f => f.Type == XnestFrameType.Normal && f.Text == "hello");
        var expectedId = XnestMessageKey.For(false, alice.Pid, echo.SendTime, "hello").NativeId("lobby", 1);

        var first = posted[0];
        Assert.Equal(expectedId, first.NativeMessageId);
        Assert.Equal(EventIds.ForIngest(XnestRig.ConnectorName, expectedId), first.EventId);
        Assert.Equal(XnestRig.RoomRef("lobby"), first.Conversation);
        Assert.Equal(new Participant(XnestRig.ConnectorName, alice.Pid, "alice"), first.Sender);
        Assert.Equal(MessageBody.FromText("hello"), first.Body);
        Assert.Equal("@robot are you there", posted[1].Body.Text);

        // The robot's answer and the bridge's own frames never reach the sink.
        rig.Sim.AddMember("lobby", "marker").Send("marker");
        await Eventually.TrueAsync(() => rig.Recorded.Posted.Any(p => p.Body.Text == "marker"), TimeSpan.FromSeconds(5), "the marker arrived");
        Assert.Equal(["hello", "@robot are you there", "marker"], rig.Recorded.Posted.Select(p => p.Body.Text));
    }

    [Fact]
    public async Task Join_rename_and_leave_become_membership_events()
    {
        await using var rig = await XnestRig.StartAsync(output, ["m"]);
        var bob = rig.Sim.AddMember("m", "bob");
        bob.Send("@changename:robert");
        bob.Leave();
        var changes = await rig.Recorded.WaitForAsync<MembershipChanged>(3);
        Assert.Equal([MembershipChange.Joined, MembershipChange.Renamed, MembershipChange.Left], changes.Select(c => c.Change));
        Assert.All(changes, c => Assert.Equal(bob.Pid, c.Member.NativeUserId));
        Assert.Equal("robert", changes[1].NewName);
        Assert.Equal("bob", changes[1].Member.DisplayName);
        Assert.Equal("robert", changes[2].Member.DisplayName);
        Assert.DoesNotContain(rig.Recorded.Events.OfType<MembershipChanged>(), c => c.Member.NativeUserId == rig.BridgePid("m"));
    }

    [Fact]
    public async Task A_private_message_to_the_bridge_arrives_on_a_user_endpoint_named_room_slash_pid()
    {
        await using var rig = await XnestRig.StartAsync(output, ["p"]);
        var carol = rig.Sim.AddMember("p", "carol");
        carol.Send($"@to:{rig.BridgePid("p")}|just for you");
        var posted = (await rig.Recorded.WaitForAsync<MessagePosted>(1)).Single();
        Assert.Equal(XnestRig.UserRef("p", carol.Pid), posted.Conversation);
        Assert.Equal("just for you", posted.Body.Text);
        Assert.Equal("carol", posted.Sender.DisplayName);
    }

    [Fact]
    public async Task Uploads_become_media_bodies_with_their_urls()
    {
        await using var rig = await XnestRig.StartAsync(output, ["media"]);
        var dave = rig.Sim.AddMember("media", "dave");
        dave.Upload([1, 9, 9]);
        dave.Upload([2, 8]);
        dave.Upload([7, 7]);
        var posted = await rig.Recorded.WaitForAsync<MessagePosted>(3);
        Assert.Equal([BodyKind.Audio, BodyKind.Image, BodyKind.File], posted.Select(p => p.Body.Kind));
        Assert.All(posted, p => Assert.StartsWith($"http://127.0.0.1:{rig.Sim.Port}/media/", p.Body.Url, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_join_may_arrive_before_self()
    {
        await using var rig = await XnestRig.StartAsync(output, ["q"], simOptions: new Simulators.Xnest.XnestSimulatorOptions { JoinBeforeSelf = true });
        rig.Sim.AddMember("q", "erin").Send("hi");
        await rig.Recorded.WaitForAsync<MessagePosted>(1);
        Assert.Single(rig.Recorded.Events.OfType<MembershipChanged>());
        Assert.DoesNotContain(rig.Recorded.Events.OfType<MembershipChanged>(), c => c.Member.NativeUserId == rig.BridgePid("q"));
    }

    [Fact]
    public async Task The_first_visit_of_a_room_records_its_history_without_relaying_it()
    {
        await using var sim = new Simulators.Xnest.XnestSimulator();
        await sim.StartAsync();
        var old = sim.AddMember("first", "old");
        old.Send("from before the bridge");
        await using var rig = await XnestRig.StartAsync(output, ["first"], sim: sim);
        old.Send("new");
        var posted = await rig.Recorded.WaitForAsync<MessagePosted>(1);
        Assert.Equal("new", posted.Single().Body.Text);
        Assert.NotNull(await rig.Cursors.GetCursorAsync(XnestRig.ConnectorName, "room/first", default));
    }

    [Fact]
    public async Task Two_rooms_run_one_session_each_and_the_status_is_the_worst_of_them()
    {
        await using var rig = await XnestRig.StartAsync(output, ["a", "b"]);
        Assert.Equal(SessionState.Connected, rig.Connector.Status.State);
        Assert.NotEqual(rig.BridgePid("a"), rig.BridgePid("b"));
        await rig.Sim.StopAsync();
        await Eventually.TrueAsync(() => rig.Connector.Status.State != SessionState.Connected, TimeSpan.FromSeconds(5), "the status left Connected");
        Assert.StartsWith("room ", rig.Connector.Status.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forty_rooms_connecting_announce_each_state_once_not_once_a_room()
    {
        var rooms = Enumerable.Range(0, 40).Select(i => $"r{i}").ToArray();
        await using var rig = await XnestRig.StartAsync(output, rooms, run: false);
        var announced = new List<ConnectorStatus>();
        rig.Connector.StatusChanged += status =>
        {
            lock (announced)
            {
                announced.Add(status);
            }
        };

        rig.Run();
        foreach (var room in rooms)
        {
            await rig.WaitJoinedAsync(room);
        }

        await Eventually.TrueAsync(() => rig.Connector.Status.State == SessionState.Connected, TimeSpan.FromSeconds(5), "the connector is Connected");
        ConnectorStatus[] seen;
        lock (announced)
        {
            seen = [.. announced];
        }

        // Every announcement is a change of state (the reason names whichever room is worst, and
        // while the state holds that is no news); the last is Connected, without a reason.
        Assert.All(seen.Zip(seen.Skip(1)), pair => Assert.NotEqual(pair.First.State, pair.Second.State));
        Assert.Equal((SessionState.Connected, (string?)null), (seen[^1].State, seen[^1].Reason));

        // The log says so too: each room's connecting, connected, joined and first-visit lines are
        // Debug, so an operator at Information sees the connector's announcements, not 4 lines a room.
        var information = rig.Log.Lines.Where(l => l.Contains(" Information ", StringComparison.Ordinal)).ToArray();
        Assert.True(information.Length <= seen.Length, $"{information.Length} Information lines for {rooms.Length} rooms:\n{string.Join('\n', information.Take(10))}");
        Assert.Contains(rig.Log.Lines, l => l.Contains(" Debug ", StringComparison.Ordinal) && l.Contains("joined room r39", StringComparison.Ordinal));
    }
}

public class XnestConnectorLoadTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Ten_thousand_room_messages_reach_the_sink_in_order_and_once()
    {
        await using var rig = await XnestRig.StartAsync(output, ["load"]);
        var sender = rig.Sim.AddMember("load", "loader");
        const int count = 10_000;
        var started = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            sender.Send($"load {i}");
        }

        await Eventually.TrueAsync(() => rig.Sink.PostedCompleted >= count, TimeSpan.FromSeconds(30), "every message reached the sink");
        started.Stop();
        output.WriteLine($"xnest inbound: {count} messages in {started.Elapsed.TotalMilliseconds:0} ms = {count / started.Elapsed.TotalSeconds:0} msg/s (simulator and connector in one process)");
        Assert.Equal(count, rig.Sink.PostedCalls.Count);
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"load {i}"), rig.Recorded.Posted.Select(p => p.Body.Text));
    }

    [Fact]
    public async Task A_second_bridge_with_the_same_nickname_is_just_another_member_not_a_kick()
    {
        await using var sim = new Simulators.Xnest.XnestSimulator();
        await sim.StartAsync();
        await using var one = await XnestRig.StartAsync(output, ["dup"], sim: sim);
        await using var two = await XnestRig.StartAsync(output, ["dup"], sim: sim);
        Assert.NotEqual(one.BridgePid("dup"), two.BridgePid("dup"));
        sim.AddMember("dup", "x").Send("to both");
        await one.Recorded.WaitForAsync<MessagePosted>(1);
        await two.Recorded.WaitForAsync<MessagePosted>(1);
        Assert.Equal((0, 0), (one.Connector.Reconnects("dup"), two.Connector.Reconnects("dup")));
        Assert.Equal(SessionState.Connected, one.Connector.Status.State);
    }
}
