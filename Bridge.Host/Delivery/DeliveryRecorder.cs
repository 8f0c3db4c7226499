using Bridge.Host.Bus;
using Bridge.Host.Store;

namespace Bridge.Host.Delivery;

/// <summary>
/// Records delivered copies in the id map by group commit: each delivery still waits for its own
/// record before its conversation goes on, but deliveries finishing together (other conversations,
/// other partitions) share one store transaction.
/// </summary>
public sealed class DeliveryRecorder(IBridgeStore store, BusTopology topology)
{
    private readonly GroupCommit<DeliveryRecord> _commit = new(batch => store.RecordDeliveriesAsync(batch, CancellationToken.None), topology.MaxBatch);

    public Task RecordAsync(DeliveryRecord delivery) => _commit.Add(delivery);
}
