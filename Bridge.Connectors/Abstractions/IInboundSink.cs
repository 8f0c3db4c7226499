using Bridge.Contracts.V1;

namespace Bridge.Connectors.Abstractions;

/// <summary>What the sink did with an inbound event. Every outcome means: safe to acknowledge.</summary>
public enum IngestOutcome
{
    /// <summary>New; it is now durable on the bus.</summary>
    Accepted,
    /// <summary>Seen before (a redelivery or a catch-up overlap); dropped.</summary>
    Duplicate,
    /// <summary>The bridge itself produced it (a delivery coming back); dropped.</summary>
    Echo,
}

/// <summary>
/// Where a connector hands what it received. Each call returns only once the event is durable
/// (published with publisher confirms, or recognised as a duplicate/echo); only then may the
/// connector acknowledge the push to its backend. A call that throws means "not durable": the
/// connector must not acknowledge, so the backend redelivers or catch-up fetches it again.
/// Calls for one conversation are kept in the order they were made.
/// </summary>
public interface IInboundSink
{
    Task<IngestOutcome> PostedAsync(MessagePosted message, CancellationToken cancellationToken);

    Task<IngestOutcome> EditedAsync(MessageEdited message, CancellationToken cancellationToken);

    Task<IngestOutcome> DeletedAsync(MessageDeleted message, CancellationToken cancellationToken);

    Task<IngestOutcome> MembershipAsync(MembershipChanged change, CancellationToken cancellationToken);
}
