using Bridge.Contracts.V1;

namespace Bridge.Connectors.Abstractions;

/// <summary>
/// One configured backend account. <see cref="RunAsync"/> owns the live session(s) for the whole
/// life of the bridge: connect, authenticate, keep alive, reconnect, hand inbound messages to the
/// sink and acknowledge them to the backend only after the sink said they are durable.
/// The send operations work whenever a session is connected and fail fast with
/// <see cref="SendFailureKind.NotConnected"/> otherwise.
/// </summary>
public interface IConnector : IAsyncDisposable
{
    /// <summary>The connector's configured name (the key under <c>connectors:</c>).</summary>
    string Name { get; }

    ConnectorCapabilities Capabilities { get; }

    /// <summary>The current state; for a connector with one session per endpoint, the worst of them.</summary>
    ConnectorStatus Status { get; }

    event Action<ConnectorStatus>? StatusChanged;

    /// <summary>Runs until <paramref name="stoppingToken"/> is cancelled, then closes cleanly.</summary>
    Task RunAsync(IInboundSink sink, CancellationToken stoppingToken);

    /// <summary>Posts a message and returns the backend's native id once the backend acknowledged it.</summary>
    Task<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken);

    /// <summary>
    /// A send that may be followed by the same conversation's next one before it is answered
    /// (when <see cref="ConnectorCapabilities.PipelinedSends"/>): the connector calls
    /// <paramref name="written"/>'s <see cref="SendWritten.Set"/> once the request is written to
    /// the connection it is answered on, and does not retry on its own after that (a retry would
    /// overtake the sends that followed; the delivery consumer retries it in its turn). A connector
    /// that never sets it is waited for to the end of each send, as without this overload.
    /// </summary>
    Task<SendResult> SendAsync(OutboundMessage message, SendWritten written, CancellationToken cancellationToken) =>
        SendAsync(message, cancellationToken);

    /// <summary>Deletes (revokes) a message the bridge delivered earlier.</summary>
    Task<SendResult> DeleteAsync(OutboundDelete request, CancellationToken cancellationToken) =>
        Task.FromResult(SendResult.Unsupported($"{Name} cannot delete messages"));

    /// <summary>Edits a message the bridge delivered earlier.</summary>
    Task<SendResult> EditAsync(OutboundEdit request, CancellationToken cancellationToken) =>
        Task.FromResult(SendResult.Unsupported($"{Name} cannot edit messages"));
}

/// <summary>
/// What a backend can express. The router skips (with a log line) what a target cannot do.
/// <see cref="PipelinedSends"/>: the backend takes one connection's requests in the order they
/// were written and recognises a resent idempotency key (it, or every receiver, drops the second
/// copy), so a conversation's next post may go out before the previous one is answered: a post
/// retried after later ones got through is then not a second message, and lands in its place
/// unless the backend lost the first attempt while taking the next.
/// </summary>
public sealed record ConnectorCapabilities(
    IReadOnlySet<EndpointKind> SendKinds,
    bool Deletes = false,
    bool Edits = false,
    bool Replies = false,
    bool AcknowledgesSends = true,
    bool AcknowledgesPushes = true,
    bool PipelinedSends = false)
{
    public static IReadOnlySet<EndpointKind> Kinds(params EndpointKind[] kinds) => new HashSet<EndpointKind>(kinds);
}

/// <summary>A state with the reason an operator can act on, and when it was entered.</summary>
public sealed record ConnectorStatus(SessionState State, string? Reason, DateTimeOffset Since)
{
    public bool IsConnected => State == SessionState.Connected;

    public static ConnectorStatus Initial(TimeProvider time) => new(SessionState.Starting, null, time.GetUtcNow());
}
