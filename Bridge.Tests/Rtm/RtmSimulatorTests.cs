using Bridge.Connectors.Rtm;
using Bridge.Connectors.Rtm.Fpnn;
using Bridge.Contracts.V1;
using Bridge.Simulators.Rtm;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.Rtm;

/// <summary>Simulator behaviour the connector tests do not already pin down.</summary>
public sealed class RtmSimulatorTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_126_byte_packet_uses_standard_websocket_lengths_and_arrives_intact()
    {
        await using var rig = await RtmRig.StartAsync(output);
        using var writer = FpnnPacketWriter.Quest("pushroommsg", 900);
        var w = writer.Payload;
        w.WriteMapHeader(7);
        w.WriteString("from");
        w.WriteInt64(123789);
        w.WriteString("rid");
        w.WriteInt64(RtmRig.Room);
        w.WriteString("mid");
        w.WriteUInt64Fixed(1795308569080001);
        w.WriteString("mtype");
        w.WriteInt64(30);
        w.WriteString("msg");
        w.WriteString(new string('x', 33));
        w.WriteString("attrs");
        w.WriteString(string.Empty);
        w.WriteString("mtime");
        w.WriteInt64(1795308569081);
        var packet = writer.ToArray();
        Assert.Equal(126, packet.Length);
        await rig.Simulator.SendRawAsync(RtmRig.BridgeUid, packet);
        var posted = await rig.Sink.WaitForAsync<MessagePosted>(1);
        Assert.Equal(new string('x', 33), posted[0].Body.Text);
        Assert.Equal(0, rig.Connector.Reconnects);
    }

    [Fact]
    public async Task Rooms_deliver_only_to_connections_that_entered()
    {
        await using var rig = await RtmRig.StartAsync(output);
        await rig.Simulator.SendAsync(RtmRig.Alice, RtmConversationType.Room, 5555, "not entered");
        await rig.Simulator.SendAsync(RtmRig.Alice, RtmConversationType.Room, RtmRig.Room, "entered");
        var posted = await rig.Sink.WaitForAsync<MessagePosted>(1);
        await Task.Delay(200);
        Assert.Equal("entered", Assert.Single(rig.Sink.Posted).Body.Text);
        Assert.Equal(posted[0], rig.Sink.Posted[0]);
    }

    [Fact]
    public async Task Multi_login_switch_keeps_both_connections()
    {
        await using var rig = await RtmRig.StartAsync(output, simulatorOptions: new RtmSimulatorOptions { PingInterval = null, MultiLogin = true });
        var context = new Bridge.Connectors.Abstractions.ConnectorContext("rtm-2", RtmRig.Endpoints, new MemoryCursorStore(), rig.Logging.Factory, TimeProvider.System);
        await using var second = new RtmConnector(context, RtmRig.DefaultOptions(rig.Simulator.Url));
        using var stop = new CancellationTokenSource();
        var run = second.RunAsync(new RecordingSink(), stop.Token);
        await Eventually.TrueAsync(() => second.Status.IsConnected, TimeSpan.FromSeconds(5), "the second login succeeded");
        await Task.Delay(200);
        Assert.True(rig.Connector.Status.IsConnected);
        Assert.Equal(2, rig.Simulator.ConnectionCount(RtmRig.BridgeUid));
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Quests_before_auth_and_bad_parameters_get_the_fpnn_error_codes()
    {
        await using var simulator = new RtmSimulator(new RtmSimulatorOptions { PingInterval = null });
        simulator.AddUser(1, "t");
        await simulator.StartAsync();
        using var socket = new System.Net.WebSockets.ClientWebSocket();
        await socket.ConnectAsync(simulator.Url, CancellationToken.None);

        async Task<RtmAnswer> CallAsync(FpnnPacketWriter quest)
        {
            using (quest)
            {
                await socket.SendAsync(quest.Complete(), System.Net.WebSockets.WebSocketMessageType.Binary, true, CancellationToken.None);
            }

            var buffer = new byte[4096];
            var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
            Assert.Equal(FpnnDecodeStatus.Complete, FpnnDecoder.TryDecode(buffer.AsSpan(0, result.Count), 1 << 20, out var packet, out _, out _));
            return new RtmAnswer(packet.Status, packet.Payload.ToArray());
        }

        Assert.Equal(200022, (await CallAsync(RtmQuests.EnterRoom(1, 7))).ErrorCode);
        var missing = FpnnPacketWriter.Quest("auth", 2);
        missing.Payload.WriteMapHeader(0);
        var answer = await CallAsync(missing);
        Assert.Equal((10009L, true), (answer.ErrorCode, answer.ErrorText.Length > 0));
        Assert.True((await CallAsync(RtmQuests.Auth(3, 1000012, 1, "t", null, null))).GetBoolean("ok"));
        Assert.Equal(200023, (await CallAsync(RtmQuests.Auth(4, 1000012, 1, "t", null, null))).ErrorCode);
        Assert.Equal(200005, (await CallAsync(RtmQuests.Send(5, RtmConversationType.P2P, 2, 1, 0, "x", string.Empty))).ErrorCode);
        Assert.Equal(200040, (await CallAsync(RtmQuests.Send(6, RtmConversationType.Room, 7, 1, 30, "x", string.Empty))).ErrorCode);
        var unknown = FpnnPacketWriter.Quest("nosuch", 7);
        Assert.Equal(20004, (await CallAsync(unknown)).ErrorCode);
    }

    [Fact]
    public async Task Pushes_are_twoway_quests_with_seqs_from_1_and_the_switch_repushes_unanswered_ones()
    {
        await using var simulator = new RtmSimulator(new RtmSimulatorOptions { PingInterval = null, RepushUnanswered = TimeSpan.FromSeconds(1) });
        simulator.AddUser(1, "t");
        simulator.AddUser(2, "u");
        await simulator.StartAsync();
        using var socket = new System.Net.WebSockets.ClientWebSocket();
        await socket.ConnectAsync(simulator.Url, CancellationToken.None);

        async Task<(FpnnPacketKind Kind, uint Seq, string Method, RtmPush Push)> ReceiveAsync()
        {
            var buffer = new byte[4096];
            using var timeout = new CancellationTokenSource(TestTimeouts.Scale(TimeSpan.FromSeconds(5)));
            var result = await socket.ReceiveAsync(buffer, timeout.Token);
            return Read(buffer.AsSpan(0, result.Count));
        }

        static (FpnnPacketKind, uint, string, RtmPush) Read(ReadOnlySpan<byte> bytes)
        {
            Assert.Equal(FpnnDecodeStatus.Complete, FpnnDecoder.TryDecode(bytes, 1 << 20, out var packet, out _, out _));
            var method = packet.Kind == FpnnPacketKind.Answer ? string.Empty : System.Text.Encoding.UTF8.GetString(packet.Method);
            var push = default(RtmPush);
            Assert.True(method != "pushmsg" || RtmPushDecoder.TryDecode(RtmConversationType.P2P, packet.Payload, out push, out _));
            return (packet.Kind, packet.Seq, method, push);
        }

        using (var auth = RtmQuests.Auth(1, 1000012, 1, "t", null, null))
        {
            await socket.SendAsync(auth.Complete(), System.Net.WebSockets.WebSocketMessageType.Binary, true, CancellationToken.None);
        }

        Assert.Equal(FpnnPacketKind.Answer, (await ReceiveAsync()).Kind);
        var sent = (await simulator.SendAsync(2, RtmConversationType.P2P, 1, "answer me")).Message!;

        var first = await ReceiveAsync();
        Assert.Equal((FpnnPacketKind.TwoWay, 1u, "pushmsg"), (first.Kind, first.Seq, first.Method));
        Assert.Equal((sent.Mid, "answer me"), (first.Push.Mid, first.Push.Msg));

        // Not answered: the same push comes again with the next seq of this connection.
        var again = await ReceiveAsync();
        Assert.Equal((FpnnPacketKind.TwoWay, 2u, "pushmsg"), (again.Kind, again.Seq, again.Method));
        Assert.Equal(sent.Mid, again.Push.Mid);

        await socket.SendAsync(FpnnPacketWriter.EmptyAnswer(2), System.Net.WebSockets.WebSocketMessageType.Binary, true, CancellationToken.None);
        // Answered: nothing more comes (the first copy is not pushed a third time).
        using var quiet = new CancellationTokenSource(TimeSpan.FromMilliseconds(1500));
        var buffer = new byte[4096];
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await socket.ReceiveAsync(buffer, quiet.Token));
    }
}
