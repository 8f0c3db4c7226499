using System.Diagnostics;
using Bridge.Connectors.Abstractions;
using Bridge.Contracts.V1;
using Bridge.Host.Bus;
using Bridge.Host.Configuration;
using Bridge.Host.Connectors;
using Bridge.Host.Store;
using Bridge.Host.Telemetry;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Bridge.Host.Delivery;

/// <summary>
/// Delivers a <see cref="DeliveryBatch"/> to its target connector. Instructions for different target
/// conversations go concurrently; one conversation's go one after another, in batch order. Already
/// delivered (the id map knows the event on that target): not sent again. Each success is recorded
/// in the id map at once and announced with <see cref="MessageDelivered"/> (published off the
/// delivery path by <see cref="OutcomePublisher"/>). An instruction that fails
/// for good (rejected, too large, unsupported, out of retries; see <see cref="TargetSender"/>) gets
/// a <see cref="DeliveryFailed"/> event and is moved alone, with its reason, to the queue's
/// dead-letter (<c>_error</c>) queue; the rest of the batch goes on, so a poison message never
/// blocks the partition. The batch is acknowledged to the broker when every instruction is done.
/// Batches of one queue may overlap (<see cref="DeliveryOrdering"/>): a conversation's instructions
/// in a batch wait for the same conversation's in the batches delivered before it. To a connector
/// with <see cref="ConnectorCapabilities.PipelinedSends"/> a conversation's posts go pipelined
/// (<c>DeliveryConsumer.Pipelined.cs</c>).
/// </summary>
public sealed partial class DeliveryConsumer(
    ConnectorRegistry registry,
    IBridgeStore store,
    DeliveryRecorder recorder,
    OutcomePublisher outcomePublisher,
    DeliveryOrdering ordering,
    DeliveryConfig config,
    BusTopology topology,
    BusSendMonitor sends,
    TimeProvider time,
    ILogger<DeliveryConsumer> logger) : IConsumer<DeliveryBatch>, IConsumer<DeliverMessage>, IDisposable
{
    // One consumer per message (batch), disposed with its scope once the consume is over.
    private readonly TargetSender _sender = new(config, time, logger);

    public Task Consume(ConsumeContext<DeliveryBatch> context) => DeliverAllAsync(context, context.Message.Deliveries);

    public void Dispose() => _sender.Dispose();

    /// <summary>A single instruction (from a bridge before batching) is a batch of one.</summary>
    public Task Consume(ConsumeContext<DeliverMessage> context) => DeliverAllAsync(context, [context.Message]);

    /// <summary>
    /// When the broker connection died during this consume, MassTransit has cancelled its token;
    /// acknowledging on the dead channel can wedge the receive endpoint (a MassTransit 8 bug), so
    /// end the consume as faulted instead: the message comes back and is recognised as delivered.
    /// </summary>
    internal static void CompleteOnlyIfStillConnected(ConsumeContext context) => context.CancellationToken.ThrowIfCancellationRequested();

    private async Task DeliverAllAsync(ConsumeContext context, IReadOnlyList<DeliverMessage> deliveries)
    {
        using var admission = await AdmitAsync(context, deliveries).ConfigureAwait(false);
        var run = new BatchRun(context, admission);
        // One store lookup for the whole batch: which of these the target already has.
        var known = await store.FindNativesAsync(deliveries.Select(d => (d.EventId, d.Target)).ToArray(), context.CancellationToken).ConfigureAwait(false);
        var pending = new List<(DeliverMessage, string?)>(deliveries.Count);
        var seen = new HashSet<(Guid, EndpointRef, DeliveryAction)>(deliveries.Count);
        for (var i = 0; i < deliveries.Count; i++)
        {
            // A repeated instruction in one batch (the same event for the same target) goes once.
            if (seen.Add((deliveries[i].EventId, deliveries[i].Target, deliveries[i].Action)))
            {
                pending.Add((deliveries[i], known[i]));
            }
        }

        if (pending.Count == 1)
        {
            await DeliverConversationAsync(run, pending[0].Item1.Target, pending).ConfigureAwait(false);
        }
        else
        {
            var conversations = new Dictionary<EndpointRef, List<(DeliverMessage, string?)>>(pending.Count);
            foreach (var item in pending)
            {
                if (!conversations.TryGetValue(item.Item1.Target, out var list))
                {
                    conversations[item.Item1.Target] = list = new(1);
                }

                list.Add(item);
            }

            await Task.WhenAll(conversations.Select(c => DeliverConversationAsync(run, c.Key, c.Value))).ConfigureAwait(false);
        }

        // Every delivered copy is in the id map before the batch is acknowledged (and before its
        // outcome is announced); a conversation's next send did not wait for its record.
        await Task.WhenAll(run.Records).ConfigureAwait(false);

        // Outcome events are notifications for observers: queued for publishing once the batch is
        // done, never awaited here (their confirms would hold up the next batch), and a failure to
        // publish one is logged, never allowed to fault the batch.
        foreach (var outcome in run.Outcomes)
        {
            await outcomePublisher.EnqueueWantedAsync(outcome, context.CancellationToken).ConfigureAwait(false);
        }

        CompleteOnlyIfStillConnected(context);

        // Every send returned, each at its first attempt, and the dead-letter copies are confirmed:
        // nothing reads this batch's texts any more (outcome events carry none).
        if (!_sender.AnyAttemptFailed)
        {
            Bus.Serialization.ReceivedBatchLease.Return(context);
        }
    }

    /// <summary>Waits for this queue's earlier batches to finish with this conversation, when they overlap with this one.</summary>
    private async Task<DeliveryOrder.Admission?> AdmitAsync(ConsumeContext context, IReadOnlyList<DeliverMessage> deliveries)
    {
        if (ordering.For(context.ReceiveContext, out var consumerTag, out var deliveryTag) is not { } order)
        {
            return null;
        }

        var admission = await order.AdmitAsync(consumerTag, deliveryTag, deliveries, context.CancellationToken).ConfigureAwait(false);
        if (admission.AfterGap)
        {
            DeliveryLog.TagGap(logger, context.ReceiveContext.InputAddress.AbsolutePath, deliveryTag, order.GapTimeout.TotalMilliseconds);
        }

        return admission;
    }

    private async Task DeliverConversationAsync(BatchRun run, EndpointRef conversation, IReadOnlyList<(DeliverMessage Delivery, string? Existing)> deliveries)
    {
        var admission = run.Admission;
        try
        {
            if (admission is not null)
            {
                await admission.PreviousIn(conversation).ConfigureAwait(false);
            }

            if (Pipelined(conversation, deliveries.Count))
            {
                await DeliverPipelinedAsync(run, deliveries).ConfigureAwait(false);
                return;
            }

            for (var i = 0; i < deliveries.Count; i++)
            {
                var (d, known) = deliveries[i];
                var existing = known ?? await LookAgainIfEarlierBatchHoldsAsync(run, d).ConfigureAwait(false);
                Collect(run, d, await DeliverOneAsync(run, d, existing).ConfigureAwait(false));
            }
        }
        finally
        {
            admission?.Finished(conversation);
        }
    }

    /// <summary>
    /// An earlier batch still working on the same instruction (a redelivered route batch sends its
    /// instructions again): once it is settled, the id map says whether it got through.
    /// </summary>
    private async Task<string?> LookAgainIfEarlierBatchHoldsAsync(BatchRun run, DeliverMessage d)
    {
        if (run.Admission?.EarlierCopyOf(d.EventId, d.Target) is not { } earlier)
        {
            return null;
        }

        // Settled, or its record failed: either way the id map now says what got through.
        await earlier.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return await store.FindNativeAsync(d.EventId, d.Target, run.Context.CancellationToken).ConfigureAwait(false);
    }

    private static void Collect(BatchRun run, DeliverMessage d, DeliveryStep step)
    {
        if (step.Outcome is not null)
        {
            run.AddOutcome(step.Outcome);
        }

        run.AddRecord(d, step.Record);
    }

    /// <summary>
    /// Delivers one instruction (<paramref name="existing"/>: the target's id for it, if already
    /// delivered); returns the outcome event to publish, if any, and the id-map record of a
    /// delivered copy, started here and awaited with the rest of the batch. With
    /// <paramref name="written"/>, the one attempt of a pipelined post: a failure is returned
    /// unsettled and marks <paramref name="line"/>; <paramref name="earlierAttempt"/> is that
    /// failure when the post is sent again in its turn.
    /// </summary>
    private async Task<DeliveryStep> DeliverOneAsync(BatchRun run, DeliverMessage d, string? existing,
        SendWritten? written = null, PipelineLine? line = null, SendResult? earlierAttempt = null)
    {
        var context = run.Context;
        var ct = context.CancellationToken;
        using var activity = BatchTelemetry.StartFor("deliver", d.TraceParent);
        activity?.SetTag("bridge.event_id", d.EventId.ToString("N"));
        activity?.SetTag("bridge.target", d.Target.ToString());
        activity?.SetTag("bridge.route", d.Route);
        activity?.SetTag("bridge.action", d.Action.ToString());

        var connector = registry.Find(d.Target.Connector);
        if (connector is null)
        {
            return new(Announced(await DeadLetterAsync(context, d, DeliveryOutcome.Failed(DeliveryFailureKind.Rejected, $"no connector named {d.Target.Connector} in this bridge", 0)).ConfigureAwait(false)), null);
        }

        if (existing is not null)
        {
            DeliveryLog.AlreadyDelivered(logger, d.EventId, d.Target.ToString(), existing);
            return default;
        }

        if (Unsupported(connector, d) is { } reason)
        {
            DeliveryLog.Skipped(logger, d.Action.ToString(), d.EventId, d.Target.ToString(), reason);
            BridgeTelemetry.Failed.Add(1, new KeyValuePair<string, object?>("reason", "unsupported"));
            return new(Announced(new DeliveryFailed(d.EventId, d.Route, d.Target, d.Action, DeliveryFailureKind.Unsupported, reason, 0, time.GetUtcNow())), null);
        }

        DeliveryOutcome outcome;
        if (written is not null)
        {
            SendResult attempt;
            try
            {
                attempt = await _sender.AttemptAsync(connector, d, written, ct).ConfigureAwait(false);
            }
            catch
            {
                // Only a cancelled consume gets here (a send that threw is a refusal, see
                // TargetSender): its batch comes back, and nothing later goes out meanwhile.
                line?.Break();
                throw;
            }

            if (!attempt.Succeeded)
            {
                line?.Break();
                activity?.AddEvent(new ActivityEvent("pipelined send failed; sent again in its turn", tags: new ActivityTagsCollection { ["bridge.result"] = attempt.ToString() }));
                return new(null, null, attempt);
            }

            outcome = DeliveryOutcome.Sent(attempt.NativeMessageId!);
        }
        else
        {
            outcome = await _sender.SendAsync(connector, d, ct, earlierAttempt).ConfigureAwait(false);
        }

        if (outcome.NativeMessageId is not { } nativeId)
        {
            return new(Announced(await DeadLetterAsync(context, d, outcome).ConfigureAwait(false)), null);
        }

        var record = recorder.RecordAsync(new DeliveryRecord(d.EventId, d.Target, nativeId), run.Admission?.SettleOnRecord(d.EventId, d.Target));
        var now = time.GetUtcNow();
        var latency = Math.Max(0, (now - d.IngestedAt).TotalMilliseconds);
        var tags = new TagList { { "route", d.Route }, { "target", d.Target.Connector } };
        BridgeTelemetry.Relayed.Add(1, tags);
        BridgeTelemetry.RelayLatency.Record(latency, tags);
        if (logger.IsEnabled(LogLevel.Debug))
        {
            DeliveryLog.Delivered(logger, d.Action.ToString(), d.EventId, d.Target.ToString(), nativeId, latency);
        }
        // Made only when it is to be announced: by default nobody listens, and this is every delivery.
        var delivered = Announces(typeof(MessageDelivered)) ? new MessageDelivered(d.EventId, d.Route, d.Target, d.Action, nativeId, now, latency) : null;
        return new(delivered, record);
    }

    /// <summary>Moves one instruction, with its reason in headers, to the dead-letter queue of the queue it came from.</summary>
    private async Task<object> DeadLetterAsync(ConsumeContext context, DeliverMessage d, DeliveryOutcome outcome)
    {
        var kind = outcome.Failure ?? DeliveryFailureKind.Rejected;
        var reason = outcome.Reason ?? "unknown";
        DeliveryLog.GaveUp(logger, d.EventId, d.Target.ToString(), outcome.Attempts, reason);
        BridgeTelemetry.Failed.Add(1, new KeyValuePair<string, object?>("reason", kind.ToString()));
        Activity.Current?.SetStatus(ActivityStatusCode.Error, reason);
        var queue = context.ReceiveContext.InputAddress.Segments[^1];
        var endpoint = await context.GetSendEndpoint(new Uri($"queue:{queue}_error")).ConfigureAwait(false);
        var headers = new Dictionary<string, object>
        {
            ["Bridge-Failure-Kind"] = kind.ToString(),
            ["Bridge-Failure-Reason"] = reason,
            ["Bridge-Attempts"] = outcome.Attempts,
        };
        await BoundedSend.SendAsync(endpoint, d, topology.SendTimeout, sends, context.CancellationToken, headers).ConfigureAwait(false);
        return new DeliveryFailed(d.EventId, d.Route, d.Target, d.Action, kind, reason, outcome.Attempts, time.GetUtcNow());
    }

    /// <summary>Whether outcome events of this type are announced: configured (<c>delivery.outcomeEvents</c>) and wanted by the publisher (someone listens, or a probe is due).</summary>
    private bool Announces(Type type) => config.OutcomeEvents switch
    {
        OutcomeEvents.All => true,
        OutcomeEvents.Failures => type == typeof(DeliveryFailed),
        _ => false,
    } && outcomePublisher.Wants(type);

    /// <summary>The outcome event, if it is to be announced (<see cref="Announces"/>); otherwise null.</summary>
    private object? Announced(object outcome) => Announces(outcome.GetType()) ? outcome : null;

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

    /// <summary>
    /// What one batch's concurrent conversations collect: outcome events to announce and the id-map
    /// records to await; an instruction is settled for later batches once its record is in.
    /// </summary>
    private sealed class BatchRun(ConsumeContext context, DeliveryOrder.Admission? admission)
    {
        private readonly List<object> _outcomes = [];
        private readonly List<Task> _records = [];

        public ConsumeContext Context => context;

        public DeliveryOrder.Admission? Admission => admission;

        public IReadOnlyList<object> Outcomes => _outcomes;

        public IReadOnlyList<Task> Records => _records;

        public void AddOutcome(object outcome)
        {
            lock (_outcomes)
            {
                _outcomes.Add(outcome);
            }
        }

        public void AddRecord(DeliverMessage d, Task? record)
        {
            if (record is null)
            {
                admission?.Settled(d.EventId, d.Target);
                return;
            }

            // The record settles the instruction itself (it was made on the admission's
            // completion, see SettleOnRecord), or an earlier copy's record does.
            lock (_records)
            {
                _records.Add(record);
            }
        }
    }
}
