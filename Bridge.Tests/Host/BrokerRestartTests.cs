using Bridge.Tests.Infrastructure;
using Bridge.Tests.Infrastructure.Loopback;
using Xunit.Abstractions;

namespace Bridge.Tests.Host;

[CollectionDefinition("broker-restart", DisableParallelization = true)]
public sealed class BrokerRestartCollection;

/// <summary>Restarts the shared test broker, so it runs alone.</summary>
[Collection("broker-restart")]
[Trait("Category", "Integration")]
public class BrokerRestartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Restarting_the_broker_in_the_middle_of_1000_messages_delivers_all_exactly_once()
    {
        string a = $"a-{Guid.NewGuid():N}", b = $"b-{Guid.NewGuid():N}";
        var yaml = BridgeTestHost.TwoLoopbackYaml(a, b, routeExtra: "format: \"{text}\"");
        await using var bridge = await BridgeTestHost.StartAsync(yaml, output);
        var alpha = LoopbackBackend.Get(a);
        var beta = LoopbackBackend.Get(b);
        var started = DateTime.UtcNow;

        const int Total = 1000;
        var producer = Task.Run(async () =>
        {
            for (var i = 0; i < Total; i++)
            {
                alpha.Post("room/1", "u", $"m{i:D4}");
                if (i % 10 == 9)
                {
                    await Task.Delay(10);
                }
            }
        });

        await Eventually.TrueAsync(() => beta.Delivered.Count >= 200, TimeSpan.FromSeconds(30), "the stream is flowing");
        var before = beta.Delivered.Count;
        await RabbitMqBroker.RestartAsync(TimeSpan.FromSeconds(2));
        output.WriteLine($"broker restarted after {before} deliveries");
        await producer;
        await Eventually.TrueAsync(() => beta.Delivered.Count >= Total && alpha.Unacked == 0, TimeSpan.FromSeconds(240), "all 1000 were delivered and acknowledged");
        await Task.Delay(1000);

        var texts = beta.TextsIn("room/2");
        output.WriteLine($"delivered {texts.Count}, distinct {texts.Distinct().Count()}, in {(DateTime.UtcNow - started).TotalSeconds:0.0} s");
        Assert.Equal(Total, texts.Count);
        Assert.Equal(Enumerable.Range(0, Total).Select(i => $"m{i:D4}").ToHashSet(), texts.ToHashSet());
    }
}
