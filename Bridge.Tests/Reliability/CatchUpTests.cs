using Bridge.Contracts.V1;
using Bridge.Host.Connectors;
using Bridge.Host.Demo;
using Bridge.Host.Demo.Backends;
using Bridge.Tests.Infrastructure;
using Bridge.Tests.Infrastructure.Loopback;
using Xunit.Abstractions;

namespace Bridge.Tests.Reliability;

/// <summary>
/// Downtime catch-up through the whole bridge: with the bridge stopped, a user sends three
/// messages on a backend that keeps history or sync; when the bridge starts again (same store,
/// same queues) all three arrive at the other side exactly once, after what arrived before.
/// </summary>
[Trait("Category", "Reliability")]
public abstract class CatchUpTests(ITestOutputHelper output)
{
    protected abstract IDemoBackend CreateBackend();

    [Fact]
    public async Task Messages_sent_while_the_bridge_was_down_arrive_exactly_once_after_it_starts()
    {
        await using var backend = CreateBackend();
        await backend.StartAsync(CancellationToken.None);
        var loop = $"loop-{Guid.NewGuid():N}";
        var yaml = $$"""
            {{RabbitMqBroker.BusYaml($"t-{Guid.NewGuid():N}")}}
            store: { path: {{BridgeTestHost.TempDatabase()}} }
            health: { enabled: false }
            connectors:
              {{backend.Name}}: {{backend.ConnectorYaml}}
              loop: { type: loopback, backend: {{loop}} }
            routes:
              - mirror: [{{backend.Name}}: {{backend.MirrorEndpoint}}, loop: room/mirror]
                format: "{text}"
            """;
        var loopback = LoopbackBackend.Get(loop);

        await using (var first = await StartConnectedAsync(yaml, backend.Name))
        {
            await backend.SendAsync("before", CancellationToken.None);
            await Eventually.TrueAsync(() => loopback.Delivered.Count == 1, TimeSpan.FromSeconds(20), "the first message arrived");
            await Task.Delay(1500); // let the connector store its catch-up position
        }

        for (var i = 0; i < 3; i++)
        {
            await backend.SendAsync($"while-down-{i}", CancellationToken.None);
        }

        await using var second = await StartConnectedAsync(yaml, backend.Name);
        await Eventually.TrueAsync(() => loopback.Delivered.Count >= 4, TimeSpan.FromSeconds(30), "the three messages sent during the downtime arrived");
        await Task.Delay(2000);

        Assert.Equal(["before", "while-down-0", "while-down-1", "while-down-2"], loopback.TextsIn("room/mirror"));
    }

    private async Task<BridgeTestHost> StartConnectedAsync(string yaml, string connector)
    {
        var host = await BridgeTestHost.StartAsync(yaml, output);
        var c = host.Service<ConnectorRegistry>().Find(connector)!;
        await Eventually.TrueAsync(() => c.Status.State == SessionState.Connected, TimeSpan.FromSeconds(20), $"{connector} connected");
        return host;
    }
}

public sealed class RtmCatchUpTests(ITestOutputHelper output) : CatchUpTests(output)
{
    protected override IDemoBackend CreateBackend() => new RtmDemoBackend();
}

public sealed class ProtobufImCatchUpTests(ITestOutputHelper output) : CatchUpTests(output)
{
    protected override IDemoBackend CreateBackend() => new ProtobufImDemoBackend();
}

public sealed class XnestCatchUpTests(ITestOutputHelper output) : CatchUpTests(output)
{
    protected override IDemoBackend CreateBackend() => new XnestDemoBackend();
}
