using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Bridge.Benchmarks.Relay;

/// <summary>
/// A consumer of the bridge's outcome events, as an operator's audit or dashboard service would
/// be: one queue bound to the <c>MessageDelivered</c> and <c>DeliveryFailed</c> exchanges before
/// the bridge starts, consumed with automatic acks. With it bound the bridge publishes every
/// outcome; the scenario shows what that costs.
/// </summary>
public sealed class OutcomeObserver(IConnection connection, IChannel channel) : IAsyncDisposable
{
    private static readonly string[] Exchanges = ["Bridge.Contracts.V1:MessageDelivered", "Bridge.Contracts.V1:DeliveryFailed"];
    private long _received;

    public long Received => Interlocked.Read(ref _received);

    public static async Task<OutcomeObserver> StartAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory { HostName = settings.RabbitHost, Port = settings.RabbitPort, UserName = "guest", Password = "guest" };
        var connection = await factory.CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
        var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var observer = new OutcomeObserver(connection, channel);
        var queue = (await channel.QueueDeclareAsync(string.Empty, durable: false, exclusive: true, autoDelete: true, cancellationToken: cancellationToken).ConfigureAwait(false)).QueueName;
        foreach (var exchange in Exchanges)
        {
            await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, cancellationToken: cancellationToken).ConfigureAwait(false);
            await channel.QueueBindAsync(queue, exchange, string.Empty, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, _) =>
        {
            Interlocked.Increment(ref observer._received);
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(queue, autoAck: true, consumer, cancellationToken).ConfigureAwait(false);
        return observer;
    }

    public async ValueTask DisposeAsync()
    {
        await channel.DisposeAsync().ConfigureAwait(false);
        await connection.DisposeAsync().ConfigureAwait(false);
    }
}
