using Bridge.Connectors.Abstractions;
using Bridge.Contracts.V1;

namespace Bridge.Host.Store;

/// <summary>What the store knows about an inbound message before it is ingested.</summary>
public enum IngestLookup
{
    New,
    /// <summary>This event id was already ingested (a redelivery, a catch-up overlap, or a marked copy).</summary>
    AlreadyIngested,
    /// <summary>The bridge itself delivered this native message (its own echo).</summary>
    DeliveredByBridge,
}

/// <summary>An inbound message that is durable on the bus: its event id and where it came from.</summary>
public readonly record struct IngestRecord(Guid EventId, EndpointRef Conversation, string NativeMessageId);

/// <summary>One delivered copy: the event, the target endpoint and the id the target gave it.</summary>
public readonly record struct DeliveryRecord(Guid EventId, EndpointRef Target, string NativeMessageId);

/// <summary>One native message that belongs to an event: the original or a delivered copy.</summary>
public sealed record MappedMessage(Guid EventId, EndpointRef Endpoint, string NativeMessageId, bool IsOrigin);

/// <summary>
/// The bridge's durable memory: ingest dedupe, the event id ↔ native id map (origin and every
/// delivered copy, for replies, edits, deletes and echo recognition), and catch-up cursors.
/// Implementations create their schema in <see cref="InitializeAsync"/> and survive restarts.
/// </summary>
public interface IBridgeStore : ICursorStore, IAsyncDisposable
{
    Task InitializeAsync(CancellationToken cancellationToken);

    Task<IngestLookup> LookupIngestAsync(Guid eventId, string connector, string nativeMessageId, CancellationToken cancellationToken);

    /// <summary>Records that an inbound message is durable on the bus (its origin mapping).</summary>
    Task RecordIngestAsync(Guid eventId, EndpointRef conversation, string nativeMessageId, CancellationToken cancellationToken);

    /// <summary>Records several ingests at once, in one transaction.</summary>
    Task RecordIngestsAsync(IReadOnlyList<IngestRecord> ingests, CancellationToken cancellationToken);

    /// <summary>Records a delivered copy; idempotent for the same (event, target).</summary>
    Task RecordDeliveryAsync(Guid eventId, EndpointRef target, string nativeMessageId, CancellationToken cancellationToken);

    /// <summary>The native id of the event's message on that endpoint (origin or delivered copy), if any.</summary>
    Task<string?> FindNativeAsync(Guid eventId, EndpointRef endpoint, CancellationToken cancellationToken);

    /// <summary>Records many delivered copies in one transaction.</summary>
    Task RecordDeliveriesAsync(IReadOnlyList<DeliveryRecord> deliveries, CancellationToken cancellationToken);

    /// <summary><see cref="FindNativeAsync"/> for many (event, endpoint) pairs at once; the answers in the same order.</summary>
    Task<string?[]> FindNativesAsync(IReadOnlyList<(Guid EventId, EndpointRef Endpoint)> keys, CancellationToken cancellationToken);

    /// <summary>The event a native message on a connector belongs to (origin or copy), if any.</summary>
    Task<MappedMessage?> FindByNativeAsync(string connector, string nativeMessageId, CancellationToken cancellationToken);

    /// <summary>
    /// Forgets the id-map rows recorded before <paramref name="before"/> whose event id starts with
    /// the byte <paramref name="slice"/> (one 256th of the map: event ids are evenly spread hashes),
    /// in one transaction; returns how many it removed. Cursors are kept.
    /// </summary>
    Task<int> PruneAsync(DateTimeOffset before, byte slice, CancellationToken cancellationToken);
}
