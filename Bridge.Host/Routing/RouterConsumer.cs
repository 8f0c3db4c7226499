using System.Diagnostics;
using Bridge.Contracts.V1;
using Bridge.Host.Bus;
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
/// is skipped with a log line, never posted as a new message. The consume completes (and the
/// event is acknowledged to the broker) only after every delivery instruction is confirmed.
/// </summary>
public sealed class RouterConsumer(
    RouteTable routes,
    UserDirectory users,
    IBridgeStore store,
    BusTopology topology,
    BusSendMonitor sends,
    ILogger<RouterConsumer> logger) :
    IConsumer<MessagePosted>,
    IConsumer<MessageEdited>,
    IConsumer<MessageDeleted>,
    IConsumer<MembershipChanged>
{
    public async Task Consume(ConsumeContext<MessagePosted> context)
    {
        var m = context.Message;
        using var activity = StartRoute(m.EventId, m.Conversation);
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
            : await store.FindByNativeAsync(m.Conversation.Connector, m.ReplyToNativeId, context.CancellationToken).ConfigureAwait(false);
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
                replyTo = await store.FindNativeAsync(replyEvent.EventId, target, context.CancellationToken).ConfigureAwait(false);
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
                MappedSenderId: users.IdOn(m.Sender, target.Connector)));
        }

        await SendAllAsync(context, deliveries, m.EventId, m.Conversation, nameof(MessagePosted)).ConfigureAwait(false);
    }

    public async Task Consume(ConsumeContext<MessageEdited> context)
    {
        var m = context.Message;
        using var activity = StartRoute(m.EventId, m.Conversation);
        var deliveries = await ForExistingAsync(context, m.EventId, m.Conversation, m.TargetNativeMessageId, RelayKind.Edits, DeliveryAction.Edit, (route, target, native) =>
            new DeliverMessage(
                m.EventId, route.Name, m.Conversation, target, DeliveryAction.Edit, m.Sender,
                MessageFormatter.Format(m.NewBody, route.Format, m.Conversation.Connector, users.DisplayName(m.Sender), route.Name),
                EventIds.IdempotencyKey(m.EventId, DeliveryAction.Edit, target), m.EditedAt, m.EditedAt,
                TargetNativeMessageId: native)).ConfigureAwait(false);
        await SendAllAsync(context, deliveries, m.EventId, m.Conversation, nameof(MessageEdited)).ConfigureAwait(false);
    }

    public async Task Consume(ConsumeContext<MessageDeleted> context)
    {
        var m = context.Message;
        using var activity = StartRoute(m.EventId, m.Conversation);
        var deletedBy = m.DeletedBy ?? new Participant(m.Conversation.Connector, string.Empty);
        var deliveries = await ForExistingAsync(context, m.EventId, m.Conversation, m.TargetNativeMessageId, RelayKind.Deletes, DeliveryAction.Delete, (route, target, native) =>
            new DeliverMessage(
                m.EventId, route.Name, m.Conversation, target, DeliveryAction.Delete, deletedBy,
                new MessageBody(BodyKind.System, null),
                EventIds.IdempotencyKey(m.EventId, DeliveryAction.Delete, target), m.DeletedAt, m.DeletedAt,
                TargetNativeMessageId: native)).ConfigureAwait(false);
        await SendAllAsync(context, deliveries, m.EventId, m.Conversation, nameof(MessageDeleted)).ConfigureAwait(false);
    }

    public async Task Consume(ConsumeContext<MembershipChanged> context)
    {
        var m = context.Message;
        using var activity = StartRoute(m.EventId, m.Conversation);
        var name = users.DisplayName(m.Member);
        var text = m.Change switch
        {
            MembershipChange.Joined => $"{name} joined",
            MembershipChange.Left => $"{name} left",
            _ => $"{name} is now known as {m.NewName}",
        };
        var deliveries = routes.TargetsOf(m.Conversation)
            .Where(rt => rt.Route.Relay.Contains(RelayKind.Membership))
            .Select(rt => new DeliverMessage(
                m.EventId, rt.Route.Name, m.Conversation, rt.Target, DeliveryAction.Post, m.Member,
                MessageFormatter.Format(new MessageBody(BodyKind.System, text), rt.Route.Format, m.Conversation.Connector, name, rt.Route.Name),
                EventIds.IdempotencyKey(m.EventId, DeliveryAction.Post, rt.Target), m.At, m.At))
            .ToList();
        await SendAllAsync(context, deliveries, m.EventId, m.Conversation, nameof(MembershipChanged)).ConfigureAwait(false);
    }

    private async Task<List<DeliverMessage>> ForExistingAsync(
        ConsumeContext context,
        Guid eventId,
        EndpointRef source,
        string targetNativeId,
        RelayKind kind,
        DeliveryAction action,
        Func<RouteConfig, EndpointRef, string, DeliverMessage> create)
    {
        var deliveries = new List<DeliverMessage>();
        var targets = routes.TargetsOf(source).Where(rt => rt.Route.Relay.Contains(kind)).ToList();
        if (targets.Count == 0)
        {
            return deliveries;
        }

        var original = await store.FindByNativeAsync(source.Connector, targetNativeId, context.CancellationToken).ConfigureAwait(false);
        foreach (var (route, target) in targets)
        {
            var native = original is null ? null : await store.FindNativeAsync(original.EventId, target, context.CancellationToken).ConfigureAwait(false);
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

    private async Task SendAllAsync(ConsumeContext context, List<DeliverMessage> deliveries, Guid eventId, EndpointRef source, string type)
    {
        if (deliveries.Count == 0)
        {
            RoutingLog.NoRoute(logger, source.ToString(), type, eventId);
            return;
        }

        var sends = new Task[deliveries.Count];
        for (var i = 0; i < deliveries.Count; i++)
        {
            sends[i] = SendOneAsync(context, deliveries[i]);
        }

        await Task.WhenAll(sends).ConfigureAwait(false);
        RoutingLog.Routed(logger, type, eventId, source.ToString(), deliveries.Count);
        Delivery.DeliveryConsumer.CompleteOnlyIfStillConnected(context);
    }

    private async Task SendOneAsync(ConsumeContext context, DeliverMessage delivery)
    {
        var endpoint = await context.GetSendEndpoint(topology.DeliverQueue(delivery.Target)).ConfigureAwait(false);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        bounded.CancelAfter(topology.SendTimeout);
        try
        {
            await endpoint.Send(delivery, bounded.Token).ConfigureAwait(false);
            sends.Confirmed();
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            sends.TimedOut(); // the consume fails and the message is redelivered
            throw;
        }
    }

    private static Activity? StartRoute(Guid eventId, EndpointRef source)
    {
        var activity = BridgeTelemetry.Source.StartActivity("route", ActivityKind.Internal);
        activity?.SetTag("bridge.event_id", eventId.ToString("N"));
        activity?.SetTag("bridge.source", source.ToString());
        return activity;
    }
}
