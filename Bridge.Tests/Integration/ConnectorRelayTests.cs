using Bridge.Connectors.Abstractions;
using Bridge.Contracts.V1;
using Bridge.Host.Connectors;
using Bridge.Host.Demo;
using Bridge.Host.Demo.Backends;
using Bridge.Tests.Infrastructure;
using Bridge.Tests.Infrastructure.Loopback;
using Xunit.Abstractions;

namespace Bridge.Tests.Integration;

/// <summary>
/// One backend's real connector and simulator mirrored with a loopback endpoint through the real
/// RabbitMQ test broker: messages both ways, exactly once, in order, and nothing echoes back.
/// </summary>
[Trait("Category", "Integration")]
public abstract class ConnectorRelayTests(ITestOutputHelper output)
{
    private const int Count = 30;

    protected abstract IDemoBackend CreateBackend();

    [Fact]
    public async Task Messages_flow_both_ways_through_RabbitMQ_exactly_once_in_order_without_echoes()
    {
        await using var backend = CreateBackend();
        await backend.StartAsync(CancellationToken.None);
        var loop = $"loop-{Guid.NewGuid():N}";
        await using var bridge = await BackendMirror.StartConnectedAsync(BackendMirror.Yaml(backend, loop), backend.Name, output);
        var loopback = LoopbackBackend.Get(loop);

        for (var i = 0; i < Count; i++)
        {
            await backend.SendAsync($"in-{i:D2}", CancellationToken.None);
        }

        await Eventually.TrueAsync(() => loopback.Delivered.Count >= Count, TimeSpan.FromSeconds(30), $"{Count} messages from {backend.Name} reached the loopback");

        for (var i = 0; i < Count; i++)
        {
            loopback.Post("room/mirror", "l-user", $"out-{i:D2}", senderName: "Lou");
        }

        await Eventually.TrueAsync(() => Texts(backend, "out-").Count >= Count, TimeSpan.FromSeconds(30), $"{Count} messages from the loopback reached {backend.Name}");
        await Task.Delay(1500);

        Assert.Equal(Expected("in-"), loopback.TextsIn("room/mirror"));
        Assert.Equal(Expected("out-"), Texts(backend, "out-"));
        Assert.DoesNotContain(backend.Received(), r => r.Text.StartsWith("in-", StringComparison.Ordinal));
        Assert.Equal(0, loopback.Unacked);
    }

    private static List<string> Texts(IDemoBackend backend, string prefix) =>
        backend.Received().Select(r => r.Text).Where(t => t.StartsWith(prefix, StringComparison.Ordinal)).ToList();

    private static IEnumerable<string> Expected(string prefix) => Enumerable.Range(0, Count).Select(i => $"{prefix}{i:D2}");
}

public sealed class GlideRelayTests(ITestOutputHelper output) : ConnectorRelayTests(output)
{
    protected override IDemoBackend CreateBackend() => new GlideDemoBackend();
}

public sealed class ProtobufImRelayTests(ITestOutputHelper output) : ConnectorRelayTests(output)
{
    protected override IDemoBackend CreateBackend() => new ProtobufImDemoBackend();
}

public sealed class XnestRelayTests(ITestOutputHelper output) : ConnectorRelayTests(output)
{
    protected override IDemoBackend CreateBackend() => new XnestDemoBackend();
}

public sealed class ErlangGatewayRelayTests(ITestOutputHelper output) : ConnectorRelayTests(output)
{
    protected override IDemoBackend CreateBackend() => new ErlangDemoBackend();
}

public sealed class RtmRelayTests(ITestOutputHelper output) : ConnectorRelayTests(output)
{
    protected override IDemoBackend CreateBackend() => new RtmDemoBackend();
}
