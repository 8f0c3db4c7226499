using System.Diagnostics;
using Bridge.Host.Demo.Backends;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.Reliability;

/// <summary>
/// The broker is stopped and started (2 s down, durable queues kept) in the middle of 5,000
/// messages from the Erlang gateway to RTM. The bridge runs as a child process under a minimal
/// supervisor (the test restarts it if it exits, as Docker or systemd would). After a broker
/// restart MassTransit can leave a receive endpoint stopped or its sends unconfirmed; the bus
/// watchdog then has the bridge replace its host in process (window 45 s here, the minimum,
/// instead of the default 120 s), and only three failed replacements in a row end it with exit 70.
/// Every message arrives exactly once. Restarts the shared broker, so it runs alone.
/// </summary>
[Collection("broker-restart")]
[Trait("Category", "Reliability")]
public class BrokerRestartChildTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Restarting_the_broker_in_the_middle_of_5000_messages_delivers_all_exactly_once()
    {
        const int Total = 5000;
        await using var erl = new ErlangDemoBackend();
        await using var rtm = new RtmDemoBackend();
        await erl.StartAsync(CancellationToken.None);
        await rtm.StartAsync(CancellationToken.None);
        var directory = Directory.CreateTempSubdirectory("bridge-broker-");
        var config = Path.Combine(directory.FullName, "bridge.yaml");
        var healthPort = ChildBridge.FreePort();
        await File.WriteAllTextAsync(config, $$"""
            {{RabbitMqBroker.BusYaml($"brk-{Guid.NewGuid():N}")}}
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

        var bridge = await ChildBridge.StartAsync(config, healthPort, TimeSpan.FromSeconds(60));
        var exits = new List<int>();
        var outputs = new List<string>();
        using var stopSupervisor = new CancellationTokenSource();
        var supervisor = Task.Run(async () =>
        {
            while (!stopSupervisor.IsCancellationRequested)
            {
                await Task.Delay(500);
                if (bridge.HasExited && !stopSupervisor.IsCancellationRequested)
                {
                    exits.Add(bridge.ExitCode);
                    outputs.Add(bridge.Output);
                    await bridge.DisposeAsync();
                    bridge = await ChildBridge.StartAsync(config, healthPort, TimeSpan.FromSeconds(120));
                }
            }
        });

        var clock = Stopwatch.StartNew();
        var producer = Task.Run(async () =>
        {
            for (var i = 0; i < Total; i++)
            {
                await erl.SendAsync($"b{i:D4}", CancellationToken.None);
                if (i % 20 == 19)
                {
                    await Task.Delay(5);
                }
            }
        });

        await Eventually.TrueAsync(() => rtm.Received().Count >= Total / 5, TimeSpan.FromSeconds(90), "a fifth of the stream arrived");
        var before = rtm.Received().Count;
        await RabbitMqBroker.RestartAsync(TimeSpan.FromSeconds(2));
        output.WriteLine($"broker restarted after {before} deliveries ({clock.Elapsed.TotalSeconds:0.0} s)");
        await producer;
        try
        {
            await Eventually.TrueAsync(() => rtm.Received().Count >= Total, TimeSpan.FromSeconds(120), $"all {Total} arrived");
        }
        catch (Exception) when (Dump())
        {
            throw;
        }

        bool Dump()
        {
            // Show why before failing: what arrived, what the bridge (and any earlier instance) said.
            output.WriteLine($"{rtm.Received().Count} of {Total} arrived; supervisor restarts {exits.Count} (exit codes: {string.Join(", ", exits)}); " +
                $"Erlang: {erl.Simulator.AcknowledgedBy(900001).Count} acknowledged, online {erl.Simulator.IsOnline(900001)}; RTM connections {rtm.Simulator.ConnectionCount(900001)}");
            outputs.ForEach(output.WriteLine);
            output.WriteLine(bridge.Output);
            return false;
        }
        await Task.Delay(3000);
        await stopSupervisor.CancelAsync();
        await supervisor;

        var texts = rtm.Received().Select(r => r.Text).ToList();
        output.WriteLine($"{Total} sent, {texts.Count} delivered, {texts.Distinct().Count()} distinct, {erl.Simulator.Resends} server resends dropped; " +
            $"bridge restarts by the supervisor: {exits.Count} (exit codes: {string.Join(", ", exits)}); {clock.Elapsed.TotalSeconds:0.0} s");
        if (texts.Count != Total)
        {
            outputs.ForEach(output.WriteLine);
            output.WriteLine(bridge.Output);
        }

        await bridge.DisposeAsync();
        Assert.All(exits, code => Assert.Equal(70, code)); // only the watchdog's deliberate exit, never a crash
        Assert.Equal(Total, texts.Count);
        Assert.Equal(Enumerable.Range(0, Total).Select(i => $"b{i:D4}").ToHashSet(), texts.ToHashSet());
        directory.Delete(recursive: true);
    }
}
