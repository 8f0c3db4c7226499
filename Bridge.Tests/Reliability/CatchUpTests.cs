using Bridge.Contracts.V1;
using Bridge.Host.Connectors;
using Bridge.Host.Demo;
using Bridge.Host.Demo.Backends;
using Bridge.Tests.Integration;
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
        var yaml = BackendMirror.Yaml(backend, loop);
        var loopback = LoopbackBackend.Get(loop);

        await using (var first = await BackendMirror.StartConnectedAsync(yaml, backend.Name, output))
        {
            await backend.SendAsync("before", CancellationToken.None);
            await Eventually.TrueAsync(() => loopback.Delivered.Count == 1, TimeSpan.FromSeconds(20), "the first message arrived");
            await Task.Delay(1500); // let the connector store its catch-up position
        }

        for (var i = 0; i < 3; i++)
        {
            await backend.SendAsync($"while-down-{i}", CancellationToken.None);
        }

        await using var second = await BackendMirror.StartConnectedAsync(yaml, backend.Name, output);
        await Eventually.TrueAsync(() => loopback.Delivered.Count >= 4, TimeSpan.FromSeconds(30), "the three messages sent during the downtime arrived");
        await Task.Delay(2000);

        Assert.Equal(["before", "while-down-0", "while-down-1", "while-down-2"], loopback.TextsIn("room/mirror"));
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
