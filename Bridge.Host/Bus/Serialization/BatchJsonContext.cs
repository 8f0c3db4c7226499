using System.Text.Json.Serialization;
using Bridge.Contracts.V1;

namespace Bridge.Host.Bus.Serialization;

/// <summary>
/// Compile-time JSON metadata for the two internal batch contracts. A missing constructor
/// argument or a null where the contract has none is an error, not a half-built batch (so nulls
/// are written, not left out). The small records inside every event have converters of their own
/// (<see cref="EndpointRefJsonConverter"/>: same JSON, fewer allocations).
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    Converters = [typeof(EndpointRefJsonConverter), typeof(ParticipantJsonConverter), typeof(MessageBodyJsonConverter), typeof(DeliverMessageJsonConverter)])]
[JsonSerializable(typeof(RouteBatch))]
[JsonSerializable(typeof(DeliveryBatch))]
internal sealed partial class BatchJsonContext : JsonSerializerContext;
