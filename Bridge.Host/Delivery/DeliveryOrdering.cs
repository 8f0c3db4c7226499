using System.Collections.Concurrent;
using Bridge.Host.Configuration;
using MassTransit;

namespace Bridge.Host.Delivery;

/// <summary>
/// The <see cref="DeliveryOrder"/> of each delivery queue, when its batches may overlap
/// (<c>bus.deliveryConcurrency</c> above 1, on RabbitMQ: the broker's delivery tags give the order).
/// </summary>
public sealed class DeliveryOrdering(BridgeConfig config, TimeProvider time)
{
    /// <summary>How long a batch waits for an earlier delivery tag that never reaches the consumer.</summary>
    internal static readonly TimeSpan GapTimeout = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<Uri, DeliveryOrder> _queues = new();

    /// <summary>Batches a delivery queue works on at once: overlapping needs the delivery tags only RabbitMQ gives.</summary>
    public static int ConcurrencyFor(BusConfig bus) => bus.Transport == BusTransport.RabbitMq ? bus.DeliveryConcurrency : 1;

    /// <summary>The order this delivery takes its turn in, with its consumer and delivery tags; null when batches do not overlap.</summary>
    internal DeliveryOrder? For(ReceiveContext receive, out string consumerTag, out ulong deliveryTag)
    {
        consumerTag = string.Empty;
        deliveryTag = 0;
        if (ConcurrencyFor(config.Bus) <= 1 || !receive.TryGetPayload<RabbitMqBasicConsumeContext>(out var basic))
        {
            return null;
        }

        consumerTag = basic.ConsumerTag;
        deliveryTag = basic.DeliveryTag;
        return _queues.GetOrAdd(receive.InputAddress, static (_, t) => new DeliveryOrder(GapTimeout, t), time);
    }
}
