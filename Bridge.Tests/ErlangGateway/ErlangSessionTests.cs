using Bridge.Connectors.ErlangGateway;
using Bridge.Contracts.V1;
using Bridge.Simulators.ErlangGateway;
using Bridge.Simulators.Hosting;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.ErlangGateway;

/// <summary>Session behaviour against the simulator over real sockets.</summary>
public class ErlangSessionTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Connects_and_answers_every_server_ping()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        var connector = await h.RunConnectedAsync();

        await Eventually.TrueAsync(() => h.Simulator.PingResponses >= 5, TimeSpan.FromSeconds(5), "five PINGs were answered");
        Assert.Equal(1, h.Simulator.Logins);
        Assert.Equal(SessionState.Connected, connector.Status.State);
    }

    [Fact]
    public async Task Connects_over_wss_at_the_wss_path_and_receives_pushes()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        await using var terminator = new TlsTerminator(h.Simulator.Port);
        var connector = await h.RunConnectedAsync(h.Options(new Uri($"wss://127.0.0.1:{terminator.Port}/wss")) with { AllowUntrustedCertificate = true });
        var msgId = await h.AliceSendsToBridgeAsync("over tls");
        await Eventually.TrueAsync(() => h.Sink.Posted.Any(p => p.NativeMessageId == msgId), TimeSpan.FromSeconds(10), "the push arrived over wss");
        Assert.Equal("over tls", h.Sink.Posted.Single(p => p.NativeMessageId == msgId).Body.Text);
        Assert.True(terminator.Handshakes >= 1);
        Assert.Equal(SessionState.Connected, connector.Status.State);
    }

    [Fact]
    public async Task Bad_password_is_bad_credentials_with_the_code_in_the_reason()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        var connector = h.Run(h.Options() with { Password = new Bridge.Connectors.Configuration.Secret("wrong") });

        await h.WaitForStateAsync(connector, SessionState.BadCredentials, "bad username or password (CONNECT_ACK 3)");
        Assert.Contains("bridge: CONNECT_ACK 3", h.Simulator.ConnectRefusals);
        Assert.DoesNotContain(h.Logs.Lines, l => l.Contains("wrong", StringComparison.Ordinal) || l.Contains(ErlangHarness.Password, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Credentials_are_checked_through_the_user_centre_contract()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        h.Simulator.UserCenterUrl = h.Simulator.AuthUrl;
        using var http = new HttpClient();
        using var form = new FormUrlEncodedContent([new("username", "alice"), new("password", "alice-pw")]);
        var answer = await (await http.PostAsync(h.Simulator.AuthUrl, form)).Content.ReadAsStringAsync();
        Assert.Equal("""{"result":"pass","uid":1001}""", answer);
        using var bad = new FormUrlEncodedContent([new("username", "alice"), new("password", "nope")]);
        Assert.Equal("""{"result":"denied"}""", await (await http.PostAsync(h.Simulator.AuthUrl, bad)).Content.ReadAsStringAsync());

        await h.RunConnectedAsync();
        var (client, code) = await RawErlangClient.ConnectAsync(h.Simulator.WebSocketUrl, "bob", "nope");
        await using (client)
        {
            Assert.Equal(ConnectAckCode.BadUsernameOrPassword, code);
            Assert.Null(await client.ReceiveAsync(TimeSpan.FromSeconds(2))); // closed after a non-zero code
        }
    }

    [Fact]
    public async Task Duplicate_login_without_client_id_is_refused_with_code_1_and_reported_as_kicked()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        var first = await h.RunConnectedAsync();
        var second = h.Run(h.Options() with { Reconnect = h.Options().Reconnect with { KickedDelay = TimeSpan.FromMinutes(10) } }, name: "erl2");

        await h.WaitForStateAsync(second, SessionState.Kicked, "duplicate connection");
        Assert.Equal(SessionState.Connected, first.Status.State);
        Assert.Equal(1, h.Simulator.Logins);
    }

    [Fact]
    public async Task Login_elsewhere_with_the_same_client_id_kicks_the_old_session_with_logout()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        var options = h.Options() with { ClientId = 2, Reconnect = h.Options().Reconnect with { KickedDelay = TimeSpan.FromMinutes(10) } };
        var first = await h.RunConnectedAsync(options);
        var second = await h.RunConnectedAsync(options, name: "erl2");

        await h.WaitForStateAsync(first, SessionState.Kicked, "LOGOUT 20");
        Assert.Equal(SessionState.Connected, second.Status.State);
        Assert.True(h.Simulator.Logins == 2, $"logins: {h.Simulator.Logins}");
        await Eventually.TrueAsync(() => h.Simulator.ConnectionCount(ErlangHarness.BridgeUid) == 1, TimeSpan.FromSeconds(2), "one connection is left");
    }

    [Theory]
    [InlineData(1, SessionState.Kicked, "duplicate connection")]
    [InlineData(2, SessionState.BadCredentials, "invalid vhost")]
    [InlineData(3, SessionState.BadCredentials, "bad username or password")]
    [InlineData(9, SessionState.BadCredentials, "unknown CONNECT_ACK code 9")]
    public async Task Every_connect_ack_code_maps_to_a_state_with_a_reason(byte code, SessionState state, string reason)
    {
        await using var server = new SimulatorServer(routes => SimulatorServer.MapWebSocket(routes, "/ws", async (_, socket) =>
        {
            await WebSocketIo.ReadMessageAsync(socket, 1024, CancellationToken.None);
            await socket.SendAsync(ErlangCodec.ConnectAck(code), System.Net.WebSockets.WebSocketMessageType.Binary, true, CancellationToken.None);
            await socket.CloseOutputAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        }));
        await server.StartAsync();
        await using var h = await ErlangHarness.StartAsync(output);
        var connector = h.Run(h.Options(server.WebSocketUrl("/ws")));

        await h.WaitForStateAsync(connector, state, reason);
    }

    [Fact]
    public async Task No_connect_ack_in_time_is_a_transient_failure()
    {
        await using var server = new SimulatorServer(routes => SimulatorServer.MapWebSocket(routes, "/ws", async (ctx, socket) =>
        {
            await WebSocketIo.ReadMessageAsync(socket, 1024, ctx.RequestAborted);
            await Task.Delay(Timeout.Infinite, ctx.RequestAborted);
        }));
        await server.StartAsync();
        await using var h = await ErlangHarness.StartAsync(output);
        var connector = h.Run(h.Options(server.WebSocketUrl("/ws")) with { ConnectTimeout = TimeSpan.FromMilliseconds(300) });

        await h.WaitForStateAsync(connector, SessionState.TransientDisconnect, "no CONNECT_ACK within 0.3 s");
    }

    [Theory]
    [InlineData(ErlangCommand.Disconnect, SessionState.TransientDisconnect, "the server sent DISCONNECT (9)")]
    [InlineData(ErlangCommand.InvalidPacket, SessionState.TransientDisconnect, "INVALID_PACKET (10)")]
    [InlineData(ErlangCommand.Logout, SessionState.Kicked, "LOGOUT 20")]
    public async Task Server_disconnect_invalid_packet_and_logout_become_states_with_reasons(ErlangCommand command, SessionState state, string reason)
    {
        await using var h = await ErlangHarness.StartAsync(output);
        var connector = await h.RunConnectedAsync();

        await h.Simulator.SendControlAsync(ErlangHarness.BridgeUid, command);

        await h.WaitForStateAsync(connector, state, reason);
        await h.WaitForStateAsync(connector, SessionState.Connected);
        Assert.Equal(2, h.Simulator.Logins);
    }

    [Fact]
    public async Task Missed_server_pings_trip_the_silence_watchdog_and_the_session_reconnects()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        var connector = await h.RunConnectedAsync(h.Options() with { SilenceWindow = TimeSpan.FromMilliseconds(600) });

        h.Simulator.PausePings(ErlangHarness.BridgeUid, paused: true);

        await Eventually.TrueAsync(() => h.Simulator.Logins == 2 && connector.Status.IsConnected, TimeSpan.FromSeconds(5), "the watchdog reconnected");
        Assert.Contains(h.Logs.Lines, l => l.Contains("watchdog: nothing received for 0.6 s", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_server_closes_a_client_that_does_not_answer_pings()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        var (client, code) = await RawErlangClient.ConnectAsync(h.Simulator.WebSocketUrl, "alice", "alice-pw");
        await using (client)
        {
            Assert.Equal(0, code);
            var ping = await client.ReceiveAsync(TimeSpan.FromSeconds(2));
            Assert.Equal(new[] { (byte)ErlangCommand.Ping }, ping);
            byte[]? packet;
            do
            {
                packet = await client.ReceiveAsync(TimeSpan.FromSeconds(5));
            }
            while (packet is not null);

            await Eventually.TrueAsync(() => !h.Simulator.IsOnline(ErlangHarness.AliceUid), TimeSpan.FromSeconds(2), "alice is offline");
        }
    }

    [Fact]
    public async Task The_server_resends_an_unacked_push_three_times_then_disconnects_and_repushes_after_login()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        var (client, _) = await RawErlangClient.ConnectAsync(h.Simulator.WebSocketUrl, "alice", "alice-pw");
        var msgId = await h.Simulator.SendAsUserAsync(ErlangHarness.BobUid, ErlangHarness.AliceUid, "hello world");
        var expected = ErlangCodec.Message(ErlangCommand.Publish, PacketSource.Server, 0, System.Text.Encoding.ASCII.GetBytes(msgId), [], "hello world"u8);
        await using (client)
        {
            var copies = 0;
            while (await client.ReceiveSkippingPingsAsync(TimeSpan.FromSeconds(5)) is { } packet)
            {
                Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(packet));
                copies++;
            }

            Assert.Equal(4, copies); // the push and three resends, then the close
        }

        await Eventually.TrueAsync(() => h.Simulator.OfflineCount(ErlangHarness.AliceUid) == 1, TimeSpan.FromSeconds(2), "the unacked push is queued again");
        var (again, _) = await RawErlangClient.ConnectAsync(h.Simulator.WebSocketUrl, "alice", "alice-pw");
        await using (again)
        {
            Assert.Equal(expected, await again.ReceiveSkippingPingsAsync(TimeSpan.FromSeconds(2)));
            await again.SendAsync(ErlangCodec.Ack(ErlangCommand.PubAck, msgId));
            await Eventually.TrueAsync(() => h.Simulator.AcknowledgedBy(ErlangHarness.AliceUid).Contains(msgId), TimeSpan.FromSeconds(2), "the ack arrived");
            Assert.Equal(0, h.Simulator.UnacknowledgedCount(ErlangHarness.AliceUid));
        }
    }

    [Fact]
    public async Task The_session_comes_back_after_a_server_restart()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        var connector = await h.RunConnectedAsync();

        await h.Simulator.RestartAsync();

        await Eventually.TrueAsync(() => h.Simulator.Logins == 2 && connector.Status.IsConnected, TimeSpan.FromSeconds(5), "the connector logged in again");
        Assert.Equal(1, connector.Reconnects);
        var msgId = await h.AliceSendsToBridgeAsync("after restart");
        await h.Sink.WaitForAsync<MessagePosted>(1);
        Assert.Equal(msgId, h.Sink.Posted[0].NativeMessageId);
    }

    [Fact]
    public async Task A_stalled_server_trips_the_watchdog_and_the_session_recovers_when_it_moves_again()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        await using var proxy = new FaultProxy(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, h.Simulator.Port));
        proxy.Start();
        var url = new Uri($"ws://127.0.0.1:{proxy.Port}/ws");
        var connector = await h.RunConnectedAsync(h.Options(url) with { SilenceWindow = TimeSpan.FromMilliseconds(600), ConnectTimeout = TimeSpan.FromMilliseconds(500) });

        proxy.Stall(true);
        await h.WaitForStateAsync(connector, SessionState.TransientDisconnect, "nothing received for 0.6 s");
        proxy.Stall(false);

        await Eventually.TrueAsync(() => connector.Status.IsConnected && h.Simulator.Logins >= 2, TimeSpan.FromSeconds(10), "the connector logged in again");
    }

    [Fact]
    public async Task A_clean_stop_says_disconnect()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        var connector = await h.RunConnectedAsync();

        await h.StopAsync(connector);

        Assert.Equal(SessionState.Stopped, connector.Status.State);
        await Eventually.TrueAsync(() => h.Simulator.ClientDisconnects == 1, TimeSpan.FromSeconds(2), "the simulator saw DISCONNECT");
    }

    [Fact]
    public async Task Ten_thousand_fuzzed_frames_do_not_break_a_live_session()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        var connector = await h.RunConnectedAsync();
        var seeds = new[]
        {
            ErlangCodec.Message(ErlangCommand.Publish, PacketSource.Server, 0, ErlangCodecTests.MsgId, [], ErlangCodecTests.Hello),
            ErlangCodec.Message(ErlangCommand.GroupPartPublish, PacketSource.Server, 7, ErlangCodecTests.MsgId, [1, 2], ErlangCodecTests.Hello),
            ErlangCodec.Ack(ErlangCommand.PubAck, ErlangCodecTests.MsgIdText),
            ErlangCodec.Bare(ErlangCommand.Ping),
            ErlangCodec.ConnectAck(0),
        };

        var sent = 0;
        foreach (var frame in FuzzFrames.Generate(new Random(5), seeds, 12_000))
        {
            // Frames that legitimately end the session (DISCONNECT, INVALID_PACKET, LOGOUT) are tested separately.
            if (frame.Length > 0 && frame[0] is (byte)ErlangCommand.Disconnect or (byte)ErlangCommand.InvalidPacket or (byte)ErlangCommand.Logout)
            {
                continue;
            }

            if (frame.Length == 0)
            {
                continue;
            }

            await h.Simulator.SendRawAsync(ErlangHarness.BridgeUid, frame);
            sent++;
        }

        Assert.True(sent >= 10_000, $"sent {sent}");
        var msgId = await h.AliceSendsToBridgeAsync("still alive");
        await Eventually.TrueAsync(() => h.Sink.Posted.Any(p => p.NativeMessageId == msgId), TimeSpan.FromSeconds(10), "a real push after the fuzz was ingested");
        Assert.Equal(SessionState.Connected, connector.Status.State);
        Assert.Equal(1, h.Simulator.Logins);
    }
}
