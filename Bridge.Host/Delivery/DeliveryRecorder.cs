using Bridge.Host.Bus;
using Bridge.Host.Store;

namespace Bridge.Host.Delivery;

/// <summary>
/// Records delivered copies in the id map by group commit: a batch's deliveries start their records
/// as they are acknowledged and the batch waits for all of them before it is acknowledged, so
/// deliveries finishing together (one conversation's in a row, other conversations, other
/// partitions) share one store transaction.
/// </summary>
public sealed class DeliveryRecorder(IBridgeStore store, BusTopology topology)
{
    private readonly GroupCommit<DeliveryRecord> _commit = new(batch => store.RecordDeliveriesAsync(batch, CancellationToken.None), topology.MaxBatch);

    /// <summary>Completes once the record is in the id map (faults if its transaction failed); <paramref name="done"/>: the completion to use for that.</summary>
    public Task RecordAsync(DeliveryRecord delivery, TaskCompletionSource? done = null) => done is null ? _commit.Add(delivery) : _commit.Add(delivery, done);
}
