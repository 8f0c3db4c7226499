using Bridge.Connectors.Rtm;
using Bridge.Contracts.V1;
using Bridge.Simulators.Rtm;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.Rtm;

/// <summary>wss: the connector talks TLS to a gate (here a TLS terminator in front of the simulator).</summary>
public sealed class RtmTlsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Logs_in_and_relays_over_wss()
    {
        await using var rig = await RtmRig.StartSimulatorAsync(output, new RtmSimulatorOptions { PingInterval = null });
        await using var terminator = new TlsTerminator(rig.Simulator.Port);
        rig.CreateConnector(o => o with
        {
            Endpoint = new Uri($"wss://127.0.0.1:{terminator.Port}/service/websocket"),
            AllowUntrustedCertificate = true,
        });
        rig.Run();
        await rig.WaitConnectedAsync("logged in over wss");
        await rig.Simulator.SendAsync(RtmRig.Alice, RtmConversationType.Room, RtmRig.Room, "over tls");
        Assert.Equal("over tls", (await rig.Sink.WaitForAsync<MessagePosted>(1))[0].Body.Text);
        Assert.True(terminator.Handshakes >= 1);
    }
}
