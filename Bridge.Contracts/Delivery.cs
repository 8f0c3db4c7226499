namespace Bridge.Contracts.V1;

public enum DeliveryAction
{
    Post,
    Edit,
    Delete,
}

/// <summary>
/// The router's instruction to one target connector: post (or edit, or delete) this on that
/// endpoint. <see cref="IdempotencyKey"/> is derived from event id and target
/// (<see cref="EventIds.IdempotencyKey"/>): a redelivered instruction carries the same key and the
/// connector writes it into the backend's own id field so a retried send is not a second message.
/// <see cref="TraceParent"/> is the W3C trace context of the route span that made it.
/// </summary>
public sealed record DeliverMessage(
    Guid EventId,
    string Route,
    EndpointRef Source,
    EndpointRef Target,
    DeliveryAction Action,
    Participant OriginalSender,
    MessageBody Body,
    string IdempotencyKey,
    DateTimeOffset OriginSentAt,
    DateTimeOffset IngestedAt,
    string? ReplyToTargetNativeId = null,
    string? TargetNativeMessageId = null,
    string? MappedSenderId = null,
    string? TraceParent = null);

/// <summary>The target backend acknowledged a delivery; <see cref="NativeMessageId"/> is its id there.</summary>
public sealed record MessageDelivered(
    Guid EventId,
    string Route,
    EndpointRef Target,
    DeliveryAction Action,
    string NativeMessageId,
    DateTimeOffset DeliveredAt,
    double RelayMilliseconds);

public enum DeliveryFailureKind
{
    Rejected,
    Timeout,
    TooLarge,
    NotConnected,
    Unsupported,
    Unmapped,
    Poison,
}

/// <summary>A delivery gave up (after its retries), or was skipped; the reason says why.</summary>
public sealed record DeliveryFailed(
    Guid EventId,
    string Route,
    EndpointRef Target,
    DeliveryAction Action,
    DeliveryFailureKind Kind,
    string Reason,
    int Attempts,
    DateTimeOffset FailedAt);
