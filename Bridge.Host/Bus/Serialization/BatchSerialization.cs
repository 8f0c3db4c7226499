using Bridge.Contracts.V1;

namespace Bridge.Host.Bus.Serialization;

/// <summary>The content types of the internal batches on the route and delivery queues.</summary>
internal static class BatchSerialization
{
    public const string RouteBatchMediaType = "application/vnd.bridge.route-batch.v1+json";
    public const string DeliveryBatchMediaType = "application/vnd.bridge.delivery-batch.v1+json";

    public static BatchSerializer<RouteBatch> Route { get; } = new(RouteBatchMediaType);

    public static BatchSerializer<DeliveryBatch> Delivery { get; } = new(DeliveryBatchMediaType);
}
