using System.Text;
using System.Text.Json;
using Bridge.Host.Bus;
using Bridge.Host.Delivery;
using Bridge.Tests.Infrastructure;
using Bridge.Tests.Infrastructure.Loopback;
using RabbitMQ.Client;
using Xunit.Abstractions;

namespace Bridge.Tests.Host;

/// <summary>
/// What leaves the delivery stage besides the sends, seen from the broker by an independent
/// observer: a send the target rejects for good moves alone to the delivery queue's dead-letter
/// queue with its reason in headers while the rest of the conversation flows on in order, and the
/// outcome events on the bus follow <c>delivery.outcomeEvents</c>.
/// </summary>
[Trait("Category", "Integration")]
public class DeliveryOutcomeTests(ITestOutputHelper output)
{
    private const string DeliveredExchange = "Bridge.Contracts.V1:MessageDelivered";
    private const string FailedExchange = "Bridge.Contracts.V1:DeliveryFailed";

    [Fact]
    public async Task A_rejected_message_is_dead_lettered_alone_with_its_reason_and_every_outcome_is_published()
    {
        await using var observer = await Observer.StartAsync();
        var (bridge, alpha, beta, target) = await StartAsync("all");
        await using var _ = bridge;

        PostWithPoison(alpha, count: 20, poisonAt: 7);

        await Eventually.TrueAsync(() => beta.Delivered.Count == 19, TimeSpan.FromSeconds(30), "the 19 good messages arrived");
        Assert.Equal(Enumerable.Range(0, 20).Where(i => i != 7).Select(i => $"m{i}"), beta.TextsIn("room/2"));

        var topology = bridge.Service<BusTopology>();
        var dead = await observer.GetAllAsync($"{topology.DeliverQueueName(target, 0)}_error", topology.DeliverQueueName(target, 1) + "_error", expected: 1);
        var poisoned = Assert.Single(dead);
        Assert.Contains("m7 poison", poisoned.Body, StringComparison.Ordinal);
        Assert.Equal("Rejected", poisoned.Header("Bridge-Failure-Kind"));
        Assert.Contains("refuses text containing 'poison'", poisoned.Header("Bridge-Failure-Reason"), StringComparison.Ordinal);

        // Other bridges on the test broker publish outcomes too: only this bridge's target counts.
        var delivered = await observer.GetAllAsync(observer.DeliveredQueue, null, expected: 19, target);
        Assert.Equal(19, delivered.Count);
        Assert.Equal(beta.Delivered.Select(d => d.EventId.ToString()).Order(), delivered.Select(m => Message(m).GetProperty("eventId").GetString()!).Order());
        var failed = Assert.Single(await observer.GetAllAsync(observer.FailedQueue, null, expected: 1, target));
        Assert.Equal((int)Bridge.Contracts.V1.DeliveryFailureKind.Rejected, Message(failed).GetProperty("kind").GetInt32());
    }

    [Fact]
    public async Task With_outcomeEvents_failures_only_the_failure_is_published()
    {
        await using var observer = await Observer.StartAsync();
        var (bridge, alpha, beta, target) = await StartAsync("failures");
        await using var _ = bridge;

        PostWithPoison(alpha, count: 10, poisonAt: 4);

        await Eventually.TrueAsync(() => beta.Delivered.Count == 9, TimeSpan.FromSeconds(30), "the 9 good messages arrived");
        Assert.Single(await observer.GetAllAsync(observer.FailedQueue, null, expected: 1, target));
        await Task.Delay(500);
        Assert.Empty(await observer.GetAllAsync(observer.DeliveredQueue, null, expected: 0, target));
    }

    [Fact]
    public async Task Outcomes_nobody_listens_to_are_not_published_until_a_queue_is_bound_and_then_every_one_is()
    {
        var (bridge, _, _, _) = await StartAsync("all");
        await using var _ = bridge;
        var publisher = bridge.Service<OutcomePublisher>();
        using var unheard = new UnheardCounter(nameof(OutcomeProbeEvent));
        var run = Guid.NewGuid();

        // Nobody binds a queue to this test's own event type: every event counts as unheard, either
        // returned by the broker or (after the first return) not published at all.
        for (var i = 0; i < 50; i++)
        {
            await publisher.EnqueueAsync(new OutcomeProbeEvent(run, i), CancellationToken.None);
        }

        await Eventually.TrueAsync(() => unheard.Count == 50, TestTimeouts.Scale(TimeSpan.FromSeconds(10)), "all 50 events counted as unheard");
        Assert.Single(bridge.Logs.Lines, l => l.Contains($"No queue is bound to {nameof(OutcomeProbeEvent)}", StringComparison.Ordinal));

        // A returned probe is expected, not a fault: MassTransit's own error entry for it (with its
        // stack trace, once per probe interval for as long as nobody listens) stays out of the log.
        Assert.DoesNotContain(bridge.Logs.Lines, l => l.Contains("returned by RabbitMQ", StringComparison.Ordinal));

        await using var connection = await new ConnectionFactory { Uri = RabbitMqBroker.Url }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var queue = (await channel.QueueDeclareAsync(string.Empty, durable: false, exclusive: true, autoDelete: true)).QueueName;
        await channel.QueueBindAsync(queue, $"{typeof(OutcomeProbeEvent).Namespace}:{nameof(OutcomeProbeEvent)}", string.Empty);

        // The next probe is routed to the queue; from then on no event of the type is skipped.
        bool Bound() => bridge.Logs.Lines.Any(l => l.Contains($"A queue is bound to {nameof(OutcomeProbeEvent)}", StringComparison.Ordinal));
        var probing = DateTime.UtcNow + TestTimeouts.Scale(TimeSpan.FromSeconds(10));
        for (var seq = 1000; !Bound() && DateTime.UtcNow < probing; seq++)
        {
            await publisher.EnqueueAsync(new OutcomeProbeEvent(run, seq), CancellationToken.None);
            await Task.Delay(20);
        }

        Assert.True(Bound(), "a probe reached the bound queue");
        for (var i = 0; i < 20; i++)
        {
            await publisher.EnqueueAsync(new OutcomeProbeEvent(run, 2000 + i), CancellationToken.None);
        }

        var after = new List<int>();
        var deadline = DateTime.UtcNow + TestTimeouts.Scale(TimeSpan.FromSeconds(10));
        while (after.Count < 20 && DateTime.UtcNow < deadline)
        {
            if (await channel.BasicGetAsync(queue, autoAck: true) is not { } m)
            {
                await Task.Delay(50);
                continue;
            }

            var message = JsonDocument.Parse(m.Body).RootElement.GetProperty("message");
            if (message.GetProperty("run").GetGuid() == run && message.GetProperty("seq").GetInt32() >= 2000)
            {
                after.Add(message.GetProperty("seq").GetInt32());
            }
        }

        Assert.Equal(Enumerable.Range(2000, 20), after.Order());
    }

    /// <summary>Posts m0..m(count-1) to room/1; the one at <paramref name="poisonAt"/> is one the target refuses.</summary>
    private static void PostWithPoison(LoopbackBackend source, int count, int poisonAt)
    {
        for (var i = 0; i < count; i++)
        {
            source.Post("room/1", "u1", i == poisonAt ? $"m{i} poison" : $"m{i}");
        }
    }

    /// <summary>A bridge mirroring alpha room/1 and a uniquely named target connector's room/2 (outcome events name it).</summary>
    private async Task<(BridgeTestHost Bridge, LoopbackBackend Alpha, LoopbackBackend Beta, string Target)> StartAsync(string outcomeEvents)
    {
        string a = $"a-{Guid.NewGuid():N}", b = $"b-{Guid.NewGuid():N}", target = $"t{Guid.NewGuid():N}";
        LoopbackBackend.Get(b).RejectContaining = "poison";
        var yaml = $$"""
            {{RabbitMqBroker.BusYaml($"t-{Guid.NewGuid():N}")}}
            store: { path: {{BridgeTestHost.TempDatabase()}} }
            health: { enabled: false }
            delivery: { retries: 1, retryDelay: 20ms, outcomeEvents: {{outcomeEvents}} }
            connectors:
              alpha: { type: loopback, backend: {{a}} }
              {{target}}: { type: loopback, backend: {{b}} }
            routes:
              - mirror: [alpha: room/1, {{target}}: room/2]
                format: "{text}"
            """;
        var bridge = await BridgeTestHost.StartAsync(yaml, output);
        return (bridge, LoopbackBackend.Get(a), LoopbackBackend.Get(b), target);
    }

    /// <summary>Counts the bridge's <c>bridge.outcomes.unheard</c> measurements for one event type.</summary>
    private sealed class UnheardCounter : IDisposable
    {
        private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
        private long _count;

        public UnheardCounter(string eventType)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Name == "bridge.outcomes.unheard")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "event" && Equals(tag.Value, eventType))
                    {
                        Interlocked.Add(ref _count, value);
                    }
                }
            });
            _listener.Start();
        }

        public long Count => Interlocked.Read(ref _count);

        public void Dispose() => _listener.Dispose();
    }

    private static JsonElement Message(Received m) => JsonDocument.Parse(m.Body).RootElement.GetProperty("message");

    private sealed record Received(string Body, IDictionary<string, object?>? Headers)
    {
        public string? Header(string name) => Headers?.TryGetValue(name, out var v) == true
            ? v switch { byte[] bytes => Encoding.UTF8.GetString(bytes), _ => v?.ToString() }
            : null;
    }

    /// <summary>A plain RabbitMQ.Client consumer of the outcome exchanges (bound before the bridge starts).</summary>
    private sealed class Observer(IConnection connection, IChannel channel, string delivered, string failed) : IAsyncDisposable
    {
        public string DeliveredQueue => delivered;

        public string FailedQueue => failed;

        public static async Task<Observer> StartAsync()
        {
            var connection = await new ConnectionFactory { Uri = RabbitMqBroker.Url }.CreateConnectionAsync();
            var channel = await connection.CreateChannelAsync();
            var queues = new List<string>();
            foreach (var exchange in new[] { DeliveredExchange, FailedExchange })
            {
                await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true);
                var queue = (await channel.QueueDeclareAsync(string.Empty, durable: false, exclusive: true, autoDelete: true)).QueueName;
                await channel.QueueBindAsync(queue, exchange, string.Empty);
                queues.Add(queue);
            }

            return new Observer(connection, channel, queues[0], queues[1]);
        }

        /// <summary>Everything in the queue(s), waiting up to 10 s for <paramref name="expected"/> messages.</summary>
        public async Task<List<Received>> GetAllAsync(string queue, string? orQueue, int expected, string? targetConnector = null)
        {
            var got = new List<Received>();
            var deadline = DateTime.UtcNow + TestTimeouts.Scale(TimeSpan.FromSeconds(10));
            do
            {
                foreach (var q in orQueue is null ? [queue] : new[] { queue, orQueue })
                {
                    try
                    {
                        while (await channel.BasicGetAsync(q, autoAck: true) is { } m)
                        {
                            var received = new Received(Encoding.UTF8.GetString(m.Body.Span), m.BasicProperties.Headers);
                            if (targetConnector is null || Message(received).GetProperty("target").GetProperty("connector").GetString() == targetConnector)
                            {
                                got.Add(received);
                            }
                        }
                    }
                    catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
                    {
                        // The partition's error queue does not exist (nothing was dead-lettered there).
                        channel = await connection.CreateChannelAsync();
                    }
                }

                if (got.Count >= expected && expected > 0)
                {
                    break;
                }

                await Task.Delay(100);
            }
            while (DateTime.UtcNow < deadline && expected > 0);
            return got;
        }

        public async ValueTask DisposeAsync()
        {
            await channel.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}

/// <summary>An outcome-like event of the test's own: no queue is bound to its exchange unless the test binds one.</summary>
public sealed record OutcomeProbeEvent(Guid Run, int Seq);
