namespace Bridge.Contracts.V1;

/// <summary>
/// A message appeared in a conversation on a backend. <see cref="EventId"/> is derived from the
/// connector name and the native message id (<see cref="EventIds.ForIngest"/>), so the same
/// backend message always has the same event id, whoever ingests it and however often.
/// </summary>
public sealed record MessagePosted(
    Guid EventId,
    EndpointRef Conversation,
    Participant Sender,
    MessageBody Body,
    string NativeMessageId,
    DateTimeOffset SentAt,
    DateTimeOffset ReceivedAt,
    string? ReplyToNativeId = null,
    IReadOnlyDictionary<string, string>? Attributes = null);

/// <summary>A message was edited on its backend; <see cref="TargetNativeMessageId"/> names the original.</summary>
public sealed record MessageEdited(
    Guid EventId,
    EndpointRef Conversation,
    Participant Sender,
    string TargetNativeMessageId,
    MessageBody NewBody,
    DateTimeOffset EditedAt);

/// <summary>A message was deleted (revoked) on its backend.</summary>
public sealed record MessageDeleted(
    Guid EventId,
    EndpointRef Conversation,
    Participant? DeletedBy,
    string TargetNativeMessageId,
    DateTimeOffset DeletedAt);

public enum MembershipChange
{
    Joined,
    Left,
    Renamed,
}

/// <summary>Someone joined, left or was renamed in a conversation.</summary>
public sealed record MembershipChanged(
    Guid EventId,
    EndpointRef Conversation,
    Participant Member,
    MembershipChange Change,
    string? NewName,
    DateTimeOffset At);
