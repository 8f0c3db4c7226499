using Bridge.Tests.Infrastructure;
using Bridge.Tests.Infrastructure.Loopback;
using Xunit.Abstractions;

namespace Bridge.Tests.Host;

[CollectionDefinition("broker-restart", DisableParallelization = true)]
public sealed class BrokerRestartCollection;

/// <summary>
/// Restarts the shared test broker (stop, 2 s down, start; durable queues kept) in the middle of a
/// relayed stream: every message is delivered exactly once. Restarts the broker, so it runs alone.
/// </summary>
[Collection("broker-restart")]
public class BrokerRestartTests(ITestOutputHelper output)
{
    // The 5,000-message version runs the bridge as a supervised child process: Reliability/BrokerRestartChildTests.
    [Fact]
    [Trait("Category", "Integration")]
    public Task Restarting_the_broker_in_the_middle_of_1000_messages_delivers_all_exactly_once() => RestartMidStreamAsync(1000);

    private async Task RestartMidStreamAsync(int total)
    {
        string a = $"a-{Guid.NewGuid():N}", b = $"b-{Guid.NewGuid():N}";
        var yaml = BridgeTestHost.TwoLoopbackYaml(a, b, routeExtra: "format: \"{text}\"");
        await using var bridge = await BridgeTestHost.StartAsync(yaml, output);
        var alpha = LoopbackBackend.Get(a);
        var beta = LoopbackBackend.Get(b);
        var started = DateTime.UtcNow;

        var producer = Task.Run(async () =>
        {
            for (var i = 0; i < total; i++)
            {
                alpha.Post("room/1", "u", $"m{i:D4}");
                if (i % 10 == 9)
                {
                    await Task.Delay(10);
                }
            }
        });

        await Eventually.TrueAsync(() => beta.Delivered.Count >= total / 5, TimeSpan.FromSeconds(60), "a fifth of the stream arrived");
        var before = beta.Delivered.Count;
        await RabbitMqBroker.RestartAsync(TimeSpan.FromSeconds(2));
        output.WriteLine($"broker restarted after {before} deliveries");
        await producer;
        await Eventually.TrueAsync(() => beta.Delivered.Count >= total && alpha.Unacked == 0, TimeSpan.FromSeconds(240), $"all {total} were delivered and acknowledged");
        await Task.Delay(1000);

        var texts = beta.TextsIn("room/2");
        output.WriteLine($"{total} sent, delivered {texts.Count}, distinct {texts.Distinct().Count()}, in {(DateTime.UtcNow - started).TotalSeconds:0.0} s");
        Assert.Equal(total, texts.Count);
        Assert.Equal(Enumerable.Range(0, total).Select(i => $"m{i:D4}").ToHashSet(), texts.ToHashSet());
    }
}
