using System.Text;
using Bridge.Contracts.V1;

namespace Bridge.Host.Bus;

/// <summary>
/// Queue names and partitioning. Order is kept per conversation by hashing the conversation to
/// one of N partition queues, each consumed in queue order: the router's queues (one message at a
/// time) are keyed by the source conversation, each connector's delivery queues (overlapping
/// batches, each conversation in turn: <see cref="Delivery.DeliveryOrder"/>) by the target
/// conversation. So a slow or down backend holds only its own queues, and one conversation never
/// overtakes itself.
/// </summary>
public sealed class BusTopology(string prefix, int routePartitions, int deliveryPartitions, TimeSpan sendTimeout, int maxBatch, long maxBatchBytes)
{
    /// <summary>The most events one broker message (a <c>RouteBatch</c> or <c>DeliveryBatch</c>) carries.</summary>
    public int MaxBatch => maxBatch;

    /// <summary>About the most bytes of event content one <c>RouteBatch</c> carries (a larger single event still goes, alone).</summary>
    public long MaxBatchBytes => maxBatchBytes;

    /// <summary>How long one send may wait for the broker's confirm before it is given up (and redelivered later).</summary>
    public TimeSpan SendTimeout => sendTimeout;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Uri?[]> _deliverQueues = new(StringComparer.Ordinal);

    public int RoutePartitions => routePartitions;

    public int DeliveryPartitions => deliveryPartitions;

    public string RouteQueueName(int partition) => $"{prefix}.route.{partition}";

    public string DeliverQueueName(string connector, int partition) => $"{prefix}.deliver.{connector}.{partition}";

    public int RoutePartition(EndpointRef conversation) => routePartitions <= 1 ? 0 : Partition(conversation.ToString(), routePartitions);

    public Uri RouteQueue(int partition) => new($"queue:{RouteQueueName(partition)}");

    /// <summary>The delivery queue of a target conversation; the same <see cref="Uri"/> instance each time (the router keys its batches by it).</summary>
    public Uri DeliverQueue(EndpointRef target)
    {
        var partition = deliveryPartitions <= 1 ? 0 : Partition(target.ToString(), deliveryPartitions);
        var queues = _deliverQueues.GetOrAdd(target.Connector, static (_, n) => new Uri?[n], deliveryPartitions);
        return queues[partition] ??= new Uri($"queue:{DeliverQueueName(target.Connector, partition)}");
    }

    /// <summary>FNV-1a over UTF-8: stable across processes (string.GetHashCode is not).</summary>
    public static int Partition(string key, int partitions)
    {
        if (partitions <= 1)
        {
            return 0;
        }

        var hash = 2166136261u;
        Span<byte> buffer = stackalloc byte[256];
        var bytes = Encoding.UTF8.GetByteCount(key) <= buffer.Length ? buffer[..Encoding.UTF8.GetBytes(key, buffer)] : Encoding.UTF8.GetBytes(key);
        foreach (var b in bytes)
        {
            hash = (hash ^ b) * 16777619u;
        }

        return (int)(hash % (uint)partitions);
    }
}
