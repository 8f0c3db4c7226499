using System.Diagnostics;
using Bridge.Host.Demo.Backends;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.Reliability;

/// <summary>
/// The bridge runs as a real child process and is killed with SIGKILL while pushes are in flight
/// between receipt and acknowledgement; the restarted bridge relays every message exactly once.
/// </summary>
[Trait("Category", "Reliability")]
public class ProcessKillTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Killing_the_bridge_between_receipt_and_acknowledgement_loses_and_duplicates_nothing()
    {
        const int Total = 1000;
        await using var erl = new ErlangDemoBackend();
        await using var rtm = new RtmDemoBackend();
        await erl.StartAsync(CancellationToken.None);
        await rtm.StartAsync(CancellationToken.None);
        var directory = Directory.CreateTempSubdirectory("bridge-kill-");
        var config = Path.Combine(directory.FullName, "bridge.yaml");
        var healthPort = ChildBridge.FreePort();
        await File.WriteAllTextAsync(config, $$"""
            {{RabbitMqBroker.BusYaml($"kill-{Guid.NewGuid():N}")}}
            store: { path: {{Path.Combine(directory.FullName, "bridge.db")}} }
            health: { port: {{healthPort}} }
            connectors:
              {{erl.Name}}: {{erl.ConnectorYaml}}
              {{rtm.Name}}: {{rtm.ConnectorYaml}}
            routes:
              - from: [{{erl.Name}}: {{erl.MirrorEndpoint}}]
                to: [{{rtm.Name}}: {{rtm.MirrorEndpoint}}]
                format: "{text}"
            """);

        var first = await ChildBridge.StartAsync(config, healthPort, TimeSpan.FromSeconds(60));
        var clock = Stopwatch.StartNew();
        var sent = 0;
        var producer = Task.Run(async () =>
        {
            for (var i = 0; i < Total; i++)
            {
                await erl.SendAsync($"k{i:D4}", CancellationToken.None);
                Interlocked.Increment(ref sent);
                if (i % 20 == 19)
                {
                    await Task.Delay(5);
                }
            }
        });

        await Eventually.TrueAsync(() => rtm.Received().Count >= Total / 4, TimeSpan.FromSeconds(60), "a quarter of the stream arrived");
        var ackedAtKill = erl.Simulator.AcknowledgedBy(900001).Count;
        var sentAtKill = Volatile.Read(ref sent);
        first.Kill();
        output.WriteLine($"killed after {rtm.Received().Count} arrivals; {sentAtKill} sent, {ackedAtKill} acknowledged by the bridge");
        await producer;

        await using var second = await ChildBridge.StartAsync(config, healthPort, TimeSpan.FromSeconds(60));
        await Eventually.TrueAsync(() => rtm.Received().Count >= Total, TimeSpan.FromSeconds(120), "all messages arrived after the restart");
        await Task.Delay(2000);

        var texts = rtm.Received().Select(r => r.Text).ToList();
        output.WriteLine($"{Total} sent, {texts.Count} delivered, {texts.Distinct().Count()} distinct, {erl.Simulator.Resends} server resends, {clock.Elapsed.TotalSeconds:0.0} s");
        if (texts.Count != Total)
        {
            output.WriteLine(first.Output);
            output.WriteLine(second.Output);
        }

        Assert.True(sentAtKill > ackedAtKill, "some pushes were received but not yet acknowledged when the bridge was killed");
        Assert.Equal(Total, texts.Count);
        Assert.Equal(Enumerable.Range(0, Total).Select(i => $"k{i:D4}").ToHashSet(), texts.ToHashSet());
        directory.Delete(recursive: true);
    }
}
