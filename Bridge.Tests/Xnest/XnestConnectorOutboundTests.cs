using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Xnest;
using Bridge.Contracts.V1;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.Xnest;

public class XnestConnectorOutboundTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Relayed_commands_arrive_as_plain_text_and_nothing_runs()
    {
        await using var rig = await XnestRig.StartAsync(output, ["inj"]);
        var watcher = rig.Sim.AddMember("inj", "watcher");
        string[] texts = [$"@to:{watcher.Pid}|x", "@changename:x", "@history:0", "@call:a|b", "@robot"];
        foreach (var text in texts)
        {
            var result = await rig.Connector.SendAsync(XnestRig.Message(XnestRig.RoomRef("inj"), text), default);
            Assert.True(result.Succeeded, result.ToString());
        }

        var bridge = rig.BridgePid("inj");
        var seen = rig.Sim.Texts.Where(t => t.Pid == bridge).Select(t => t.Text).ToArray();
        Assert.Equal(texts.Select(t => "＠" + t[1..]), seen);
        Assert.Equal(texts, seen.Select(XnestClientFrames.Restore));
        Assert.Empty(rig.Sim.Commands);
        var normals = watcher.Received.Where(f => f.Type == XnestFrameType.Normal).ToArray();
        Assert.Equal(seen, normals.Select(f => f.Text));
        Assert.All(normals, f => Assert.Equal(bridge, f.From));
        Assert.DoesNotContain(watcher.Received, f => f.Type is XnestFrameType.Private or XnestFrameType.Call or XnestFrameType.ChangeName or XnestFrameType.Error);
        Assert.Equal(1, watcher.Received.Count(f => f.Type == XnestFrameType.History));
        Assert.Equal("bridge", rig.Sim.FindMember(bridge)!.Nickname);

        // The robot answers every '@' text, so one more message proves it had its chance and stayed silent.
        var probe = await rig.Connector.SendAsync(XnestRig.Message(XnestRig.RoomRef("inj"), "done"), default);
        Assert.True(probe.Succeeded);
        Assert.DoesNotContain(watcher.Received, f => f.From == rig.Sim.Room("inj")!.Robot.Pid);
    }

    [Theory]
    [InlineData("@to:{watcher}|x", "to")]
    [InlineData("@changename:x", "changename")]
    [InlineData("@history:0", "history")]
    [InlineData("@call:a|b", "call")]
    [InlineData("@robot", "robot")]
    public async Task Each_command_relayed_into_a_room_is_inert(string template, string command)
    {
        await using var rig = await XnestRig.StartAsync(output, ["cmd-" + command]);
        var room = "cmd-" + command;
        var watcher = rig.Sim.AddMember(room, "watcher");
        var text = template.Replace("{watcher}", watcher.Pid, StringComparison.Ordinal);
        var result = await rig.Connector.SendAsync(XnestRig.Message(XnestRig.RoomRef(room), text), default);
        Assert.True(result.Succeeded, result.ToString());
        var after = await rig.Connector.SendAsync(XnestRig.Message(XnestRig.RoomRef(room), "after"), default);
        Assert.True(after.Succeeded, after.ToString());

        var seen = Assert.Single(rig.Sim.Texts, t => t.Text != "after");
        Assert.Equal("＠" + text[1..], seen.Text);
        Assert.Empty(rig.Sim.Commands);
        Assert.Equal([seen.Text, "after"], watcher.Received.Where(f => f.Type == XnestFrameType.Normal).Select(f => f.Text));
        Assert.DoesNotContain(watcher.Received, f => f.From == rig.Sim.Room(room)!.Robot.Pid);
        Assert.DoesNotContain(watcher.Received, f => f.Type is XnestFrameType.Private or XnestFrameType.Call or XnestFrameType.ChangeName or XnestFrameType.Error);
    }

    [Fact]
    public async Task A_room_send_is_confirmed_by_its_echo_whose_derived_id_is_the_native_id()
    {
        await using var rig = await XnestRig.StartAsync(output, ["echo"]);
        var watcher = rig.Sim.AddMember("echo", "w");
        var result = await rig.Connector.SendAsync(XnestRig.Message(XnestRig.RoomRef("echo"), "hello"), default);
        var second = await rig.Connector.SendAsync(XnestRig.Message(XnestRig.RoomRef("echo"), "hello"), default);
        var frames = watcher.Received.Where(f => f.Type == XnestFrameType.Normal).ToArray();
        var key = XnestMessageKey.For(false, rig.BridgePid("echo"), frames[0].SendTime, "hello");
        Assert.Equal(key.NativeId("echo", 1), result.NativeMessageId);
        Assert.Equal(XnestMessageKey.For(false, rig.BridgePid("echo"), frames[1].SendTime, "hello").NativeId("echo", 2), second.NativeMessageId);
        Assert.Empty(rig.Recorded.Posted);
    }

    [Fact]
    public async Task Media_goes_out_as_its_url_text()
    {
        await using var rig = await XnestRig.StartAsync(output, ["mu"]);
        var message = XnestRig.Message(XnestRig.RoomRef("mu"), "x") with { Body = MessageBody.Media(BodyKind.Image, "https://cdn.example/p.png") };
        Assert.True((await rig.Connector.SendAsync(message, default)).Succeeded);
        Assert.Contains(rig.Sim.Texts, t => t.Text == "https://cdn.example/p.png");
    }

    [Fact]
    public async Task A_retried_idempotency_key_is_posted_once()
    {
        await using var rig = await XnestRig.StartAsync(output, ["idem"]);
        var message = XnestRig.Message(XnestRig.RoomRef("idem"), "once", key: "0123456789abcdef0123456789abcdef");
        var results = await Task.WhenAll(rig.Connector.SendAsync(message, default), rig.Connector.SendAsync(message, default));
        var again = await rig.Connector.SendAsync(message, default);
        Assert.All(results.Append(again), r => Assert.Equal(results[0].NativeMessageId, r.NativeMessageId));
        Assert.Single(rig.Sim.Texts, t => t.Text == "once");
    }

    [Fact]
    public async Task Direct_messages_go_to_the_member_only_and_their_text_is_not_a_command()
    {
        await using var rig = await XnestRig.StartAsync(output, ["dm"]);
        var alice = rig.Sim.AddMember("dm", "alice");
        var bob = rig.Sim.AddMember("dm", "bob");
        await Eventually.TrueAsync(() => rig.Connector.Members("dm").ContainsKey(bob.Pid), TimeSpan.FromSeconds(5), "the bridge saw bob join");
        var result = await rig.Connector.SendAsync(XnestRig.Message(XnestRig.UserRef("dm", alice.Pid), "@changename:evil"), default);
        Assert.True(result.Succeeded, result.ToString());
        await Eventually.TrueAsync(() => alice.Received.Any(f => f.Type == XnestFrameType.Private), TimeSpan.FromSeconds(5), "alice got the private message");
        var priv = alice.Received.Single(f => f.Type == XnestFrameType.Private);
        Assert.Equal((rig.BridgePid("dm"), "@changename:evil"), (priv.From, priv.Text));
        Assert.DoesNotContain(bob.Received, f => f.Type == XnestFrameType.Private);
        Assert.Equal(["to"], rig.Sim.Commands.Select(c => c.Name));

        var unknown = await rig.Connector.SendAsync(XnestRig.Message(XnestRig.UserRef("dm", "<0.999999.9>"), "x"), default);
        Assert.Equal((SendFailureKind.Rejected, "unknown-pid"), (unknown.Failure, unknown.Code));
        var bad = await rig.Connector.SendAsync(XnestRig.Message(XnestRig.UserRef("dm", "alice"), "x"), default);
        Assert.Equal((SendFailureKind.Rejected, "bad-pid"), (bad.Failure, bad.Code));
    }

    [Fact]
    public async Task Sends_fail_with_typed_results()
    {
        await using var rig = await XnestRig.StartAsync(output, ["t"], o => o with { MaxMessageBytes = 64, SendTimeout = TimeSpan.FromMilliseconds(300) });
        var group = await rig.Connector.SendAsync(XnestRig.Message(new EndpointRef(XnestRig.ConnectorName, EndpointKind.Group, "g"), "x"), default);
        Assert.Equal(SendFailureKind.Unsupported, group.Failure);
        var unknownRoom = await rig.Connector.SendAsync(XnestRig.Message(XnestRig.RoomRef("nope"), "x"), default);
        Assert.Equal((SendFailureKind.Rejected, "unknown-room"), (unknownRoom.Failure, unknownRoom.Code));
        var large = await rig.Connector.SendAsync(XnestRig.Message(XnestRig.RoomRef("t"), new string('x', 65)), default);
        Assert.Equal(SendFailureKind.TooLarge, large.Failure);
        var empty = await rig.Connector.SendAsync(XnestRig.Message(XnestRig.RoomRef("t"), string.Empty), default);
        Assert.Equal((SendFailureKind.Rejected, "empty"), (empty.Failure, empty.Code));

        rig.Sim.Stall(true);
        var timedOut = await rig.Connector.SendAsync(XnestRig.Message(XnestRig.RoomRef("t"), "lost?"), default);
        Assert.Equal(SendFailureKind.Timeout, timedOut.Failure);
        Assert.True(timedOut.IsTransient);
        rig.Sim.Stall(false);
    }

    [Fact]
    public async Task Sending_without_a_session_is_not_connected()
    {
        await using var rig = await XnestRig.StartAsync(output, ["off"], run: false);
        var result = await rig.Connector.SendAsync(XnestRig.Message(XnestRig.RoomRef("off"), "x"), default);
        Assert.Equal(SendFailureKind.NotConnected, result.Failure);
    }
}
