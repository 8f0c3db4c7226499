using Bridge.Connectors.Configuration;
using Bridge.Connectors.Rtm;
using Bridge.Connectors.Transport;
using Bridge.Contracts.V1;
using Bridge.Simulators.Rtm;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.Rtm;

/// <summary>Session behaviour against the simulated gate over real sockets.</summary>
public sealed class RtmSessionTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Logs_in_enters_the_routed_room_and_answers_pings()
    {
        await using var rig = await RtmRig.StartAsync(output, simulatorOptions: new RtmSimulatorOptions { PingInterval = TimeSpan.FromMilliseconds(100) });
        await Eventually.TrueAsync(() => rig.Simulator.ClientAnswers.Count(a => a.Method == "ping" && a.Uid == RtmRig.BridgeUid) >= 3, TimeSpan.FromSeconds(5), "three pings were answered");
        Assert.All(rig.Simulator.ClientAnswers, a => Assert.Equal(0, a.Status));
        Assert.Equal(1, rig.Simulator.Logins);
        Assert.NotEmpty(rig.Logging.Provider.Lines);
        Assert.DoesNotContain(rig.Logging.Provider.Lines, l => l.Contains(RtmRig.BridgeToken, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Ok_false_is_bad_credentials_with_the_sdk_code_and_no_retry_storm()
    {
        await using var rig = await RtmRig.StartAsync(output, o => o with { Token = new Secret("wrong") }, connect: false);
        rig.Run();
        await rig.WaitStateAsync(SessionState.BadCredentials);
        Assert.Contains("200027", rig.Connector.Status.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong", rig.Connector.Status.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(rig.Logging.Provider.Lines, l => l.Contains("wrong", StringComparison.Ordinal));
        await Task.Delay(300);
        Assert.Equal(1, rig.Connector.Reconnects);
    }

    [Fact]
    public async Task An_auth_error_answer_is_bad_credentials_with_its_code()
    {
        await using var rig = await RtmRig.StartSimulatorAsync(output);
        rig.Simulator.BanUser(RtmRig.BridgeUid);
        rig.CreateConnector();
        rig.Run();
        await rig.WaitStateAsync(SessionState.BadCredentials);
        Assert.Contains("200024", rig.Connector.Status.Reason, StringComparison.Ordinal);
        Assert.Contains("auth denied", rig.Connector.Status.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_login_of_the_bridge_uid_is_reported_as_kicked_without_a_reconnect_storm()
    {
        await using var rig = await RtmRig.StartAsync(output);
        var other = rig;
        await using var second = await RtmRig.StartSimulatorAsync(output);
        // A second bridge instance with the same account, on the same gate.
        var context = new Bridge.Connectors.Abstractions.ConnectorContext("rtm-2", RtmRig.Endpoints, new MemoryCursorStore(), rig.Logging.Factory, TimeProvider.System);
        await using var rival = new RtmConnector(context, RtmRig.DefaultOptions(rig.Simulator.Url));
        using var stopRival = new CancellationTokenSource();
        var rivalRun = rival.RunAsync(new RecordingSink(), stopRival.Token);
        await Eventually.TrueAsync(() => rival.Status.IsConnected, TimeSpan.FromSeconds(5), "the second login succeeded");

        await rig.WaitStateAsync(SessionState.Kicked);
        Assert.Contains("kickout", other.Connector.Status.Reason, StringComparison.Ordinal);
        await Task.Delay(500);
        Assert.Equal(SessionState.Kicked, rig.Connector.Status.State);
        Assert.Equal(2, rig.Simulator.Logins);
        Assert.True(rival.Status.IsConnected, "the other login keeps the account");
        Assert.Equal(1, rig.Simulator.ConnectionCount(RtmRig.BridgeUid));
        await stopRival.CancelAsync();
        await rivalRun;
    }

    [Fact]
    public async Task Missing_pings_trigger_the_keepalive_watchdog_and_a_reconnect()
    {
        await using var rig = await RtmRig.StartAsync(
            output,
            o => o with { Reconnect = o.Reconnect with { KeepaliveWindow = TimeSpan.FromMilliseconds(600) } },
            new RtmSimulatorOptions { PingInterval = TimeSpan.FromMilliseconds(100) });
        await Task.Delay(900);
        Assert.Equal(0, rig.Connector.Reconnects); // pings keep it alive
        rig.Simulator.PausePings(true);
        await Eventually.TrueAsync(() => rig.Connector.Reconnects >= 1, TimeSpan.FromSeconds(5), "the watchdog fired");
        Assert.Contains(rig.Logging.Provider.Lines, l => l.Contains("no keepalive", StringComparison.Ordinal));
        rig.Simulator.PausePings(false);
        await rig.WaitConnectedAsync("the connector logged in again and re-entered the room");
    }

    [Fact]
    public async Task A_stalled_gate_is_detected_and_the_session_recovers_when_it_answers_again()
    {
        await using var rig = await RtmRig.StartAsync(
            output,
            o => o with { Reconnect = o.Reconnect with { KeepaliveWindow = TimeSpan.FromMilliseconds(600) } },
            new RtmSimulatorOptions { PingInterval = TimeSpan.FromMilliseconds(100) },
            viaProxy: true);
        rig.Proxy!.Stall(true);
        await Eventually.TrueAsync(() => rig.Connector.Reconnects >= 1, TimeSpan.FromSeconds(5), "the stall was detected");
        rig.Proxy.Stall(false);
        await Eventually.TrueAsync(() => rig.Connector.Status.IsConnected, TimeSpan.FromSeconds(10), "the connector logged in again");
        var result = await rig.Connector.SendAsync(rig.Outbound(EndpointKind.Room, RtmRig.Room, "after stall"), CancellationToken.None);
        Assert.True(result.Succeeded, result.ToString());
    }

    [Fact]
    public async Task Server_restart_reconnects_reauths_and_reenters_rooms()
    {
        await using var rig = await RtmRig.StartAsync(output);
        await rig.Simulator.RestartAsync();
        await Eventually.TrueAsync(() => rig.Simulator.Logins >= 2, TimeSpan.FromSeconds(10), "the connector logged in again");
        await rig.WaitConnectedAsync("the room was re-entered");
        await rig.Simulator.SendAsync(RtmRig.Alice, RtmConversationType.Room, RtmRig.Room, "after restart");
        var posted = await rig.Sink.WaitForAsync<MessagePosted>(1);
        Assert.Equal("after restart", posted[0].Body.Text);
    }

    [Fact]
    public async Task Dispatch_which_names_the_gate()
    {
        await using var rig = await RtmRig.StartSimulatorAsync(output);
        rig.CreateConnector(o => o with { Endpoint = null, Dispatch = rig.Simulator.Url });
        rig.Run();
        await rig.WaitConnectedAsync("logged in through the dispatch");
        Assert.Contains(rig.Logging.Provider.Lines, l => l.Contains("(dispatch)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_proxy_form_wraps_every_outgoing_packet_with_the_gate_endpoint()
    {
        await using var rig = await RtmRig.StartSimulatorAsync(output);
        rig.CreateConnector(o => o with { Endpoint = new Uri("ws://gate.example:13321/service/websocket"), ProxyEndpoint = rig.Simulator.Url });
        rig.Run();
        await rig.WaitConnectedAsync("logged in through the proxy");
        var sent = await rig.Connector.SendAsync(rig.Outbound(EndpointKind.User, RtmRig.Alice, "via proxy"), CancellationToken.None);
        Assert.True(sent.Succeeded, sent.ToString());
        Assert.True(rig.Simulator.ProxyTargets.Count >= 3);
        Assert.All(rig.Simulator.ProxyTargets, t => Assert.Equal("gate.example:13321", t));
        Assert.Equal(
            "82a8" + Convert.ToHexStringLower("endpoint"u8) + "a3" + Convert.ToHexStringLower("h:1"u8) + "a4" + Convert.ToHexStringLower("data"u8) + "c40280ff",
            Convert.ToHexStringLower(ProxiedFrameConnection.Wrap("h:1", [0x80, 0xff])));
    }

    [Fact]
    public async Task Clean_shutdown_says_bye()
    {
        await using var rig = await RtmRig.StartAsync(output);
        await rig.StopConnectorAsync();
        Assert.Equal(SessionState.Stopped, rig.Connector.Status.State);
        await Eventually.TrueAsync(() => rig.Simulator.ConnectionCount(RtmRig.BridgeUid) == 0, TimeSpan.FromSeconds(5), "the gate closed the connection after bye");
        Assert.DoesNotContain(rig.Logging.Provider.Lines, l => l.Contains("goodbye failed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Malformed_packets_end_the_session_cleanly_and_it_recovers()
    {
        await using var rig = await RtmRig.StartAsync(output);
        foreach (var bad in new[]
        {
            Convert.FromHexString("504f5354010080010401000000010000007069"), // bad magic
            Convert.FromHexString("46504e4e0240010401000000010000007069"), // bad version
            Convert.FromHexString("46504e4e0140010401000000010000007069"), // JSON flag
            Convert.FromHexString("46504e4e01800104000000000100000070696e67"), // psize 0
            Convert.FromHexString("46504e4e018001040000f07f0100000070696e6780"), // psize beyond maxPacketBytes
            Convert.FromHexString("46504e4e0180010b0100000001000000" + Convert.ToHexStringLower("pushroommsg"u8) + "c1"), // payload is not msgpack
        })
        {
            var before = rig.Connector.Reconnects;
            await rig.Simulator.SendRawAsync(RtmRig.BridgeUid, bad);
            await Eventually.TrueAsync(() => rig.Connector.Reconnects > before, TimeSpan.FromSeconds(5), "the bad packet ended the session");
            await rig.WaitConnectedAsync("the connector recovered");
        }

        Assert.Contains(rig.Logging.Provider.Lines, l => l.Contains("bad magic", StringComparison.Ordinal));
        Assert.Contains(rig.Logging.Provider.Lines, l => l.Contains("JSON payloads", StringComparison.Ordinal));
        Assert.Contains(rig.Logging.Provider.Lines, l => l.Contains("exceeds the limit", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unknown_twoway_quests_get_20004_and_a_twoway_kickout_is_answered_and_still_a_kick()
    {
        await using var rig = await RtmRig.StartAsync(output);
        await rig.Simulator.PushAsync(RtmRig.BridgeUid, "pushfile");
        await Eventually.TrueAsync(() => rig.Simulator.ClientAnswers.Any(a => a.Method == "pushfile"), TimeSpan.FromSeconds(5), "pushfile was answered");
        Assert.Equal(1, rig.Simulator.ClientAnswers.Single(a => a.Method == "pushfile").Status);
        Assert.True(rig.Connector.Status.IsConnected);

        await rig.Simulator.PushAsync(RtmRig.BridgeUid, "kickout");
        await rig.WaitStateAsync(SessionState.Kicked);
        await Eventually.TrueAsync(() => rig.Simulator.ClientAnswers.Any(a => a.Method == "kickout" && a.Status == 0), TimeSpan.FromSeconds(5), "the twoway kickout was answered {}");
    }
}
