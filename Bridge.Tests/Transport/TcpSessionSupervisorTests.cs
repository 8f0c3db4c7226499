using Bridge.Connectors.Transport;
using Bridge.Contracts.V1;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.Transport;

/// <summary>The supervisor over length-prefixed TCP, with faults injected by <see cref="FaultProxy"/>.</summary>
public class TcpSessionSupervisorTests(ITestOutputHelper output)
{
    private static readonly ReconnectPolicy Fast = SessionSupervisorTests.Fast;

    [Fact]
    public async Task A_drop_mid_frame_ends_the_session_with_a_clear_reason_and_it_reconnects()
    {
        await using var rig = SupervisorRig.CreateTcp(Fast, output);
        rig.Start();
        await rig.WaitForAsync(SessionState.Connected);

        rig.Proxy!.DropMidFrame(6); // the next tick: its 4-byte length and 2 of its 4 payload bytes

        await rig.WaitForAsync(SessionState.Connected, 2);
        var drop = rig.History.First(h => h.Status.State == SessionState.TransientDisconnect).Status;
        Assert.Contains("middle of a frame (2 of 4 payload bytes)", drop.Reason, StringComparison.Ordinal);
        Assert.Equal(2, rig.TcpBackend.Connections);
    }

    [Fact]
    public async Task A_stall_fires_the_silence_watchdog_and_the_session_recovers()
    {
        await using var rig = SupervisorRig.CreateTcp(Fast with { SilenceWindow = TimeSpan.FromMilliseconds(700) }, output);
        rig.Start();
        await rig.WaitForAsync(SessionState.Connected);

        // Counted from here: on a busy machine a slow first connect may already have tripped the watchdog once.
        var connected = rig.Count(SessionState.Connected);
        var drops = rig.Count(SessionState.TransientDisconnect);
        rig.Proxy!.Stall(true);
        await rig.WaitForAsync(SessionState.TransientDisconnect, drops + 1);
        rig.Proxy.Stall(false);

        await rig.WaitForAsync(SessionState.Connected, connected + 1);
        Assert.Contains("nothing received", rig.History.Last(h => h.Status.State == SessionState.TransientDisconnect).Status.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refused_connections_are_retried_until_the_proxy_accepts_again()
    {
        await using var rig = SupervisorRig.CreateTcp(Fast, output);
        rig.Proxy!.Refuse(true);
        rig.Start();
        await rig.WaitForAsync(SessionState.TransientDisconnect, 3);
        Assert.Equal(0, rig.TcpBackend.Connections);

        rig.Proxy.Refuse(false);

        await rig.WaitForAsync(SessionState.Connected);
        Assert.Equal(1, rig.TcpBackend.Connections);
    }

    [Fact]
    public async Task Clean_shutdown_sends_the_goodbye_frame_then_ends_the_stream()
    {
        await using var rig = SupervisorRig.CreateTcp(Fast, output);
        rig.Start();
        await rig.WaitForAsync(SessionState.Connected);

        await rig.StopAsync();

        Assert.Equal(1, rig.Handler.Goodbyes);
        await Eventually.TrueAsync(() => rig.TcpBackend.CleanEnds == 1, SupervisorRig.Wait, "the server saw the stream end at a frame boundary");
        Assert.Equal("bye", Assert.Single(rig.TcpBackend.Received));
        Assert.Equal(SessionState.Stopped, rig.Supervisor.Status.State);
        Assert.Null(rig.Supervisor.Current);
    }
}
