using System.Globalization;
using System.Text;
using Bridge.Benchmarks.Relay;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Bridge.Benchmarks.Baseline;

/// <summary>
/// The physical limit of the path a relayed message takes through the broker, with the plain
/// RabbitMQ.Client and nothing else: publish with confirms to a durable queue (persistent
/// messages), consume, publish again with confirms to a second durable queue, ack, consume and
/// ack. Same payloads, same broker, same machine, same prefetch. Publishes are pipelined (up
/// to the load window of unconfirmed injections, up to the prefetch per hop), and a message is
/// acked only after its copy is confirmed: what a client that keeps the same guarantees can get.
/// </summary>
public sealed class RawBrokerBaseline(BenchSettings settings, int payload, TextWriter log)
{
    public async Task<RelayResult> RunAsync(CancellationToken cancellationToken)
    {
        var spec = new RelaySpec($"raw RabbitMQ {Size(payload)}", "raw", ["raw"], 1, payload);
        var factory = new ConnectionFactory
        {
            HostName = settings.RabbitHost,
            Port = settings.RabbitPort,
            UserName = "guest",
            Password = "guest",
        };
        var suffix = $"{Environment.ProcessId}-{payload}-{Guid.NewGuid():N}"[..24];
        var first = $"bench-raw-a-{suffix}";
        var second = $"bench-raw-b-{suffix}";
        await using var connection = await factory.CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
        var confirms = new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true);
        await using var inject = await connection.CreateChannelAsync(confirms, cancellationToken).ConfigureAwait(false);
        await using var hop = await connection.CreateChannelAsync(confirms, cancellationToken).ConfigureAwait(false);
        await using var republish = await connection.CreateChannelAsync(confirms, cancellationToken).ConfigureAwait(false);
        await using var sink = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        foreach (var queue in new[] { first, second })
        {
            await inject.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: true, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        await hop.BasicQosAsync(0, (ushort)settings.Prefetch, false, cancellationToken).ConfigureAwait(false);
        await sink.BasicQosAsync(0, (ushort)settings.Prefetch, false, cancellationToken).ConfigureAwait(false);
        var persistent = new BasicProperties { Persistent = true };

        ArrivalRecorder? recorder = null;
        var relay = new AsyncEventingBasicConsumer(hop);
        relay.ReceivedAsync += (_, ea) =>
        {
            // Pipelined: the next message is taken while this one's confirm is awaited; it is
            // acked only once the republished copy is durable (prefetch bounds what is in flight).
            var body = ea.Body.ToArray();
            var tag = ea.DeliveryTag;
            _ = Task.Run(async () =>
            {
                await republish.BasicPublishAsync(string.Empty, second, false, persistent, body, CancellationToken.None).ConfigureAwait(false);
                await hop.BasicAckAsync(tag, false, CancellationToken.None).ConfigureAwait(false);
            }, CancellationToken.None);
            return Task.CompletedTask;
        };
        var receive = new AsyncEventingBasicConsumer(sink);
        receive.ReceivedAsync += async (_, ea) =>
        {
            Volatile.Read(ref recorder)?.Arrived(0, Encoding.ASCII.GetString(ea.Body.Span[..Math.Min(ea.Body.Length, 48)]));
            await sink.BasicAckAsync(ea.DeliveryTag, false, CancellationToken.None).ConfigureAwait(false);
        };
        await hop.BasicConsumeAsync(first, autoAck: false, relay, cancellationToken).ConfigureAwait(false);
        await sink.BasicConsumeAsync(second, autoAck: false, receive, cancellationToken).ConfigureAwait(false);

        async Task<PhaseResult> Phase(string phase, int messages, double? rate)
        {
            var r = new ArrivalRecorder(phase, messages, 1);
            Volatile.Write(ref recorder, r);
            using var inFlight = new SemaphoreSlim(settings.Window);
            var pending = new List<Task>();
            await LoadDriver.RunAsync(r, async (_, text) =>
            {
                await inFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
                var body = Encoding.ASCII.GetBytes(text);
                pending.Add(Publish(body));
            }, 1, payload, rate, settings.Window, settings.IdleTimeout, cancellationToken).ConfigureAwait(false);
            await Task.WhenAll(pending).ConfigureAwait(false);
            var result = r.Result();
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {spec.Label} [{PhaseResult.Describe(phase, rate)}] {result.Delivered}/{result.Expected} delivered, {result.DeliveriesPerSecond:0}/s, p50 {result.P50:0.0} p99 {result.P99:0.0} max {result.Max:0.0} ms"));
            return result;

            async Task Publish(byte[] body)
            {
                try
                {
                    await inject.BasicPublishAsync(string.Empty, first, false, persistent, body, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    inFlight.Release();
                }
            }
        }

        await Phase("w", settings.WarmupMessages, null).ConfigureAwait(false);
        if (settings.WarmupBurst > 0)
        {
            await Phase("b", settings.WarmupBurst, null).ConfigureAwait(false);
        }

        var paced = new List<PhaseResult>();
        foreach (var rate in settings.Rates)
        {
            paced.Add(await Phase($"p{paced.Count}", (int)(rate * settings.RateSeconds), rate).ConfigureAwait(false));
        }

        var machine = MachineCpu.Start(null, settings.RabbitPort);
        var saturation = await Phase("s", settings.Messages, null).ConfigureAwait(false);
        return new RelayResult(spec, paced, saturation, 0, 0) { Cpu = machine.Stop() };
    }

    public static string Size(int bytes) => bytes >= 1024 ? $"{bytes / 1024} KB" : $"{bytes} B";
}
