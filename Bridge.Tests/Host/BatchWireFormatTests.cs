using System.Text;
using System.Text.Json;
using Bridge.Contracts.V1;
using Bridge.Host.Bus.Serialization;
using Bridge.Tests.Infrastructure;
using Bridge.Tests.Infrastructure.Loopback;
using RabbitMQ.Client;
using Xunit.Abstractions;

namespace Bridge.Tests.Host;

/// <summary>
/// The route and delivery queues carry batches in the bridge's own content types. A batch left in
/// a queue by an older bridge (MassTransit's JSON envelope) is still relayed after an upgrade, and
/// a body that cannot be read is moved to the queue's error queue with the reason, while the queue
/// keeps flowing.
/// </summary>
[Trait("Category", "Integration")]
public class BatchWireFormatTests(ITestOutputHelper output)
{
    private static readonly JsonSerializerOptions EnvelopeJson = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task An_enveloped_batch_from_an_older_bridge_is_relayed_and_an_unreadable_one_goes_to_the_error_queue_with_its_reason()
    {
        string prefix = $"t-{Guid.NewGuid():N}", a = $"a-{Guid.NewGuid():N}", b = $"b-{Guid.NewGuid():N}";
        await using var bridge = await BridgeTestHost.StartAsync($$"""
            {{RabbitMqBroker.BusYaml(prefix, 1, 1)}}
            store: { path: {{BridgeTestHost.TempDatabase()}} }
            health: { enabled: false }
            {{BridgeTestHost.TwoLoopbackMirror(a, b)}}
            """, output);

        await using var connection = await new ConnectionFactory { Uri = RabbitMqBroker.Url }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var routeQueue = $"{prefix}.route.0";

        await channel.BasicPublishAsync(string.Empty, routeQueue, true,
            new BasicProperties { Persistent = true, ContentType = BatchSerialization.RouteBatchMediaType, MessageId = Guid.NewGuid().ToString() },
            "{\"events\": [{\"posted\": "u8.ToArray());

        var now = DateTimeOffset.UtcNow;
        var posted = new MessagePosted(EventIds.ForIngest("alpha", "old-1"), new EndpointRef("alpha", EndpointKind.Room, "1"),
            new Participant("alpha", "u1", "Olde"), MessageBody.FromText("written by an older bridge"), "old-1", now, now);
        var envelope = new
        {
            messageId = Guid.NewGuid(),
            messageType = new[] { "urn:message:Bridge.Contracts.V1:RouteBatch" },
            message = new RouteBatch([new InboundEvent(Posted: posted)]),
            sentTime = now,
        };
        await channel.BasicPublishAsync(string.Empty, routeQueue, true,
            new BasicProperties { Persistent = true, ContentType = "application/vnd.masstransit+json" },
            JsonSerializer.SerializeToUtf8Bytes(envelope, EnvelopeJson));

        LoopbackBackend.Get(a).Post("room/1", "u1", "written by this bridge");

        var beta = LoopbackBackend.Get(b);
        await Eventually.TrueAsync(() => beta.Delivered.Count == 2, TimeSpan.FromSeconds(30), "both batches relayed");
        Assert.Contains("written by an older bridge", beta.Delivered[0].Body.Text, StringComparison.Ordinal);
        Assert.Contains("written by this bridge", beta.Delivered[1].Body.Text, StringComparison.Ordinal);

        await Eventually.TrueAsync(async () => (await channel.MessageCountAsync($"{routeQueue}_error")) == 1, TimeSpan.FromSeconds(10), "the unreadable batch is in the error queue");
        var faulted = await channel.BasicGetAsync($"{routeQueue}_error", autoAck: true);
        Assert.NotNull(faulted);
        Assert.Equal(BatchSerialization.RouteBatchMediaType, faulted.BasicProperties.ContentType);
        var reason = Encoding.UTF8.GetString((byte[])faulted.BasicProperties.Headers!["MT-Fault-Message"]!);
        output.WriteLine(reason);
        Assert.Contains("is not a valid RouteBatch", reason, StringComparison.Ordinal);
        Assert.Equal(0u, await channel.MessageCountAsync(routeQueue));
    }
}
