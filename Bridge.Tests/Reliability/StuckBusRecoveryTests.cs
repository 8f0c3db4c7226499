using System.Net;
using Bridge.Tests.Infrastructure;
using Bridge.Tests.Infrastructure.Loopback;
using Xunit.Abstractions;

namespace Bridge.Tests.Reliability;

/// <summary>
/// The bus watchdog's remedy for a bus that stays down while the broker's port answers: the
/// bridge replaces its host in process (fresh bus, fresh sessions, same store) and relays on,
/// losing and duplicating nothing. A fault proxy in front of the broker accepts TCP connections
/// but passes no bytes, so to the watchdog the broker is up while the bus cannot use it.
/// </summary>
[Trait("Category", "Reliability")]
public class StuckBusRecoveryTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_bus_that_stays_down_while_the_broker_answers_is_replaced_in_process_and_nothing_is_lost()
    {
        await using var proxy = new FaultProxy(new IPEndPoint(IPAddress.Loopback, RabbitMqBroker.Port));
        proxy.Start();
        string a = $"a-{Guid.NewGuid():N}", b = $"b-{Guid.NewGuid():N}";
        var yaml = $$"""
            bus:
              transport: rabbitmq
              rabbitmq: { host: 127.0.0.1, port: {{proxy.Port}}, username: guest, password: guest }
              queuePrefix: stuck-{{Guid.NewGuid():N}}
              routePartitions: 2
              deliveryPartitions: 2
              recoveryWindow: 45s
              sendTimeout: 5s
            store: { path: {{BridgeTestHost.TempDatabase()}} }
            health: { enabled: false }
            {{BridgeTestHost.TwoLoopbackMirror(a, b, "format: \"{text}\"")}}
            """;
        await using var bridge = await BridgeTestHost.StartAsync(yaml, output);
        var alpha = LoopbackBackend.Get(a);
        var beta = LoopbackBackend.Get(b);

        for (var i = 0; i < 50; i++)
        {
            alpha.Post("room/1", "u", $"s{i:D3}");
        }

        await Eventually.TrueAsync(() => beta.Delivered.Count >= 50, TimeSpan.FromSeconds(30), "the first 50 were relayed");
        var firstHost = bridge.Host;

        // The broker's port accepts connections, yet no AMQP handshake ever completes.
        proxy.Stall(true);
        proxy.DropAll();
        for (var i = 50; i < 100; i++)
        {
            alpha.Post("room/1", "u", $"s{i:D3}");
        }

        await Eventually.TrueAsync(() => bridge.Logs.Lines.Any(l => l.Contains("Replacing the bridge host", StringComparison.Ordinal)), TimeSpan.FromSeconds(120), "the watchdog gave up on the bus and the runner began replacing the host");
        proxy.Stall(false);
        await Eventually.TrueAsync(() => beta.Delivered.Count >= 100 && alpha.Unacked == 0, TimeSpan.FromSeconds(120), "all 100 were delivered after the host was replaced");
        await Task.Delay(1000);

        var texts = beta.TextsIn("room/2");
        output.WriteLine($"host replaced {bridge.HostRestarts} time(s); {texts.Count} delivered, {texts.Distinct().Count()} distinct");
        Assert.Equal(1, bridge.HostRestarts);
        Assert.NotSame(firstHost, bridge.Host);
        Assert.Equal(100, texts.Count);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"s{i:D3}").ToHashSet(), texts.ToHashSet());
    }
}
