// Expected sequences read best inline; these tests run once each.
#pragma warning disable CA1861
using System.Diagnostics;
using System.Net.WebSockets;
using Bridge.Connectors.Transport;
using Bridge.Contracts.V1;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.Transport;

public class SessionSupervisorTests(ITestOutputHelper output)
{
    /// <summary>Millisecond-scale transient backoff without jitter; long bad-credentials and kick delays.</summary>
    internal static readonly ReconnectPolicy Fast = new()
    {
        InitialDelay = TimeSpan.FromMilliseconds(20),
        MaxDelay = TimeSpan.FromMilliseconds(200),
        Multiplier = 2,
        Jitter = 0,
        BadCredentialsDelay = TimeSpan.FromSeconds(30),
        BadCredentialsMaxDelay = TimeSpan.FromMinutes(2),
        KickedDelay = TimeSpan.FromSeconds(30),
        StableAfter = TimeSpan.FromSeconds(30),
        ShutdownTimeout = TimeSpan.FromSeconds(10),
    };

    [Fact]
    public async Task Connection_refused_retries_with_growing_delays_and_connects_once_the_server_appears()
    {
        await using var rig = await SupervisorRig.CreateAsync(Fast, output, startServer: false);
        rig.Start();

        await rig.WaitForAsync(SessionState.TransientDisconnect, 5);
        Assert.Equal(new[] { 20, 40, 80, 160, 200 }, await rig.DelaysAsync(5));
        Assert.All(rig.History.Where(h => h.Status.State == SessionState.TransientDisconnect), h => Assert.StartsWith("connect failed", h.Status.Reason, StringComparison.Ordinal));
        Assert.Null(rig.Supervisor.Current);
        Assert.Equal(0, rig.Handler.Sessions);

        await rig.Server.StartAsync();

        await rig.WaitForAsync(SessionState.Connected);
        Assert.NotNull(rig.Supervisor.Current);
        Assert.Equal(1, rig.Backend.Connections);
        AssertCurrentOnlyWhileConnected(rig);
    }

    [Fact]
    public async Task Drop_mid_frame_is_a_transient_disconnect_then_connected_again()
    {
        await using var rig = await SupervisorRig.CreateAsync(Fast, output, useProxy: true);
        rig.Start();
        await rig.WaitForAsync(SessionState.Connected);

        rig.Proxy!.DropMidFrame(3); // the next tick arrives as 3 bytes of a frame, then end of stream

        await rig.WaitForAsync(SessionState.Connected, 2);
        Assert.Equal(
            new[] { SessionState.Connecting, SessionState.Connected, SessionState.TransientDisconnect, SessionState.Connecting, SessionState.Connected },
            rig.States.Take(5));
        Assert.Equal(2, rig.Backend.Connections);
        Assert.Equal(1, rig.Supervisor.Reconnects);
        AssertCurrentOnlyWhileConnected(rig);
    }

    [Fact]
    public async Task A_stalled_connection_fires_the_silence_watchdog_and_reconnects()
    {
        await using var rig = await SupervisorRig.CreateAsync(Fast with { SilenceWindow = TimeSpan.FromMilliseconds(700) }, output, useProxy: true);
        rig.Start();
        await rig.WaitForAsync(SessionState.Connected);

        // Counted from here: on a busy machine a slow first connect may already have tripped the watchdog once.
        var connected = rig.Count(SessionState.Connected);
        var drops = rig.Count(SessionState.TransientDisconnect);
        rig.Proxy!.Stall(true);
        await rig.WaitForAsync(SessionState.TransientDisconnect, drops + 1);
        var reason = rig.History.Last(h => h.Status.State == SessionState.TransientDisconnect).Status.Reason;
        Assert.Contains("nothing received", reason, StringComparison.Ordinal);
        rig.Proxy.Stall(false);

        await rig.WaitForAsync(SessionState.Connected, connected + 1);
        Assert.Contains(rig.Logs.Lines, l => l.Contains("watchdog: nothing received", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_keepalive_watchdog_fires_when_keepalives_stop_though_traffic_flows()
    {
        await using var rig = await SupervisorRig.CreateAsync(Fast with { KeepaliveWindow = TimeSpan.FromSeconds(1) }, output);
        rig.Start();
        await rig.WaitForAsync(SessionState.Connected);

        // Control: while ticks count as keepalives, a few windows pass without a reconnect.
        await Task.Delay(2500);
        Assert.Equal(0, rig.Count(SessionState.TransientDisconnect));

        rig.Handler.TickIsKeepalive = false; // ticks keep flowing, but the keepalive is never seen
        await rig.WaitForAsync(SessionState.TransientDisconnect);
        Assert.Contains("no keepalive", rig.History.First(h => h.Status.State == SessionState.TransientDisconnect).Status.Reason, StringComparison.Ordinal);

        rig.Handler.TickIsKeepalive = true;
        await rig.WaitForAsync(SessionState.Connected, 2);
    }

    [Fact]
    public async Task A_server_restart_reconnects_on_the_same_port()
    {
        await using var rig = await SupervisorRig.CreateAsync(Fast, output);
        rig.Start();
        await rig.WaitForAsync(SessionState.Connected);

        await rig.Server.RestartAsync();

        await rig.WaitForAsync(SessionState.Connected, 2);
        Assert.Equal(new[] { SessionState.Connecting, SessionState.Connected, SessionState.TransientDisconnect, SessionState.Connecting }, rig.States.Take(4));
        Assert.Equal(2, rig.Backend.Connections);
        Assert.NotNull(rig.Supervisor.Current);
        AssertCurrentOnlyWhileConnected(rig);
    }

    [Fact]
    public async Task Bad_credentials_back_off_long_doubling_and_recover_once_fixed()
    {
        var policy = Fast with { BadCredentialsDelay = TimeSpan.FromMilliseconds(300), BadCredentialsMaxDelay = TimeSpan.FromMilliseconds(1200) };
        await using var rig = await SupervisorRig.CreateAsync(policy, output);
        rig.Handler.Password = "wrong";
        rig.Start();

        await rig.WaitForAsync(SessionState.BadCredentials, 3);
        Assert.Equal(new[] { 300, 600, 1200 }, await rig.DelaysAsync(3));
        Assert.Equal(3, rig.Backend.Connections); // no attempts in between: the long delay is really waited
        Assert.All(rig.History.Where(h => h.Status.State == SessionState.BadCredentials), h => Assert.Equal("server said: denied", h.Status.Reason));
        Assert.DoesNotContain(SessionState.Connected, rig.States);

        rig.Handler.Password = "secret";
        await rig.WaitForAsync(SessionState.Connected);
        AssertCurrentOnlyWhileConnected(rig);
    }

    [Fact]
    public async Task A_kick_reports_Kicked_and_waits_the_long_kick_delay_and_stop_interrupts_it()
    {
        await using var rig = await SupervisorRig.CreateAsync(Fast, output);
        rig.Start();
        await rig.WaitForAsync(SessionState.Connected);

        await rig.Backend.KickAllAsync();

        await rig.WaitForAsync(SessionState.Kicked);
        Assert.Equal("another login took the account", rig.Supervisor.Status.Reason);
        Assert.Equal(30_000, Assert.Single(await rig.DelaysAsync(1)));
        Assert.Equal(1, rig.Backend.Connections);
        Assert.Null(rig.Supervisor.Current);

        var stopwatch = Stopwatch.StartNew();
        await rig.StopAsync();
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), "stop should cut the kick delay short");
        Assert.Equal(SessionState.Stopped, rig.Supervisor.Status.State);
        Assert.Equal(1, rig.Backend.Connections);
        Assert.Equal(0, rig.Handler.Goodbyes);
    }

    [Fact]
    public async Task Clean_shutdown_says_goodbye_closes_gracefully_and_reports_Stopped()
    {
        await using var rig = await SupervisorRig.CreateAsync(Fast, output);
        rig.Start();
        await rig.WaitForAsync(SessionState.Connected);

        var stopwatch = Stopwatch.StartNew();
        await rig.StopAsync();

        // The close handshake completed (the handler saw the server's close) long before the timeout.
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"shutdown took {stopwatch.Elapsed}");
        Assert.Equal(1, rig.Handler.Goodbyes);
        await Eventually.TrueAsync(() => rig.Backend.Closes.Count == 1, SupervisorRig.Wait, "the server saw the client's close frame");
        Assert.Equal((WebSocketCloseStatus.NormalClosure, "bridge shutting down"), rig.Backend.Closes[0]);
        Assert.Equal(new[] { "bye" }, rig.Backend.Received);
        Assert.Equal(new[] { SessionState.Connecting, SessionState.Connected, SessionState.Stopped }, rig.States);
        Assert.Null(rig.Supervisor.Current);
        AssertCurrentOnlyWhileConnected(rig);
    }

    [Fact]
    public async Task Backoff_resets_after_a_stable_session_but_not_after_a_short_one()
    {
        var policy = Fast with { MaxDelay = TimeSpan.FromSeconds(5), StableAfter = TimeSpan.FromSeconds(2) };
        await using var rig = await SupervisorRig.CreateAsync(policy, output, useProxy: true);
        rig.Proxy!.Refuse(true);
        rig.Start();
        await rig.WaitForAsync(SessionState.TransientDisconnect, 3);
        rig.Proxy.Refuse(false);
        await rig.WaitForAsync(SessionState.Connected);

        rig.Proxy.DropAll(); // a short session: the backoff keeps growing
        await rig.WaitForAsync(SessionState.Connected, 2);
        await Task.Delay(policy.StableAfter + TimeSpan.FromMilliseconds(500));
        rig.Proxy.DropAll(); // after a stable session: back to the initial delay
        await rig.WaitForAsync(SessionState.Connected, 3);

        // Refused attempts before the first session (at least 3; a slow test may see one more).
        var refused = rig.States.TakeWhile(s => s != SessionState.Connected).Count(s => s == SessionState.TransientDisconnect);
        var expected = Enumerable.Range(0, refused).Select(i => 20 << i).Append(20 << refused).Append(20);
        Assert.Equal(expected, await rig.DelaysAsync(refused + 2));
    }

    [Fact]
    public async Task Stopping_while_authenticating_never_reports_Connected_and_skips_the_goodbye()
    {
        await using var rig = await SupervisorRig.CreateAsync(Fast, output);
        rig.Backend.AuthDelay = TimeSpan.FromMilliseconds(500); // "ok" arrives after the stop began
        rig.Start();
        await Eventually.TrueAsync(() => rig.Backend.Connections == 1, SupervisorRig.Wait, "the server accepted the connection");

        await rig.StopAsync();

        Assert.Equal(new[] { SessionState.Connecting, SessionState.Stopped }, rig.States);
        Assert.Equal(0, rig.Handler.Goodbyes);
        Assert.Null(rig.Supervisor.Current);
    }

    [Fact]
    public async Task A_goodbye_that_throws_still_stops_cleanly()
    {
        await using var rig = await SupervisorRig.CreateAsync(Fast, output);
        rig.Handler.GoodbyeFailure = new InvalidOperationException("goodbye bug");
        rig.Start();
        await rig.WaitForAsync(SessionState.Connected);

        await rig.StopAsync();

        Assert.Equal(SessionState.Stopped, rig.Supervisor.Status.State);
        Assert.Equal(1, rig.Handler.Goodbyes);
        Assert.Contains(rig.Logs.Lines, l => l.Contains("goodbye failed: goodbye bug", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_throwing_StatusChanged_subscriber_does_not_break_the_session_loop()
    {
        await using var rig = await SupervisorRig.CreateAsync(Fast, output);
        rig.Supervisor.StatusChanged += _ => throw new InvalidOperationException("subscriber bug");
        rig.Start();

        await rig.WaitForAsync(SessionState.Connected);
        await rig.StopAsync();
        Assert.Equal(SessionState.Stopped, rig.Supervisor.Status.State);
    }

    [Fact]
    public async Task RunAsync_refuses_to_run_twice_at_once()
    {
        await using var rig = await SupervisorRig.CreateAsync(Fast, output);
        rig.Start();
        await rig.WaitForAsync(SessionState.Connected);

        await Assert.ThrowsAsync<InvalidOperationException>(() => rig.Supervisor.RunAsync(CancellationToken.None));
        Assert.Equal(SessionState.Connected, rig.Supervisor.Status.State);
    }

    private static void AssertCurrentOnlyWhileConnected(SupervisorRig rig) =>
        Assert.All(rig.History, h => Assert.Equal(h.Status.State == SessionState.Connected, h.HasCurrent));
}

public class SessionSupervisorConnectStepTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_connect_step_that_throws_SessionEndException_uses_its_outcome()
    {
        var time = new RecordingTimeProvider();
        var policy = new ReconnectPolicy { InitialDelay = TimeSpan.FromMilliseconds(10), BadCredentialsDelay = TimeSpan.FromSeconds(30), Jitter = 0 };
        var attempts = 0;
        using var loggers = TestLoggerProvider.Factory(output, out _);
        var supervisor = new SessionSupervisor(
            "login-first",
            "http://127.0.0.1/login",
            _ =>
            {
                Interlocked.Increment(ref attempts);
                throw new SessionEndException(SessionEnd.BadCredentials("login refused: wrong password"));
            },
            new ScriptedHandler(),
            policy,
            loggers.CreateLogger("SessionSupervisor"),
            time);
        using var stop = new CancellationTokenSource();
        var running = supervisor.RunAsync(stop.Token);

        await Eventually.TrueAsync(() => supervisor.Status.State == SessionState.BadCredentials, TimeSpan.FromSeconds(15), "bad credentials were reported");
        Assert.Equal("login refused: wrong password", supervisor.Status.Reason);
        await Eventually.TrueAsync(() => time.Delays.Count == 1, TimeSpan.FromSeconds(15), "the backoff delay was started");
        Assert.Equal(TimeSpan.FromSeconds(30), time.Delays.Single());
        Assert.Equal(1, Volatile.Read(ref attempts));

        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(SessionState.Stopped, supervisor.Status.State);
    }
}
