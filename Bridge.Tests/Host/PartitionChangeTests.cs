using Bridge.Host.Bus;
using Bridge.Tests.Infrastructure;
using Bridge.Tests.Infrastructure.Loopback;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Xunit.Abstractions;

namespace Bridge.Tests.Host;

/// <summary>
/// Lowering <c>bus.routePartitions</c>/<c>deliveryPartitions</c> leaves queues no consumer reads:
/// the bridge refuses to start while one of them holds a message (and touches nothing), and once
/// they are empty it deletes them and runs on the new layout.
/// </summary>
[Trait("Category", "Integration")]
public class PartitionChangeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Fewer_partitions_refuse_to_start_while_a_surplus_queue_holds_messages_and_drop_the_queues_once_empty()
    {
        string prefix = $"t-{Guid.NewGuid():N}", database = BridgeTestHost.TempDatabase();
        string a = $"a-{Guid.NewGuid():N}", b = $"b-{Guid.NewGuid():N}";
        string Yaml(int route, int delivery) => $$"""
            {{RabbitMqBroker.BusYaml(prefix, route, delivery)}}
            store: { path: {{database}} }
            health: { enabled: false }
            {{BridgeTestHost.TwoLoopbackMirror(a, b)}}
            """;

        await (await BridgeTestHost.StartAsync(Yaml(3, 2), output)).DisposeAsync();

        await using var connection = await new ConnectionFactory { Uri = RabbitMqBroker.Url }.CreateConnectionAsync();
        // With confirms tracked, the publish returns once the broker has the message.
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true)))
        {
            await channel.BasicPublishAsync(string.Empty, $"{prefix}.route.2", true, new BasicProperties { Persistent = true }, "left behind"u8.ToArray());
        }

        var refused = await Assert.ThrowsAsync<BridgeStartRefusedException>(() => BridgeTestHost.StartAsync(Yaml(1, 1), output));
        output.WriteLine(refused.Message);
        Assert.Contains($"{prefix}.route.2 (1)", refused.Message, StringComparison.Ordinal);
        Assert.Contains("routePartitions: 3 and deliveryPartitions: 2", refused.Message, StringComparison.Ordinal);
        Assert.Equal(1u, await CountAsync(connection, $"{prefix}.route.2"));
        Assert.NotNull(await CountAsync(connection, $"{prefix}.deliver.beta.1"));

        await using (var channel = await connection.CreateChannelAsync())
        {
            await channel.QueuePurgeAsync($"{prefix}.route.2");
        }

        await using var bridge = await BridgeTestHost.StartAsync(Yaml(1, 1), output);
        foreach (var gone in new[] { "route.1", "route.2", "deliver.alpha.1", "deliver.beta.1" })
        {
            Assert.Null(await CountAsync(connection, $"{prefix}.{gone}"));
        }

        LoopbackBackend.Get(a).Post("room/1", "u1", "after the change");
        await Eventually.TrueAsync(() => LoopbackBackend.Get(b).Delivered.Count == 1, TimeSpan.FromSeconds(20), "the relay works on the new layout");
    }

    /// <summary>Ready messages in the queue, or null when it does not exist.</summary>
    private static async Task<uint?> CountAsync(IConnection connection, string queue)
    {
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (OperationInterruptedException)
        {
            return null;
        }
    }
}
