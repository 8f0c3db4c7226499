using System.Diagnostics;
using Bridge.Contracts.V1;
using Bridge.Host.Bus;
using Bridge.Host.Bus.Serialization;
using Bridge.Host.Store;
using Bridge.Host.Telemetry;
using MassTransit;

namespace Bridge.Host.Ingest;

/// <summary>
/// Sends ingested events to their router partition queues as <see cref="RouteBatch"/>es, one
/// group commit per partition: while one batch awaits the broker's confirm, the partition's next
/// events gather, and go together once it is confirmed. After the confirm the batch's ingests are
/// recorded in one store transaction, then each waiting caller is released.
/// </summary>
public sealed class RoutePublisher
{
    private readonly GroupCommit<Pending>[] _partitions;
    private readonly IBus _bus;
    private readonly BusTopology _topology;
    private readonly BusSendMonitor _sends;
    private readonly IBridgeStore _store;

    public RoutePublisher(IBus bus, BusTopology topology, BusSendMonitor sends, IBridgeStore store)
    {
        _bus = bus;
        _topology = topology;
        _sends = sends;
        _store = store;
        _partitions = new GroupCommit<Pending>[topology.RoutePartitions];
        for (var p = 0; p < _partitions.Length; p++)
        {
            var partition = p;
            _partitions[p] = new GroupCommit<Pending>(batch => FlushAsync(partition, batch), topology.MaxBatch, p => BatchSerialization.EstimatedBytes(p.Message), topology.MaxBatchBytes);
        }
    }

    /// <summary>Queues one event; the task completes once it is durable on the broker and recorded.</summary>
    public Task Enqueue(IngestRecord ingest, InboundEvent message) =>
        _partitions[_topology.RoutePartition(ingest.Conversation)].Add(new Pending(ingest, message));

    private async Task FlushAsync(int partition, IReadOnlyList<Pending> batch)
    {
        var events = new InboundEvent[batch.Count];
        var records = new IngestRecord[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            events[i] = batch[i].Message;
            records[i] = batch[i].Ingest;
        }

        using (var activity = BatchTelemetry.StartSend("ingest.send", events.Select(e => e.TraceParent), batch.Count))
        {
            activity?.SetTag("bridge.partition", partition);
            var endpoint = await _bus.GetSendEndpoint(_topology.RouteQueue(partition)).ConfigureAwait(false);
            await BoundedSend.SendAsync(endpoint, new RouteBatch(events), _topology.SendTimeout, _sends, CancellationToken.None, serializer: BatchSerialization.Route).ConfigureAwait(false);
        }

        await _store.RecordIngestsAsync(records, CancellationToken.None).ConfigureAwait(false);
    }

    private readonly record struct Pending(IngestRecord Ingest, InboundEvent Message);
}
