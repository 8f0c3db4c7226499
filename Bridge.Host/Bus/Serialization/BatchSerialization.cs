using Bridge.Contracts.V1;

namespace Bridge.Host.Bus.Serialization;

/// <summary>
/// The content types of the internal batches on the route and delivery queues. Both stages read
/// their batches' texts under a <see cref="ReceivedBatchLease"/>: the router returns it once every
/// delivery batch made from one is confirmed, the delivery stage once every send of the batch
/// returned at its first attempt (a connector does not keep a text past its send, see
/// <see cref="Connectors.Abstractions.OutboundMessage"/>).
/// </summary>
internal static class BatchSerialization
{
    public const string RouteBatchMediaType = "application/vnd.bridge.route-batch.v1+json";
    public const string DeliveryBatchMediaType = "application/vnd.bridge.delivery-batch.v1+json";

    public static BatchSerializer<RouteBatch> Route { get; } = new(RouteBatchMediaType, b => b.Events.Sum(EstimatedBytes));

    public static BatchSerializer<DeliveryBatch> Delivery { get; } = new(DeliveryBatchMediaType, b => b.Deliveries.Sum(d => PerEntry + EstimatedBytes(d.Body)));

    /// <summary>About what an entry's ids, names, times and JSON add to a batch besides its texts.</summary>
    private const int PerEntry = 512;

    /// <summary>About what the event adds to a batch on the wire: its texts (UTF-8, JSON-escaped ASCII) and <see cref="PerEntry"/>.</summary>
    internal static long EstimatedBytes(InboundEvent e) => PerEntry + EstimatedBytes(e.Posted?.Body) + EstimatedBytes(e.Edited?.NewBody);

    private static long EstimatedBytes(MessageBody? body) => body is null ? 0 : body.TextSizeEstimate() + (body.Url?.Length ?? 0) + (body.FileName?.Length ?? 0);
}
