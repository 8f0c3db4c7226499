using System.Collections.Concurrent;
using System.Diagnostics;
using Bridge.Connectors.Abstractions;
using Bridge.Contracts.V1;
using Bridge.Host.Bus;
using Bridge.Host.Store;
using Bridge.Host.Telemetry;
using Microsoft.Extensions.Logging;

namespace Bridge.Host.Ingest;

/// <summary>
/// Where connectors hand inbound events. Per conversation, in call order: drop what the store has
/// already ingested or what the bridge itself delivered; otherwise queue the event for its router
/// partition (<see cref="RoutePublisher"/>), whose group commit sends it with whatever else is
/// waiting for that partition. The call returns once the broker confirmed that send and the
/// ingest is recorded. Publish-then-record means a crash in between re-sends the event on
/// redelivery; the router and delivery stages are idempotent per event id, so nothing is
/// duplicated at the targets.
/// </summary>
public sealed class IngestSink(
    IBridgeStore store,
    RoutePublisher publisher,
    ILogger<IngestSink> logger) : IInboundSink
{
    private readonly OrderedLanes _lanes = new();

    /// <summary>Events queued for the broker but not yet recorded: a second copy waits for the first instead of going out again.</summary>
    private readonly ConcurrentDictionary<Guid, Task> _inFlight = new();

    public Task<IngestOutcome> PostedAsync(MessagePosted message, CancellationToken cancellationToken) =>
        Ingest(message.EventId, message.Conversation, message.NativeMessageId, nameof(MessagePosted), t => new InboundEvent(Posted: message, TraceParent: t), cancellationToken);

    public Task<IngestOutcome> EditedAsync(MessageEdited message, CancellationToken cancellationToken) =>
        Ingest(message.EventId, message.Conversation, $"edit:{message.EventId:N}", nameof(MessageEdited), t => new InboundEvent(Edited: message, TraceParent: t), cancellationToken);

    public Task<IngestOutcome> DeletedAsync(MessageDeleted message, CancellationToken cancellationToken) =>
        Ingest(message.EventId, message.Conversation, $"delete:{message.EventId:N}", nameof(MessageDeleted), t => new InboundEvent(Deleted: message, TraceParent: t), cancellationToken);

    public Task<IngestOutcome> MembershipAsync(MembershipChanged change, CancellationToken cancellationToken) =>
        Ingest(change.EventId, change.Conversation, $"member:{change.EventId:N}", nameof(MembershipChanged), t => new InboundEvent(Membership: change, TraceParent: t), cancellationToken);

    private async Task<IngestOutcome> Ingest(
        Guid eventId,
        EndpointRef conversation,
        string nativeId,
        string type,
        Func<string?, InboundEvent> envelope,
        CancellationToken cancellationToken)
    {
        using var activity = BridgeTelemetry.Source.StartActivity("ingest", ActivityKind.Internal);
        activity?.SetTag("bridge.event_id", eventId.ToString("N"));
        activity?.SetTag("bridge.conversation", conversation.ToString());
        var tag = new KeyValuePair<string, object?>("connector", conversation.Connector);
        try
        {
            // The lane keeps one conversation's events in call order up to the point where they
            // are queued for the broker; the confirm is awaited outside it, so a conversation's
            // next event can join the same send.
            var (lookup, durable) = await _lanes.Run(conversation.ToString(), async () =>
            {
                if (_inFlight.TryGetValue(eventId, out var first))
                {
                    return (IngestLookup.AlreadyIngested, first);
                }

                var found = await store.LookupIngestAsync(eventId, conversation.Connector, nativeId, cancellationToken).ConfigureAwait(false);
                if (found != IngestLookup.New)
                {
                    return (found, Task.CompletedTask);
                }

                var queued = publisher.Enqueue(new IngestRecord(eventId, conversation, nativeId), envelope(activity?.Id));
                _inFlight[eventId] = queued;
                _ = queued.ContinueWith(_ => _inFlight.TryRemove(eventId, out var _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                return (found, queued);
            }).ConfigureAwait(false);

            if (lookup != IngestLookup.New)
            {
                // A copy of an event still on its way to the broker is a duplicate only once the
                // first is durable; if that fails, this copy is not acknowledged either.
                await durable.WaitAsync(cancellationToken).ConfigureAwait(false);
                var outcome = lookup == IngestLookup.AlreadyIngested ? IngestOutcome.Duplicate : IngestOutcome.Echo;
                BridgeTelemetry.Duplicates.Add(1, tag);
                activity?.SetTag("bridge.outcome", outcome.ToString());
                IngestLog.Dropped(logger, type, eventId, conversation.ToString(), outcome.ToString());
                return outcome;
            }

            await durable.WaitAsync(cancellationToken).ConfigureAwait(false);
            BridgeTelemetry.Received.Add(1, tag);
            if (logger.IsEnabled(LogLevel.Debug))
            {
                IngestLog.Ingested(logger, type, eventId, conversation.ToString(), nativeId);
            }

            return IngestOutcome.Accepted;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            IngestLog.NotDurable(logger, type, eventId, conversation.ToString(), ex.Message);
            throw;
        }
    }
}
