using System.Net;
using System.Net.WebSockets;
using System.Text;
using Bridge.Connectors.Configuration;
using Bridge.Connectors.Glide;
using Bridge.Contracts.V1;
using Bridge.Simulators.Glide;
using Bridge.Simulators.Hosting;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.Glide;

/// <summary>The session against the simulator over real sockets.</summary>
public sealed class GlideSessionTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_minted_credential_authenticates_and_the_server_knows_the_uid()
    {
        await using var rig = await GlideRig.StartAsync(output);
        var connector = rig.Start(rig.Options());
        await GlideRig.ConnectedAsync(connector);
        Assert.True(rig.Sim.IsConnected(GlideRig.BridgeUid));
        Assert.NotEmpty(rig.LogLines.Lines);
        Assert.DoesNotContain(rig.LogLines.Lines, l => l.Contains("secret_key", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_wrong_gateway_secret_is_reported_as_bad_credentials()
    {
        await using var rig = await GlideRig.StartAsync(output);
        var connector = rig.Start(rig.Options() with { GatewaySecret = new Secret("not_the_secret") });
        await Eventually.TrueAsync(() => connector.Status.State == SessionState.BadCredentials, TimeSpan.FromSeconds(5), "bad credentials are reported");
        Assert.Matches("invalid authenticate message|malformed", connector.Status.Reason);
        Assert.False(rig.Sim.IsConnected(GlideRig.BridgeUid));
    }

    [Fact]
    public async Task An_expired_configured_credential_is_reported_as_bad_credentials()
    {
        await using var rig = await GlideRig.StartAsync(output);
        var old = rig.Sim.MintCredential(GlideRig.BridgeUid, issuedAt: DateTimeOffset.UtcNow.AddMinutes(-26));
        var connector = rig.Start(rig.Options() with { GatewaySecret = null, Credential = new Secret(old), DeliverSecret = new Secret("x") });
        await Eventually.TrueAsync(() => connector.Status.State == SessionState.BadCredentials, TimeSpan.FromSeconds(5), "bad credentials are reported");
        Assert.Contains("credential expired", connector.Status.Reason);
        Assert.DoesNotContain(old, rig.LogLines.Lines.Aggregate(string.Empty, (a, b) => a + b));
    }

    [Fact]
    public async Task Every_reconnect_mints_a_fresh_credential_so_expiry_never_bites()
    {
        await using var rig = await GlideRig.StartAsync(output, o => o with { CredentialLifetime = TimeSpan.FromMilliseconds(300) });
        var connector = rig.Start(rig.Options());
        await GlideRig.ConnectedAsync(connector);
        await Task.Delay(500); // setup: the first credential is now older than the server accepts
        rig.Sim.Drop(GlideRig.BridgeUid);
        await Eventually.TrueAsync(() => connector.Reconnects >= 1, TimeSpan.FromSeconds(5), "the drop is noticed");
        await GlideRig.ConnectedAsync(connector, "the reconnect authenticates with a fresh credential");
    }

    [Fact]
    public async Task A_credential_of_malformed_length_makes_the_server_close_and_is_bad_credentials()
    {
        await using var rig = await GlideRig.StartAsync(output);
        var malformed = Convert.ToBase64String(new byte[40]).TrimEnd('=');
        var connector = rig.Start(rig.Options() with { GatewaySecret = null, Credential = new Secret(malformed), DeliverSecret = new Secret("x") });
        await Eventually.TrueAsync(() => connector.Status.State == SessionState.BadCredentials, TimeSpan.FromSeconds(5), "bad credentials are reported");
        Assert.Contains("malformed", connector.Status.Reason);
    }

    [Fact]
    public async Task A_credential_from_the_business_api_authenticates()
    {
        await using var rig = await GlideRig.StartAsync(output);
        var user = rig.Sim.CreateUser(GlideRig.BridgeUid, online: false);
        var connector = rig.Start(rig.Options() with { GatewaySecret = null, ApiUrl = rig.Sim.ApiUrl, ApiToken = new Secret(user.ApiToken) });
        await GlideRig.ConnectedAsync(connector);
    }

    [Fact]
    public async Task A_refused_api_token_is_bad_credentials()
    {
        await using var rig = await GlideRig.StartAsync(output);
        var connector = rig.Start(rig.Options() with { GatewaySecret = null, ApiUrl = rig.Sim.ApiUrl, ApiToken = new Secret("tok-wrong") });
        await Eventually.TrueAsync(() => connector.Status.State == SessionState.BadCredentials, TimeSpan.FromSeconds(5), "bad credentials are reported");
        Assert.DoesNotContain("tok-wrong", connector.Status.Reason);
    }

    [Fact]
    public async Task A_second_login_kicks_the_first_which_reports_kicked_and_does_not_fight()
    {
        await using var rig = await GlideRig.StartAsync(output);
        var first = rig.Start(rig.Options(), name: "first");
        await GlideRig.ConnectedAsync(first);
        var second = rig.Start(rig.Options(), name: "second");
        await GlideRig.ConnectedAsync(second);
        await Eventually.TrueAsync(() => first.Status.State == SessionState.Kicked, TimeSpan.FromSeconds(5), "the first connector reports kicked");
        Assert.Contains("another login", first.Status.Reason);
        await Eventually.TrueAsync(() => rig.Sim.SocketCount == 1, TimeSpan.FromSeconds(5), "the kicked socket (a temp connection now) is closed by the bridge");

        await Task.Delay(600); // the kicked connector must stay away for KickedDelay, not reconnect at once
        Assert.Equal(SessionState.Kicked, first.Status.State);
        Assert.True(second.Status.IsConnected);
        Assert.Equal(0, second.Reconnects);
    }

    [Fact]
    public async Task Missed_keepalives_trip_the_watchdog_and_the_session_comes_back()
    {
        await using var rig = await GlideRig.StartAsync(output);
        var connector = rig.Start(rig.Options());
        await GlideRig.ConnectedAsync(connector);
        rig.Sim.Stall(GlideRig.BridgeUid, true);
        await Eventually.TrueAsync(() => connector.Reconnects >= 1, TimeSpan.FromSeconds(5), "the watchdog ends the silent session");
        await GlideRig.ConnectedAsync(connector, "a new session is authenticated");
        Assert.Contains(rig.LogLines.Lines, l => l.Contains("watchdog", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_server_heartbeats_a_silent_client_then_drops_it_while_the_connector_stays()
    {
        await using var rig = await GlideRig.StartAsync(output, o => o with { HeartbeatInterval = TimeSpan.FromMilliseconds(200) });
        var connector = rig.Start(rig.Options() with { HeartbeatInterval = TimeSpan.FromMilliseconds(100) });
        await GlideRig.ConnectedAsync(connector);

        using var raw = new ClientWebSocket();
        await raw.ConnectAsync(rig.Sim.WebSocketUrl, CancellationToken.None);
        var hello = await ReadAsync(raw);
        Assert.StartsWith("{\"ver\":1,\"action\":\"hello\",\"data\":{\"temp_id\":\"tmp@", hello);
        await raw.SendAsync(Encoding.UTF8.GetBytes($"{{\"ver\":1,\"seq\":1,\"action\":\"authenticate\",\"data\":{{\"version\":1,\"credential\":\"{rig.Sim.MintCredential("1001")}\"}}}}"), WebSocketMessageType.Text, true, CancellationToken.None);
        Assert.Equal("{\"ver\":1,\"seq\":1,\"action\":\"notify.success\",\"data\":null}", await ReadAsync(raw));

        var heartbeats = 0;
        while (await ReadAsync(raw) is { } frame)
        {
            Assert.Equal("{\"ver\":1,\"action\":\"heartbeat\",\"data\":null}", frame);
            heartbeats++;
        }

        Assert.Equal(3, heartbeats);
        Assert.True(connector.Status.IsConnected);
        Assert.Equal(0, connector.Reconnects);
    }

    [Fact]
    public async Task Undecodable_frames_get_the_servers_decode_error_and_the_connection_is_kept()
    {
        await using var rig = await GlideRig.StartAsync(output);
        using var raw = new ClientWebSocket();
        await raw.ConnectAsync(rig.Sim.WebSocketUrl, CancellationToken.None);
        await ReadAsync(raw);
        await raw.SendAsync("{b"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        Assert.Equal("""{"ver":1,"action":"notify.error","data":"message decode error: invalid character 'b' looking for beginning of object key string"}""", await ReadAsync(raw));
        await raw.SendAsync("""{"ver":1,"seq":7,"action":"message.chat.resend","data":{}}"""u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        Assert.Equal("""{"ver":1,"seq":7,"action":"notify.unknown.action","data":"message.chat.resend"}""", await ReadAsync(raw));
    }

    [Fact]
    public async Task The_simulator_kicks_the_older_socket_which_stays_open_as_a_temp_connection()
    {
        await using var rig = await GlideRig.StartAsync(output);
        rig.Sim.CreateUser("1002");
        using var a = await AuthenticatedAsync(rig, "1001", "2");
        using var b = await AuthenticatedAsync(rig, "1001", "7");
        Assert.Equal("""{"ver":1,"action":"notify.kickout","data":{"device_id":"7"}}""", await ReadAsync(a));

        // The kicked socket is a temp connection now: no ticket check, and its from is tmp@….
        await SendAsync(a, """{"ver":1,"seq":5,"action":"message.chat","to":"1002","data":{"cliMid":"T1","type":1,"content":"still here"}}""");
        Assert.StartsWith("""{"ver":1,"action":"ack.message","data":{"cli_mid":"T1",""", await ReadAsync(a));
        // The server acknowledges before it delivers: wait for the push.
        await Eventually.TrueAsync(() => rig.Sim.Received("1002", GlideActions.Chat).Count > 0, TimeSpan.FromSeconds(5), "the push reached 1002");
        var push = Assert.Single(rig.Sim.Received("1002", GlideActions.Chat));
        Assert.StartsWith("tmp@", System.Text.Json.JsonDocument.Parse(push.Data!).RootElement.GetProperty("from").GetString());

        // The new owner of the uid needs a ticket of 40 characters that matches.
        await SendAsync(b, """{"ver":1,"seq":6,"action":"message.chat","to":"1002","ticket":"abc","data":{"cliMid":"T2","content":"x"}}""");
        Assert.Equal("""{"ver":1,"seq":6,"action":"notify.forbidden","data":"invalid ticket"}""", await ReadAsync(b));
        await SendAsync(b, $$$"""{"ver":1,"seq":7,"action":"message.chat","to":"1002","ticket":"{{{new string('0', 40)}}}","data":{"cliMid":"T3","content":"x"}}""");
        Assert.Equal("""{"ver":1,"seq":7,"action":"notify.forbidden","data":"ticket expired"}""", await ReadAsync(b));
        var ticket = GlideTickets.Compute(rig.Sim.User("1001")!.DeliverSecret, "1001", "1002").ToUpperInvariant();
        await SendAsync(b, $$$"""{"ver":1,"seq":8,"action":"message.chat","to":"1002","ticket":"{{{ticket}}}","data":{"cliMid":"T4","content":"x"}}""");
        Assert.StartsWith("""{"ver":1,"action":"ack.message","data":{"cli_mid":"T4",""", await ReadAsync(b));
    }

    private static async Task<ClientWebSocket> AuthenticatedAsync(GlideRig rig, string uid, string device)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(rig.Sim.WebSocketUrl, CancellationToken.None);
        await ReadAsync(socket);
        await SendAsync(socket, $"{{\"ver\":1,\"seq\":1,\"action\":\"authenticate\",\"data\":{{\"version\":1,\"credential\":\"{rig.Sim.MintCredential(uid, device)}\"}}}}");
        Assert.Equal("{\"ver\":1,\"seq\":1,\"action\":\"notify.success\",\"data\":null}", await ReadAsync(socket));
        return socket;
    }

    private static Task SendAsync(WebSocket socket, string json) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);

    [Fact]
    public async Task The_simulator_acknowledges_a_group_message_before_the_echo_and_numbers_the_channel()
    {
        await using var rig = await GlideRig.StartAsync(output);
        rig.Sim.CreateUser("1001");
        rig.Sim.CreateUser("1002");
        rig.Sim.CreateChannel("order");
        rig.Sim.Subscribe("order", "1001");
        rig.Sim.Subscribe("order", "1002");
        rig.Sim.SendGroup("1001", "order", "first", cliMid: "o1");
        rig.Sim.SendGroup("1001", "order", "second", cliMid: "o2");

        var sender = rig.Sim.Received("1001").Where(r => r.Action is GlideActions.AckMessage or GlideActions.Group).Select(r => r.Action).ToList();
        Assert.Equal([GlideActions.AckMessage, GlideActions.Group, GlideActions.AckMessage, GlideActions.Group], sender);
        var seqs = rig.Sim.Received("1002", GlideActions.Group).Select(r => System.Text.Json.JsonDocument.Parse(r.Data!).RootElement.GetProperty("seq").GetInt64()).ToList();
        Assert.Equal(2, seqs.Count);
        Assert.Equal(seqs[0] + 1, seqs[1]);
    }

    [Fact]
    public async Task A_server_restart_is_followed_by_a_new_session()
    {
        await using var rig = await GlideRig.StartAsync(output);
        var connector = rig.Start(rig.Options());
        await GlideRig.ConnectedAsync(connector);
        await rig.Sim.RestartAsync();
        await Eventually.TrueAsync(() => connector.Reconnects >= 1, TimeSpan.FromSeconds(5), "the dropped session is noticed");
        await GlideRig.ConnectedAsync(connector, "the connector authenticates again after the restart");
        Assert.True(rig.Sim.IsConnected(GlideRig.BridgeUid));
    }

    [Fact]
    public async Task A_stalled_server_is_left_and_the_connector_recovers_when_it_answers_again()
    {
        await using var rig = await GlideRig.StartAsync(output);
        await using var proxy = new FaultProxy(new IPEndPoint(IPAddress.Loopback, rig.Sim.Port));
        proxy.Start();
        var connector = rig.Start(rig.Options(url: new Uri($"ws://127.0.0.1:{proxy.Port}/ws")));
        await GlideRig.ConnectedAsync(connector);
        proxy.Stall(true);
        // TransientDisconnect lasts only until the next attempt, so count the reconnect instead of sampling the state.
        await Eventually.TrueAsync(() => connector.Reconnects >= 1, TimeSpan.FromSeconds(20), "the stall is detected");
        proxy.Stall(false);
        proxy.DropAll();
        await GlideRig.ConnectedAsync(connector, "the connector is back once the server answers");
    }

    [Fact]
    public async Task Ten_thousand_fuzzed_frames_into_a_live_session_do_not_break_it()
    {
        await using var rig = await GlideRig.StartAsync(output);
        var sink = new RecordingSink();
        var connector = rig.Start(rig.Options(), sink);
        await GlideRig.ConnectedAsync(connector);
        rig.Sim.CreateUser("1001");
        foreach (var frame in GlideCodecPropertyTests.FuzzFrames(10_000, 7, includeKick: false))
        {
            // The server's writer (Go) never emits invalid UTF-8 in a text frame: it substitutes U+FFFD, as this does.
            Assert.True(rig.Sim.PushRaw(GlideRig.BridgeUid, Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(frame))));
        }

        rig.Sim.SendChat("1001", GlideRig.BridgeUid, "after the fuzz", cliMid: "after-fuzz");
        await Eventually.TrueAsync(() => sink.Posted.Any(p => p.NativeMessageId == "1001:after-fuzz"), TimeSpan.FromSeconds(10), "a real message still arrives");
        Assert.True(connector.Status.IsConnected);
        Assert.Equal(0, connector.Reconnects);
    }

    private static async Task<string?> ReadAsync(WebSocket socket)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var message = await WebSocketIo.ReadMessageAsync(socket, 1 << 20, timeout.Token);
            return message is null ? null : Encoding.UTF8.GetString(message.Value.Data);
        }
        catch (WebSocketException)
        {
            return null;
        }
    }
}
