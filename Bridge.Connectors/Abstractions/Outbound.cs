using Bridge.Contracts.V1;

namespace Bridge.Connectors.Abstractions;

/// <summary>
/// A message to post on <see cref="Target"/>. <see cref="IdempotencyKey"/> (32 lower-case hex
/// characters) is the same on every retry of the same delivery; connectors put it (or a value
/// derived from it) in the backend's own client message id field. <see cref="Body"/> (like an
/// edit's new body) may hold its text as UTF-8 in a buffer the bridge reuses once the send has
/// returned: a connector reads it during the call (into its frame) and keeps nothing of it
/// afterwards; one that must keeps <see cref="MessageBody.Detached"/>.
/// </summary>
public sealed record OutboundMessage(
    EndpointRef Target,
    MessageBody Body,
    string IdempotencyKey,
    Participant OriginalSender,
    Guid EventId,
    string? ReplyToNativeId = null);

public sealed record OutboundDelete(EndpointRef Target, string NativeMessageId, string IdempotencyKey, Guid EventId);

public sealed record OutboundEdit(EndpointRef Target, string NativeMessageId, MessageBody NewBody, string IdempotencyKey, Guid EventId);

public enum SendFailureKind
{
    /// <summary>The backend refused it; <see cref="SendResult.Code"/> holds the backend's code.</summary>
    Rejected,
    /// <summary>No acknowledgement within the timeout; the send may or may not have happened.</summary>
    Timeout,
    /// <summary>Larger than the backend accepts; retrying cannot help.</summary>
    TooLarge,
    /// <summary>No live session; retry when the session is back.</summary>
    NotConnected,
    /// <summary>The backend cannot express this (endpoint kind, delete, edit).</summary>
    Unsupported,
}

/// <summary>The outcome of a send: the backend's native id, or a typed failure with a reason.</summary>
public sealed record SendResult
{
    private SendResult(bool succeeded, string? nativeMessageId, SendFailureKind failure, string? reason, string? code)
    {
        Succeeded = succeeded;
        NativeMessageId = nativeMessageId;
        Failure = failure;
        Reason = reason;
        Code = code;
    }

    public bool Succeeded { get; }

    public string? NativeMessageId { get; }

    public SendFailureKind Failure { get; }

    public string? Reason { get; }

    public string? Code { get; }

    /// <summary>Whether trying the same send again later can succeed.</summary>
    public bool IsTransient => !Succeeded && Failure is SendFailureKind.Timeout or SendFailureKind.NotConnected;

    public static SendResult Sent(string nativeMessageId) => new(true, nativeMessageId, default, null, null);

    public static SendResult Rejected(string reason, string? code = null) => new(false, null, SendFailureKind.Rejected, reason, code);

    public static SendResult TimedOut(string reason) => new(false, null, SendFailureKind.Timeout, reason, null);

    public static SendResult TooLarge(string reason) => new(false, null, SendFailureKind.TooLarge, reason, null);

    public static SendResult NotConnected(string reason) => new(false, null, SendFailureKind.NotConnected, reason, null);

    public static SendResult Unsupported(string reason) => new(false, null, SendFailureKind.Unsupported, reason, null);

    public override string ToString() => Succeeded
        ? $"sent as {NativeMessageId}"
        : Code is null ? $"{Failure}: {Reason}" : $"{Failure} ({Code}): {Reason}";
}
