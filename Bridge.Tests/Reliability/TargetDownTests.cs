using System.Diagnostics;
using Bridge.Host.Demo.Backends;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.Reliability;

/// <summary>
/// One target backend (the RTM server) is down for a minute while a stream from the Erlang
/// gateway flows to it and to protobuf-IM: protobuf-IM keeps getting everything during the
/// outage, RTM gets nothing, and when RTM is back every message waiting in its delivery queue
/// arrives exactly once, in order.
/// </summary>
[Trait("Category", "Reliability")]
public class TargetDownTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_target_down_for_a_minute_gets_its_messages_when_back_while_the_other_target_keeps_flowing()
    {
        var downFor = TimeSpan.FromSeconds(60);
        const int Before = 10, During = 30;
        await using var erl = new ErlangDemoBackend();
        await using var rtm = new RtmDemoBackend();
        await using var pbim = new ProtobufImDemoBackend();
        await erl.StartAsync(CancellationToken.None);
        await rtm.StartAsync(CancellationToken.None);
        await pbim.StartAsync(CancellationToken.None);
        var yaml = $$"""
            {{RabbitMqBroker.BusYaml($"down-{Guid.NewGuid():N}")}}
            store: { path: {{BridgeTestHost.TempDatabase()}} }
            health: { enabled: false }
            connectors:
              {{erl.Name}}: {{erl.ConnectorYaml}}
              {{rtm.Name}}: {{rtm.ConnectorYaml}}
              {{pbim.Name}}: {{pbim.ConnectorYaml}}
            routes:
              - from: [{{erl.Name}}: {{erl.MirrorEndpoint}}]
                to: [{{rtm.Name}}: {{rtm.MirrorEndpoint}}, {{pbim.Name}}: {{pbim.MirrorEndpoint}}]
                format: "{text}"
            """;
        await using var bridge = await BridgeTestHost.StartAsync(yaml, output);
        await Eventually.TrueAsync(() => erl.Simulator.IsOnline(900001) && rtm.Simulator.ConnectionCount(900001) > 0, TimeSpan.FromSeconds(30), "the connectors are connected");

        for (var i = 0; i < Before; i++)
        {
            await erl.SendAsync($"m{i:D2}", CancellationToken.None);
        }

        await Eventually.TrueAsync(() => rtm.Received().Count == Before && pbim.Received().Count == Before, TimeSpan.FromSeconds(30), "the first messages reached both targets");

        await rtm.Simulator.StopAsync();
        var outage = Stopwatch.StartNew();
        output.WriteLine($"RTM server stopped after {Before} messages reached both targets");
        var spacing = (downFor - TimeSpan.FromSeconds(5)) / During;
        for (var i = Before; i < Before + During; i++)
        {
            await erl.SendAsync($"m{i:D2}", CancellationToken.None);
            await Task.Delay(spacing);
        }

        await Eventually.TrueAsync(() => pbim.Received().Count == Before + During, TimeSpan.FromSeconds(30), "protobuf-IM got every message during the outage");
        var atRtmDuringOutage = rtm.Received().Count;
        if (outage.Elapsed < downFor)
        {
            await Task.Delay(downFor - outage.Elapsed);
        }

        await rtm.Simulator.StartAsync();
        output.WriteLine($"RTM server back after {outage.Elapsed.TotalSeconds:0.0} s; protobuf-IM had {pbim.Received().Count} during the outage, RTM {atRtmDuringOutage}");
        var back = Stopwatch.StartNew();
        await Eventually.TrueAsync(() => rtm.Received().Count >= Before + During, TimeSpan.FromSeconds(90), "RTM got the waiting messages once back");
        var caughtUp = back.Elapsed;
        await Task.Delay(2000);

        var atRtm = rtm.Received().Select(r => r.Text).ToList();
        var atPbim = pbim.Received().Select(r => r.Text).ToList();
        output.WriteLine($"RTM: {atRtm.Count} delivered ({atRtm.Distinct().Count()} distinct) {caughtUp.TotalSeconds:0.0} s after it came back; protobuf-IM: {atPbim.Count} ({atPbim.Distinct().Count()} distinct)");
        var expected = Enumerable.Range(0, Before + During).Select(i => $"m{i:D2}").ToList();
        Assert.Equal(Before, atRtmDuringOutage);
        Assert.Equal(expected, atPbim);
        Assert.Equal(expected, atRtm);
        var holding = bridge.Logs.Lines.Count(l => l.Contains($"{rtm.Name}:{rtm.MirrorEndpoint} is not connected; holding", StringComparison.Ordinal));
        output.WriteLine($"'holding' logged {holding} time(s) for RTM");
        Assert.InRange(holding, 1, During);
        Assert.DoesNotContain(bridge.Logs.Lines, l => l.Contains("failed: NotConnected", StringComparison.Ordinal));
        Assert.DoesNotContain(bridge.Logs.Lines, l => l.Contains("_error", StringComparison.Ordinal) || l.Contains("dead-letter", StringComparison.OrdinalIgnoreCase));
    }
}
