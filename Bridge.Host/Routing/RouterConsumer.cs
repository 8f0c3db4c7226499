using System.Diagnostics;
using Bridge.Contracts.V1;
using Bridge.Host.Bus;
using Bridge.Host.Bus.Serialization;
using Bridge.Host.Configuration;
using Bridge.Host.Store;
using Bridge.Host.Telemetry;
using MassTransit;
using MessageBody = Bridge.Contracts.V1.MessageBody;
using Microsoft.Extensions.Logging;

namespace Bridge.Host.Routing;

/// <summary>
/// Turns one inbound event into one <see cref="DeliverMessage"/> per target endpoint of the routes
/// that match its source: filters by relay kind, applies the format template with the mapped
/// sender name, and resolves replies, edits and deletes through the id map. A miss in the id map
/// is skipped with a log line, never posted as a new message. A <see cref="RouteBatch"/> is routed
/// event by event, in order; the instructions for each delivery queue go out together as one
/// <see cref="DeliveryBatch"/> per queue (in event order, so a target conversation keeps its order).
/// The consume completes (and the batch is acknowledged to the broker) only after every delivery
/// batch is confirmed. Single events (from a bridge before batching) are routed as a batch of one.
/// </summary>
public sealed class RouterConsumer(
    RouteTable routes,
    UserDirectory users,
    IBridgeStore store,
    BusTopology topology,
    BusSendMonitor sends,
    ILogger<RouterConsumer> logger) :
    IConsumer<RouteBatch>,
    IConsumer<MessagePosted>,
    IConsumer<MessageEdited>,
    IConsumer<MessageDeleted>,
    IConsumer<MembershipChanged>
{
    public Task Consume(ConsumeContext<RouteBatch> context) => RouteAllAsync(context, context.Message.Events);

    public Task Consume(ConsumeContext<MessagePosted> context) => RouteAllAsync(context, [new InboundEvent(Posted: context.Message)]);

    public Task Consume(ConsumeContext<MessageEdited> context) => RouteAllAsync(context, [new InboundEvent(Edited: context.Message)]);

    public Task Consume(ConsumeContext<MessageDeleted> context) => RouteAllAsync(context, [new InboundEvent(Deleted: context.Message)]);

    public Task Consume(ConsumeContext<MembershipChanged> context) => RouteAllAsync(context, [new InboundEvent(Membership: context.Message)]);

    private async Task RouteAllAsync(ConsumeContext context, IReadOnlyList<InboundEvent> events)
    {
        var byQueue = new Dictionary<Uri, List<DeliverMessage>>();
        var routed = new List<(InboundEvent Event, string Type, int Count)>(events.Count);
        foreach (var e in events)
        {
            using var activity = BatchTelemetry.StartFor("route", e.TraceParent);
            activity?.SetTag("bridge.event_id", e.EventId.ToString("N"));
            activity?.SetTag("bridge.source", e.Conversation?.ToString());
            var (type, deliveries) = await RouteOneAsync(e, activity?.Id, context.CancellationToken).ConfigureAwait(false);
            foreach (var d in deliveries)
            {
                var queue = topology.DeliverQueue(d.Target);
                if (!byQueue.TryGetValue(queue, out var list))
                {
                    byQueue[queue] = list = [];
                }

                list.Add(d);
            }

            routed.Add((e, type, deliveries.Count));
        }

        var pending = new List<Task>();
        foreach (var (queue, deliveries) in byQueue)
        {
            for (var i = 0; i < deliveries.Count; i += topology.MaxBatch)
            {
                pending.Add(SendBatchAsync(context, queue, deliveries.GetRange(i, Math.Min(topology.MaxBatch, deliveries.Count - i))));
            }
        }

        await Task.WhenAll(pending).ConfigureAwait(false);
        if (logger.IsEnabled(LogLevel.Debug))
        {
            foreach (var (e, type, count) in routed)
            {
                if (count == 0)
                {
                    RoutingLog.NoRoute(logger, e.Conversation?.ToString() ?? "?", type, e.EventId);
                }
                else
                {
                    RoutingLog.Routed(logger, type, e.EventId, e.Conversation?.ToString() ?? "?", count);
                }
            }
        }

        Delivery.DeliveryConsumer.CompleteOnlyIfStillConnected(context);

        // Every delivery batch made from these events is confirmed: their texts are not read again.
        ReceivedBatchLease.Return(context);
    }

    private async Task<(string Type, List<DeliverMessage> Deliveries)> RouteOneAsync(InboundEvent e, string? trace, CancellationToken ct)
    {
        if (e.Posted is { } posted)
        {
            return (nameof(MessagePosted), await PostedAsync(posted, trace, ct).ConfigureAwait(false));
        }

        if (e.Edited is { } m)
        {
            return (nameof(MessageEdited), await ForExistingAsync(m.EventId, m.Conversation, m.TargetNativeMessageId, RelayKind.Edits, DeliveryAction.Edit, (route, target, native) =>
                new DeliverMessage(
                    m.EventId, route.Name, m.Conversation, target, DeliveryAction.Edit, m.Sender,
                    MessageFormatter.Format(m.NewBody, route.Format, m.Conversation.Connector, users.DisplayName(m.Sender), route.Name),
                    EventIds.IdempotencyKey(m.EventId, DeliveryAction.Edit, target), m.EditedAt, m.EditedAt,
                    TargetNativeMessageId: native, TraceParent: trace), ct).ConfigureAwait(false));
        }

        if (e.Deleted is { } d)
        {
            var deletedBy = d.DeletedBy ?? new Participant(d.Conversation.Connector, string.Empty);
            return (nameof(MessageDeleted), await ForExistingAsync(d.EventId, d.Conversation, d.TargetNativeMessageId, RelayKind.Deletes, DeliveryAction.Delete, (route, target, native) =>
                new DeliverMessage(
                    d.EventId, route.Name, d.Conversation, target, DeliveryAction.Delete, deletedBy,
                    new MessageBody(BodyKind.System, null),
                    EventIds.IdempotencyKey(d.EventId, DeliveryAction.Delete, target), d.DeletedAt, d.DeletedAt,
                    TargetNativeMessageId: native, TraceParent: trace), ct).ConfigureAwait(false));
        }

        if (e.Membership is { } c)
        {
            return (nameof(MembershipChanged), Membership(c, trace));
        }

        RoutingLog.Skipped(logger, "route", e.EventId, "?", "the batch entry carries no event");
        return ("empty", []);
    }

    private async Task<List<DeliverMessage>> PostedAsync(MessagePosted m, string? trace, CancellationToken ct)
    {
        var kind = m.Body.Kind switch
        {
            BodyKind.Text => RelayKind.Text,
            BodyKind.Image => RelayKind.Image,
            BodyKind.Audio => RelayKind.Audio,
            BodyKind.Video => RelayKind.Video,
            BodyKind.File => RelayKind.File,
            _ => RelayKind.System,
        };

        var replyEvent = m.ReplyToNativeId is null
            ? null
            : await store.FindByNativeAsync(m.Conversation.Connector, m.ReplyToNativeId, ct).ConfigureAwait(false);
        var sender = users.DisplayName(m.Sender);
        var deliveries = new List<DeliverMessage>();
        foreach (var (route, target) in routes.TargetsOf(m.Conversation))
        {
            if (!route.Relay.Contains(kind))
            {
                continue;
            }

            string? replyTo = null;
            if (replyEvent is not null)
            {
                replyTo = await store.FindNativeAsync(replyEvent.EventId, target, ct).ConfigureAwait(false);
            }

            deliveries.Add(new DeliverMessage(
                m.EventId,
                route.Name,
                m.Conversation,
                target,
                DeliveryAction.Post,
                m.Sender,
                MessageFormatter.Format(m.Body, route.Format, m.Conversation.Connector, sender, route.Name),
                EventIds.IdempotencyKey(m.EventId, DeliveryAction.Post, target),
                m.SentAt,
                m.ReceivedAt,
                ReplyToTargetNativeId: replyTo,
                MappedSenderId: users.IdOn(m.Sender, target.Connector),
                TraceParent: trace));
        }

        return deliveries;
    }

    private List<DeliverMessage> Membership(MembershipChanged m, string? trace)
    {
        var name = users.DisplayName(m.Member);
        var text = m.Change switch
        {
            MembershipChange.Joined => $"{name} joined",
            MembershipChange.Left => $"{name} left",
            _ => $"{name} is now known as {m.NewName}",
        };
        return routes.TargetsOf(m.Conversation)
            .Where(rt => rt.Route.Relay.Contains(RelayKind.Membership))
            .Select(rt => new DeliverMessage(
                m.EventId, rt.Route.Name, m.Conversation, rt.Target, DeliveryAction.Post, m.Member,
                MessageFormatter.Format(new MessageBody(BodyKind.System, text), rt.Route.Format, m.Conversation.Connector, name, rt.Route.Name),
                EventIds.IdempotencyKey(m.EventId, DeliveryAction.Post, rt.Target), m.At, m.At,
                TraceParent: trace))
            .ToList();
    }

    private async Task<List<DeliverMessage>> ForExistingAsync(
        Guid eventId,
        EndpointRef source,
        string targetNativeId,
        RelayKind kind,
        DeliveryAction action,
        Func<RouteConfig, EndpointRef, string, DeliverMessage> create,
        CancellationToken ct)
    {
        var deliveries = new List<DeliverMessage>();
        var targets = routes.TargetsOf(source).Where(rt => rt.Route.Relay.Contains(kind)).ToList();
        if (targets.Count == 0)
        {
            return deliveries;
        }

        var original = await store.FindByNativeAsync(source.Connector, targetNativeId, ct).ConfigureAwait(false);
        foreach (var (route, target) in targets)
        {
            var native = original is null ? null : await store.FindNativeAsync(original.EventId, target, ct).ConfigureAwait(false);
            if (native is null)
            {
                RoutingLog.Skipped(logger, action.ToString(), eventId, target.ToString(), $"no mirrored copy of {source.Connector} message {targetNativeId} is known there");
                BridgeTelemetry.Failed.Add(1, new KeyValuePair<string, object?>("reason", "unmapped"));
                continue;
            }

            deliveries.Add(create(route, target, native));
        }

        return deliveries;
    }

    private async Task SendBatchAsync(ConsumeContext context, Uri queue, List<DeliverMessage> deliveries)
    {
        using var activity = BatchTelemetry.StartSend("route.send", deliveries.Select(d => d.TraceParent), deliveries.Count);
        var endpoint = await context.GetSendEndpoint(queue).ConfigureAwait(false);
        try
        {
            await BoundedSend.SendAsync(endpoint, new DeliveryBatch(deliveries), topology.SendTimeout, sends, context.CancellationToken, serializer: BatchSerialization.Delivery).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            // Ends the consume as cancelled, not faulted: the batch is not dead-lettered but comes
            // back and is routed again (the delivery stage recognizes what it already delivered).
            throw new OperationCanceledException(ex.Message, ex);
        }
    }
}
