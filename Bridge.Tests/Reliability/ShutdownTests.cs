using Bridge.Host.Demo.Backends;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.Reliability;

/// <summary>A container stop (SIGTERM) shuts the bridge down cleanly: goodbyes said, exit code 0.</summary>
[Trait("Category", "Reliability")]
public class ShutdownTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Sigterm_stops_the_bridge_cleanly_with_exit_code_zero_and_the_connectors_say_goodbye()
    {
        await using var erl = new ErlangDemoBackend();
        await using var xnest = new XnestDemoBackend();
        await erl.StartAsync(CancellationToken.None);
        await xnest.StartAsync(CancellationToken.None);
        var directory = Directory.CreateTempSubdirectory("bridge-term-");
        var config = Path.Combine(directory.FullName, "bridge.yaml");
        var healthPort = ChildBridge.FreePort();
        await File.WriteAllTextAsync(config, $$"""
            {{RabbitMqBroker.BusYaml($"term-{Guid.NewGuid():N}")}}
            store: { path: {{Path.Combine(directory.FullName, "bridge.db")}} }
            health: { port: {{healthPort}} }
            connectors:
              {{erl.Name}}: {{erl.ConnectorYaml}}
              {{xnest.Name}}: {{xnest.ConnectorYaml}}
            routes:
              - mirror: [{{erl.Name}}: {{erl.MirrorEndpoint}}, {{xnest.Name}}: {{xnest.MirrorEndpoint}}]
            """);

        await using var bridge = await ChildBridge.StartAsync(config, healthPort, TimeSpan.FromSeconds(60));
        var exit = await bridge.TerminateAsync(TimeSpan.FromSeconds(30));
        output.WriteLine(bridge.Output);

        Assert.Equal(0, exit);
        Assert.Equal(1, erl.Simulator.ClientDisconnects);
        Assert.DoesNotContain("Unhandled exception", bridge.Output, StringComparison.Ordinal);
        directory.Delete(recursive: true);
    }
}
