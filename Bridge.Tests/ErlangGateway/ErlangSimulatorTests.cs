using Bridge.Connectors.ErlangGateway;
using Bridge.Contracts.V1;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.ErlangGateway;

/// <summary>The simulator's own server-side rules, checked with a bare client.</summary>
public class ErlangSimulatorTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_first_packet_that_is_not_connect_closes_the_connection()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        using var socket = new System.Net.WebSockets.ClientWebSocket();
        await socket.ConnectAsync(h.Simulator.WebSocketUrl, CancellationToken.None);
        await socket.SendAsync(ErlangCodec.Bare(ErlangCommand.PingResp), System.Net.WebSockets.WebSocketMessageType.Binary, true, CancellationToken.None);

        var buffer = new byte[64];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var result = await socket.ReceiveAsync(buffer, timeout.Token);

        Assert.Equal(System.Net.WebSockets.WebSocketMessageType.Close, result.MessageType);
        Assert.Contains("first packet was not CONNECT: connection closed", h.Simulator.ConnectRefusals);
    }

    [Fact]
    public async Task Garbage_after_login_gets_invalid_packet_and_the_connection_keeps_working()
    {
        await using var h = await ErlangHarness.StartAsync(output, o => o with { PingInterval = TimeSpan.FromMinutes(5) });
        var (client, code) = await RawErlangClient.ConnectAsync(h.Simulator.WebSocketUrl, "alice", "alice-pw");
        await using (client)
        {
            Assert.Equal(0, code);
            var random = new Random(3);
            for (var i = 0; i < 500; i++)
            {
                var garbage = new byte[random.Next(1, 40)];
                random.NextBytes(garbage);
                garbage[0] = (byte)(i % 2 == 0 ? 3 : 200); // truncated PUBLISH or unknown command
                await client.SendAsync(garbage);
                var reply = await client.ReceiveAsync(TimeSpan.FromSeconds(5));
                Assert.Equal(new[] { (byte)ErlangCommand.InvalidPacket }, reply);
            }

            var publish = ErlangCodec.Message(ErlangCommand.Publish, PacketSource.Client, ErlangHarness.BobUid, ErlangCodecTests.MsgId, [], ErlangCodecTests.Hello);
            await client.SendAsync(publish);
            Assert.Equal(ErlangCodec.Ack(ErlangCommand.PubAck, ErlangCodecTests.MsgIdText), await client.ReceiveAsync(TimeSpan.FromSeconds(5)));
            Assert.Equal("hello world", Assert.Single(h.Simulator.ReceivedBy(ErlangHarness.BobUid)).Text);
        }
    }

    [Fact]
    public async Task The_deliveries_kept_for_inspection_can_be_bounded_per_user_keeping_the_newest()
    {
        await using var h = await ErlangHarness.StartAsync(output, o => o with { MaxRecordedPerUser = 3, PingInterval = TimeSpan.FromMinutes(5) });
        for (var i = 0; i < 10; i++)
        {
            await h.Simulator.SendToGroupAsync(ErlangHarness.AliceUid, ErlangHarness.GroupId, $"m{i}");
        }

        Assert.Equal(["m7", "m8", "m9"], h.Simulator.ReceivedBy(ErlangHarness.BobUid).Select(d => d.Text));
        Assert.Equal(10, h.Simulator.OfflineCount(ErlangHarness.BobUid));
    }

    [Fact]
    public async Task Close_on_invalid_packet_is_a_switch()
    {
        await using var h = await ErlangHarness.StartAsync(output, o => o with { CloseOnInvalidPacket = true, PingInterval = TimeSpan.FromMinutes(5) });
        var (client, _) = await RawErlangClient.ConnectAsync(h.Simulator.WebSocketUrl, "alice", "alice-pw");
        await using (client)
        {
            await client.SendAsync([0xee, 0x01]);
            Assert.Null(await client.ReceiveAsync(TimeSpan.FromSeconds(5)));
        }
    }

    [Fact]
    public async Task Group_messages_go_to_members_except_the_sender_and_offline_members_get_them_after_login()
    {
        await using var h = await ErlangHarness.StartAsync(output, o => o with { PingInterval = TimeSpan.FromMinutes(5) });
        Assert.Equal([1000u, 1001u, 1002u], h.Simulator.GroupMembers(ErlangHarness.GroupId));
        Assert.Equal("im_group:7", Simulators.ErlangGateway.ErlangGatewaySimulator.GroupKey(7));

        var msgId = await h.Simulator.SendToGroupAsync(ErlangHarness.AliceUid, ErlangHarness.GroupId, "hi all");

        Assert.Empty(h.Simulator.ReceivedBy(ErlangHarness.AliceUid));
        Assert.Single(h.Simulator.ReceivedBy(ErlangHarness.BobUid));
        Assert.Equal(1, h.Simulator.OfflineCount(ErlangHarness.BobUid));
        var (bob, _) = await RawErlangClient.ConnectAsync(h.Simulator.WebSocketUrl, "bob", "bob-pw");
        await using (bob)
        {
            var push = await bob.ReceiveAsync(TimeSpan.FromSeconds(5));
            Assert.Equal(ErlangCodec.Message(ErlangCommand.GroupPublish, PacketSource.Server, 7, System.Text.Encoding.ASCII.GetBytes(msgId), [], "hi all"u8), push);
            await bob.SendAsync(ErlangCodec.Ack(ErlangCommand.GroupPubAck, msgId));
            await Eventually.TrueAsync(() => h.Simulator.AcknowledgedBy(ErlangHarness.BobUid).Contains(msgId), TimeSpan.FromSeconds(2), "bob acked");
        }
    }

    [Fact]
    public async Task A_stalled_connection_trips_the_connector_watchdog()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        var connector = await h.RunConnectedAsync(h.Options() with { SilenceWindow = TimeSpan.FromMilliseconds(600) });

        h.Simulator.StallConnections(ErlangHarness.BridgeUid, stalled: true);

        await Eventually.TrueAsync(() => h.Simulator.Logins == 2 && connector.Status.State == SessionState.Connected, TimeSpan.FromSeconds(5), "the connector gave up on the stalled connection and logged in again");
    }

    [Fact]
    public async Task The_tcp_length_prefix_can_be_little_endian()
    {
        await using var h = await ErlangHarness.StartAsync(output, o => o with { TcpLengthBigEndian = false });
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync("127.0.0.1", h.Simulator.TcpPort);
        var stream = client.GetStream();

        await stream.WriteAsync(ErlangCodecTests.Hex($"32 00 00 00 03 00 00 04 d2 {ErlangCodecTests.MsgIdHex} 00 0b {ErlangCodecTests.HelloHex}"));
        var reply = new byte[37];
        await stream.ReadExactlyAsync(reply);

        Assert.Equal(ErlangCodecTests.Hex($"21 00 00 00 04 {ErlangCodecTests.MsgIdHex}"), reply);
    }
}
