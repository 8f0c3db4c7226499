using System.Diagnostics;
using Bridge.Connectors.Abstractions;
using Bridge.Contracts.V1;
using Bridge.Host.Configuration;
using Bridge.Host.Connectors;
using Bridge.Host.Store;
using Bridge.Host.Telemetry;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Bridge.Host.Delivery;

/// <summary>
/// Delivers one instruction to its target connector. Already delivered (the id map knows the
/// event on that target): acknowledged without sending again. Not connected: held, without using
/// up retries, until the session is back. Timeouts: retried with backoff up to the configured
/// count, reusing the idempotency key. Rejected, too large, unsupported, or out of retries: a
/// <see cref="DeliveryFailed"/> event and the dead-letter (<c>_error</c>) queue with the reason;
/// the partition moves on, so a poison message never blocks it.
/// </summary>
public sealed class DeliveryConsumer(
    ConnectorRegistry registry,
    IBridgeStore store,
    DeliveryConfig config,
    TimeProvider time,
    ILogger<DeliveryConsumer> logger) : IConsumer<DeliverMessage>
{
    private static readonly TimeSpan NotConnectedPoll = TimeSpan.FromMilliseconds(250);

    public async Task Consume(ConsumeContext<DeliverMessage> context)
    {
        var d = context.Message;
        var ct = context.CancellationToken;
        using var activity = BridgeTelemetry.Source.StartActivity("deliver", ActivityKind.Internal);
        activity?.SetTag("bridge.event_id", d.EventId.ToString("N"));
        activity?.SetTag("bridge.target", d.Target.ToString());
        activity?.SetTag("bridge.route", d.Route);
        activity?.SetTag("bridge.action", d.Action.ToString());

        var connector = registry.Find(d.Target.Connector);
        if (connector is null)
        {
            await FailAsync(context, DeliveryFailureKind.Rejected, $"no connector named {d.Target.Connector} in this bridge", 0).ConfigureAwait(false);
            return;
        }

        var existing = await store.FindNativeAsync(d.EventId, d.Target, ct).ConfigureAwait(false);
        if (existing is not null)
        {
            DeliveryLog.AlreadyDelivered(logger, d.EventId, d.Target.ToString(), existing);
            return;
        }

        if (Unsupported(connector, d) is { } reason)
        {
            DeliveryLog.Skipped(logger, d.Action.ToString(), d.EventId, d.Target.ToString(), reason);
            BridgeTelemetry.Failed.Add(1, new KeyValuePair<string, object?>("reason", "unsupported"));
            await PublishOutcomeAsync(context, new DeliveryFailed(d.EventId, d.Route, d.Target, d.Action, DeliveryFailureKind.Unsupported, reason, 0, time.GetUtcNow())).ConfigureAwait(false);
            return;
        }

        var attempts = 0;
        var holding = false;
        while (true)
        {
            var result = await SendOnceAsync(connector, d, ct).ConfigureAwait(false);
            if (result.Succeeded)
            {
                await RecordSuccessAsync(context, result.NativeMessageId!).ConfigureAwait(false);
                CompleteOnlyIfStillConnected(context);
                return;
            }

            activity?.AddEvent(new ActivityEvent("send failed", tags: new ActivityTagsCollection { ["bridge.result"] = result.ToString() }));
            if (result.Failure == SendFailureKind.NotConnected)
            {
                if (!holding)
                {
                    DeliveryLog.Holding(logger, d.Target.ToString(), d.EventId);
                    holding = true;
                }

                await Task.Delay(NotConnectedPoll, time, ct).ConfigureAwait(false);
                continue;
            }

            attempts++;
            if (!result.IsTransient || attempts > config.Retries)
            {
                await FailAsync(context, ToFailureKind(result.Failure), result.ToString(), attempts).ConfigureAwait(false);
                return;
            }

            var delay = Backoff(attempts);
            DeliveryLog.Retrying(logger, d.EventId, d.Target.ToString(), attempts, result.ToString(), delay.TotalMilliseconds);
            await Task.Delay(delay, time, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// When the broker connection died during this consume, MassTransit has cancelled its token;
    /// acknowledging on the dead channel can wedge the receive endpoint (a MassTransit 8 bug), so
    /// end the consume as faulted instead: the message comes back and is recognised as delivered.
    /// </summary>
    internal static void CompleteOnlyIfStillConnected(ConsumeContext context) => context.CancellationToken.ThrowIfCancellationRequested();

    private async Task<SendResult> SendOnceAsync(IConnector connector, DeliverMessage d, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(config.SendTimeout);
        try
        {
            return d.Action switch
            {
                DeliveryAction.Edit => await connector.EditAsync(new OutboundEdit(d.Target, d.TargetNativeMessageId!, d.Body, d.IdempotencyKey, d.EventId), timeout.Token).ConfigureAwait(false),
                DeliveryAction.Delete => await connector.DeleteAsync(new OutboundDelete(d.Target, d.TargetNativeMessageId!, d.IdempotencyKey, d.EventId), timeout.Token).ConfigureAwait(false),
                _ => await connector.SendAsync(new OutboundMessage(d.Target, d.Body, d.IdempotencyKey, d.OriginalSender, d.EventId, d.ReplyToTargetNativeId), timeout.Token).ConfigureAwait(false),
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return SendResult.TimedOut($"no acknowledgement within {config.SendTimeout.TotalSeconds:0.#} s");
        }
    }

    private async Task RecordSuccessAsync(ConsumeContext<DeliverMessage> context, string nativeId)
    {
        var d = context.Message;
        await store.RecordDeliveryAsync(d.EventId, d.Target, nativeId, CancellationToken.None).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var latency = Math.Max(0, (now - d.IngestedAt).TotalMilliseconds);
        var tags = new TagList { { "route", d.Route }, { "target", d.Target.Connector } };
        BridgeTelemetry.Relayed.Add(1, tags);
        BridgeTelemetry.RelayLatency.Record(latency, tags);
        DeliveryLog.Delivered(logger, d.Action.ToString(), d.EventId, d.Target.ToString(), nativeId, latency);
        await PublishOutcomeAsync(context, new MessageDelivered(d.EventId, d.Route, d.Target, d.Action, nativeId, now, latency)).ConfigureAwait(false);
    }

    /// <summary>
    /// Outcome events are notifications for observers: a failure to publish one is logged, never
    /// allowed to fault the delivery (which would dead-letter a message the target already has).
    /// </summary>
    private async Task PublishOutcomeAsync<T>(ConsumeContext context, T outcome)
        where T : class
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        bounded.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            await context.Publish(outcome, bounded.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !context.CancellationToken.IsCancellationRequested)
        {
            DeliveryLog.OutcomeNotPublished(logger, typeof(T).Name, ex.Message);
        }
    }

    private async Task FailAsync(ConsumeContext<DeliverMessage> context, DeliveryFailureKind kind, string reason, int attempts)
    {
        var d = context.Message;
        DeliveryLog.GaveUp(logger, d.EventId, d.Target.ToString(), attempts, reason);
        BridgeTelemetry.Failed.Add(1, new KeyValuePair<string, object?>("reason", kind.ToString()));
        Activity.Current?.SetStatus(ActivityStatusCode.Error, reason);
        await PublishOutcomeAsync(context, new DeliveryFailed(d.EventId, d.Route, d.Target, d.Action, kind, reason, attempts, time.GetUtcNow())).ConfigureAwait(false);
        throw new DeliveryFailedException($"{kind}: {reason}");
    }

    private static string? Unsupported(IConnector connector, DeliverMessage d)
    {
        var caps = connector.Capabilities;
        return d.Action switch
        {
            DeliveryAction.Edit when !caps.Edits => $"{connector.Name} cannot edit messages",
            DeliveryAction.Delete when !caps.Deletes => $"{connector.Name} cannot delete messages",
            DeliveryAction.Post when !caps.SendKinds.Contains(d.Target.Kind) => $"{connector.Name} cannot send to a {EndpointRef.KindName(d.Target.Kind)}",
            _ => null,
        };
    }

    private TimeSpan Backoff(int attempt)
    {
        var ms = config.RetryDelay.TotalMilliseconds * Math.Pow(2, attempt - 1);
        return TimeSpan.FromMilliseconds(Math.Min(ms, config.MaxRetryDelay.TotalMilliseconds));
    }

    private static DeliveryFailureKind ToFailureKind(SendFailureKind kind) => kind switch
    {
        SendFailureKind.Timeout => DeliveryFailureKind.Timeout,
        SendFailureKind.TooLarge => DeliveryFailureKind.TooLarge,
        SendFailureKind.NotConnected => DeliveryFailureKind.NotConnected,
        SendFailureKind.Unsupported => DeliveryFailureKind.Unsupported,
        _ => DeliveryFailureKind.Rejected,
    };
}
