namespace Bridge.Contracts.V1;

/// <summary>
/// One inbound event as it travels to the router: exactly one of the four is set.
/// <see cref="TraceParent"/> is the W3C trace context of its ingest span, so each event keeps its
/// own trace although several share one broker message.
/// </summary>
public sealed record InboundEvent(
    MessagePosted? Posted = null,
    MessageEdited? Edited = null,
    MessageDeleted? Deleted = null,
    MembershipChanged? Membership = null,
    string? TraceParent = null)
{
    public Guid EventId => Posted?.EventId ?? Edited?.EventId ?? Deleted?.EventId ?? Membership?.EventId ?? Guid.Empty;

    public EndpointRef? Conversation => Posted?.Conversation ?? Edited?.Conversation ?? Deleted?.Conversation ?? Membership?.Conversation;
}

/// <summary>
/// Inbound events of one router partition, in ingest order, carried in one broker message: the
/// ingest stage sends what accumulated while its previous send awaited the broker's confirm
/// (group commit), so one confirm covers many events under load and one event costs no wait when idle.
/// </summary>
public sealed record RouteBatch(IReadOnlyList<InboundEvent> Events);

/// <summary>Delivery instructions for one connector's delivery partition, in routing order (the same group commit).</summary>
public sealed record DeliveryBatch(IReadOnlyList<DeliverMessage> Deliveries);
