using System.Net;
using Bridge.Connectors.ProtobufIm;
using Bridge.Connectors.ProtobufIm.Wire;
using Bridge.Contracts.V1;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.ProtobufIm;

/// <summary>The connector's session against the simulator over real sockets.</summary>
public sealed class ProtobufImSessionTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Bad_credentials_are_reported_and_the_connector_closes_the_socket_itself()
    {
        await using var rig = await ImRig.StartAsync(output);
        var connector = rig.Run(rig.Options(token: "not-a-valid-token"));
        await Eventually.TrueAsync(() => connector.Status.State == SessionState.BadCredentials, TimeSpan.FromSeconds(5), "bad credentials were reported");
        Assert.Contains("ERR_AUTH_FAILED", connector.Status.Reason, StringComparison.Ordinal);
        Assert.Contains("Invalid token", connector.Status.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("not-a-valid-token", string.Join('\n', rig.Logs.Lines), StringComparison.Ordinal);
        await Eventually.TrueAsync(() => rig.Simulator.ConnectionCount == 0, TimeSpan.FromSeconds(5), "the connector closed the socket the server left open");
        Assert.Equal(1, rig.Simulator.AuthFailures); // backs off long instead of retrying
    }

    [Fact]
    public async Task An_expired_jwt_is_bad_credentials_and_a_valid_one_connects()
    {
        await using var rig = await ImRig.StartAsync(output);
        var expired = rig.Run(rig.Options(token: rig.Simulator.CreateJwt(ImRig.Bridge, DateTimeOffset.UtcNow.AddMinutes(-1))));
        await Eventually.TrueAsync(() => expired.Status.State == SessionState.BadCredentials, TimeSpan.FromSeconds(5), "expired token refused");
        await rig.StopConnectorAsync();

        var valid = await rig.RunConnectedAsync(rig.Options(token: rig.Simulator.CreateJwt(ImRig.Bridge)));
        Assert.Equal(SessionState.Connected, valid.Status.State);
    }

    [Fact]
    public async Task A_second_login_that_takes_the_account_over_again_is_reported_as_kicked()
    {
        await using var rig = await ImRig.StartAsync(output);
        var connector = await rig.RunConnectedAsync();

        // Another client logs in as the bridge: the server aborts the bridge's socket without a frame.
        await using var rival = await ImRawClient.ConnectAsync(rig.Simulator.Url);
        await rival.AuthAsync(ImRig.Bridge, rig.Simulator.CreateUser(ImRig.Bridge));
        // First abrupt close: could be a network drop, so the connector reconnects (and takes the account back).
        await Eventually.TrueAsync(() => rig.Simulator.AuthSuccesses >= 3 && connector.Status.State == SessionState.Connected, TimeSpan.FromSeconds(5), "the connector reconnected once");
        Assert.Equal(1, connector.Reconnects);

        // The rival logs in again: a second abrupt takeover right after a successful login is a kick.
        await using var rival2 = await ImRawClient.ConnectAsync(rig.Simulator.Url);
        await rival2.AuthAsync(ImRig.Bridge, rig.Simulator.CreateUser(ImRig.Bridge));
        await Eventually.TrueAsync(() => connector.Status.State == SessionState.Kicked, TimeSpan.FromSeconds(5), "the kick was reported");
        Assert.Contains("another client", connector.Status.Reason, StringComparison.Ordinal);

        // Not fought: the rival keeps its session.
        var beat = await rival2.RequestAsync(CommandType.CmdHeartbeatReq, new HeartbeatRequest(), HeartbeatResponse.Parser);
        Assert.True(beat.ServerTime > 0);
        Assert.Equal(4, rig.Simulator.AuthSuccesses);
    }

    [Fact]
    public async Task A_kick_out_frame_from_a_newer_server_is_reported_as_kicked_at_once()
    {
        await using var rig = await ImRig.StartAsync(output, o => o.KickOutFrame = true);
        var connector = await rig.RunConnectedAsync();
        await using var rival = await ImRawClient.ConnectAsync(rig.Simulator.Url);
        await rival.AuthAsync(ImRig.Bridge, rig.Simulator.CreateUser(ImRig.Bridge));
        await Eventually.TrueAsync(() => connector.Status.State == SessionState.Kicked, TimeSpan.FromSeconds(5), "KICK_OUT was reported");
        Assert.Contains("KICK_OUT", connector.Status.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missed_heartbeat_reply_reconnects()
    {
        await using var rig = await ImRig.StartAsync(output);
        var connector = await rig.RunConnectedAsync(rig.Options() with { RequestTimeout = TimeSpan.FromSeconds(1), SilenceWindow = TimeSpan.FromSeconds(10) });
        rig.Simulator.Stall(ImRig.Bridge, true);
        await Eventually.TrueAsync(() => connector.Reconnects >= 1, TimeSpan.FromSeconds(5), "the heartbeat timeout ended the session");
        await Eventually.TrueAsync(() => connector.Status.State == SessionState.Connected && connector.CompletedCatchUps >= 2, TimeSpan.FromSeconds(5), "reconnected");
        Assert.Contains(rig.Logs.Lines, l => l.Contains("no heartbeat reply", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_stalled_server_trips_the_watchdog_and_the_session_recovers()
    {
        await using var rig = await ImRig.StartAsync(output);
        await using var proxy = new FaultProxy(new IPEndPoint(IPAddress.Loopback, rig.Simulator.Port));
        proxy.Start();
        var options = rig.Options(url: new Uri($"ws://127.0.0.1:{proxy.Port}/ws")) with
        {
            HeartbeatInterval = TimeSpan.FromMilliseconds(300),
            RequestTimeout = TimeSpan.FromSeconds(10), // the heartbeat timeout must not be what fires
            SilenceWindow = TimeSpan.FromSeconds(1.5),
        };
        var connector = rig.Run(options);
        await Eventually.TrueAsync(() => connector.CompletedCatchUps == 1, TimeSpan.FromSeconds(5), "connected through the proxy");
        proxy.Stall(true);
        await Eventually.TrueAsync(() => connector.Reconnects >= 1, TimeSpan.FromSeconds(5), "the silence watchdog fired");
        proxy.Stall(false);
        proxy.DropAll();
        await Eventually.TrueAsync(() => connector.Status.State == SessionState.Connected && connector.CompletedCatchUps >= 2, TimeSpan.FromSeconds(10), "reconnected after the stall");
        Assert.Contains(rig.Logs.Lines, l => l.Contains("nothing received", StringComparison.Ordinal));
    }

    /// <summary>
    /// A failed write aborts the connection on this side, and the pending read then fails. The read
    /// loop once took that for its own cancellation and returned without ending the session, which
    /// then heard nothing until the silence watchdog fired (75 s by default).
    /// </summary>
    [Fact]
    public async Task A_connection_aborted_on_this_side_ends_the_session_at_once_and_it_reconnects()
    {
        await using var rig = await ImRig.StartAsync(output);
        var options = rig.Options() with
        {
            HeartbeatInterval = TimeSpan.FromSeconds(60),
            RequestTimeout = TimeSpan.FromSeconds(30),
            SilenceWindow = TimeSpan.FromSeconds(60), // neither may be what ends the session
        };
        var connector = rig.Run(options);
        await Eventually.TrueAsync(() => connector.CompletedCatchUps == 1, TimeSpan.FromSeconds(5), "connected");

        connector.CurrentLink!.Connection.Abort();

        await Eventually.TrueAsync(() => connector.Reconnects >= 1 && connector.CompletedCatchUps >= 2 && connector.Status.State == SessionState.Connected, TimeSpan.FromSeconds(5), "the session ended and came back");
        Assert.Contains(rig.Logs.Lines, l => l.Contains("aborted on this side", StringComparison.Ordinal));
        Assert.DoesNotContain(rig.Logs.Lines, l => l.Contains("nothing received", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_server_restart_reconnects_and_messages_flow_again()
    {
        await using var rig = await ImRig.StartAsync(output);
        var connector = await rig.RunConnectedAsync();
        await rig.Simulator.RestartAsync();
        await Eventually.TrueAsync(() => connector.CompletedCatchUps >= 2 && connector.Status.State == SessionState.Connected, TimeSpan.FromSeconds(10), "reconnected after the restart");
        Assert.NotEqual(SessionState.Kicked, connector.Status.State);
        rig.Simulator.SendDirect("alice", ImRig.Bridge, "after restart");
        var posted = await rig.Sink.WaitForAsync<MessagePosted>(1);
        Assert.Equal("after restart", posted[0].Body.Text);
    }

    [Fact]
    public async Task Ten_thousand_random_and_mutated_frames_do_not_break_a_live_session()
    {
        await using var rig = await ImRig.StartAsync(output, o => o.WriteBufferFrames = 20_000);
        var connector = await rig.RunConnectedAsync(rig.Options() with { MaxInFlight = 4096 });
        var random = new Random(77);
        var seeds = new[]
        {
            ImCodec.Encode(CommandType.CmdPushMsg, 0, ProtobufImCodecTests.RandomPush(random), 1),
            ImCodec.Encode(CommandType.CmdSyncRsp, 3, new SyncResponse { HasMore = true, Messages = { ProtobufImCodecTests.RandomPush(random) } }, 1),
            ImCodec.Encode(CommandType.CmdRevokeMsgPush, 0, new RevokeMessagePush { MessageId = "1", ConversationId = "single_a_bridge" }, 1),
            ImCodec.Encode(CommandType.CmdTypingStatusPush, 0, new TypingStatusPush { ConversationId = "c", UserId = "u", Status = 1 }, 1),
            ImCodec.Encode(CommandType.CmdReadReceiptPush, 0, new ReadReceiptPush { MessageIds = { "1" }, UserId = "u" }, 1),
        };
        var sent = 0;
        for (var i = 0; sent < 10_000 && i < 20_000; i++)
        {
            var frame = i % 2 == 0 ? ProtobufImCodecTests.RandomBytes(random) : ProtobufImCodecTests.Mutate(random, seeds[random.Next(seeds.Length)]);
            if (ImCodec.TryDecode(frame, int.MaxValue, out var envelope, out _) && envelope.Command == CommandType.CmdKickOut)
            {
                continue; // a well-formed kick is not noise
            }

            var asText = i % 97 == 0; // text frames (valid UTF-8, as WebSocket requires) are ignored
            if (rig.Simulator.Inject(ImRig.Bridge, asText ? "{\"cmd\":1}"u8.ToArray() : frame, asText))
            {
                sent++;
            }
        }

        Assert.True(sent >= 10_000, $"only {sent} frames were injected");
        rig.Simulator.SendDirect("alice", ImRig.Bridge, "still alive");
        await Eventually.TrueAsync(() => rig.Sink.Posted.Any(p => p.Body.Text == "still alive"), TimeSpan.FromSeconds(20), "a real message got through after the noise");
        Assert.Equal(0, connector.Reconnects);
        Assert.Equal(SessionState.Connected, connector.Status.State);
    }
}
