using System.Diagnostics;
using Bridge.Connectors.Abstractions;
using Bridge.Contracts.V1;
using Bridge.Host.Bus;
using Bridge.Host.Store;
using Bridge.Host.Telemetry;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Bridge.Host.Ingest;

/// <summary>
/// Where connectors hand inbound events. Per conversation, in call order: drop what the store has
/// already ingested or what the bridge itself delivered; otherwise send the event to its router
/// partition queue (the call returns once the broker confirmed it), then record the ingest.
/// Publish-then-record means a crash in between re-sends the event on redelivery; the router and
/// delivery stages are idempotent per event id, so nothing is duplicated at the targets.
/// </summary>
public sealed class IngestSink(
    IBridgeStore store,
    IBus sendEndpoints,
    BusTopology topology,
    BusSendMonitor sends,
    ILogger<IngestSink> logger) : IInboundSink
{
    private readonly OrderedLanes _lanes = new();

    public Task<IngestOutcome> PostedAsync(MessagePosted message, CancellationToken cancellationToken) =>
        Ingest(message.EventId, message.Conversation, message.NativeMessageId, message, cancellationToken);

    public Task<IngestOutcome> EditedAsync(MessageEdited message, CancellationToken cancellationToken) =>
        Ingest(message.EventId, message.Conversation, $"edit:{message.EventId:N}", message, cancellationToken);

    public Task<IngestOutcome> DeletedAsync(MessageDeleted message, CancellationToken cancellationToken) =>
        Ingest(message.EventId, message.Conversation, $"delete:{message.EventId:N}", message, cancellationToken);

    public Task<IngestOutcome> MembershipAsync(MembershipChanged change, CancellationToken cancellationToken) =>
        Ingest(change.EventId, change.Conversation, $"member:{change.EventId:N}", change, cancellationToken);

    private Task<IngestOutcome> Ingest<T>(Guid eventId, EndpointRef conversation, string nativeId, T message, CancellationToken cancellationToken)
        where T : class =>
        _lanes.Run(conversation.ToString(), () => IngestNow(eventId, conversation, nativeId, message, cancellationToken));

    private async Task<IngestOutcome> IngestNow<T>(Guid eventId, EndpointRef conversation, string nativeId, T message, CancellationToken cancellationToken)
        where T : class
    {
        using var activity = BridgeTelemetry.Source.StartActivity("ingest", ActivityKind.Internal);
        activity?.SetTag("bridge.event_id", eventId.ToString("N"));
        activity?.SetTag("bridge.conversation", conversation.ToString());
        var type = typeof(T).Name;
        var tag = new KeyValuePair<string, object?>("connector", conversation.Connector);
        try
        {
            var lookup = await store.LookupIngestAsync(eventId, conversation.Connector, nativeId, cancellationToken).ConfigureAwait(false);
            if (lookup != IngestLookup.New)
            {
                var outcome = lookup == IngestLookup.AlreadyIngested ? IngestOutcome.Duplicate : IngestOutcome.Echo;
                BridgeTelemetry.Duplicates.Add(1, tag);
                activity?.SetTag("bridge.outcome", outcome.ToString());
                IngestLog.Dropped(logger, type, eventId, conversation.ToString(), outcome.ToString());
                return outcome;
            }

            var endpoint = await sendEndpoints.GetSendEndpoint(topology.RouteQueue(conversation)).ConfigureAwait(false);
            using (var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                // A publisher confirm lost with its connection must not hold the conversation (and
                // the connection's recovery) forever: give up, do not acknowledge, let the backend redeliver.
                bounded.CancelAfter(topology.SendTimeout);
                try
                {
                    await endpoint.Send(message, bounded.Token).ConfigureAwait(false);
                    sends.Confirmed();
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    sends.TimedOut();
                    throw new TimeoutException($"the broker did not confirm within {topology.SendTimeout.TotalSeconds:0} s");
                }
            }
            await store.RecordIngestAsync(eventId, conversation, nativeId, cancellationToken).ConfigureAwait(false);
            BridgeTelemetry.Received.Add(1, tag);
            IngestLog.Ingested(logger, type, eventId, conversation.ToString(), nativeId);
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
