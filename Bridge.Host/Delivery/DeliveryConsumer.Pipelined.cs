using Bridge.Connectors.Abstractions;
using Bridge.Contracts.V1;

namespace Bridge.Host.Delivery;

/// <summary>
/// Pipelined posts to one conversation. Strictly one at a time, each post waits a round trip to
/// the backend before the next is sent, and one busy conversation gets no further than that. To a
/// connector with <see cref="ConnectorCapabilities.PipelinedSends"/> a conversation's next post
/// goes as soon as the previous one is written to the connection (never before, so the backend
/// receives them in order), up to <c>delivery.conversationWindow</c> unanswered. A post whose one
/// attempt fails stops the conversation's new sends; once everything in flight has settled, the
/// failed ones are sent again in their order through the usual retries, then sending goes on.
/// Edits, deletes and instructions already delivered go one at a time, after what is in flight.
/// </summary>
public sealed partial class DeliveryConsumer
{
    private bool Pipelined(EndpointRef conversation, int count) =>
        count > 1 && config.ConversationWindow > 1 && registry.Find(conversation.Connector) is { Capabilities.PipelinedSends: true };

    private async Task DeliverPipelinedAsync(BatchRun run, IReadOnlyList<(DeliverMessage Delivery, string? Existing)> deliveries)
    {
        var window = config.ConversationWindow;
        var line = new PipelineLine();
        var inFlight = new Queue<(DeliverMessage Delivery, Task<DeliveryStep> Step)>(Math.Min(window, deliveries.Count));
        try
        {
            foreach (var (d, known) in deliveries)
            {
                var existing = known ?? await LookAgainIfEarlierBatchHoldsAsync(run, d).ConfigureAwait(false);
                var alone = existing is not null || d.Action != DeliveryAction.Post;
                while (inFlight.Count > 0 && (alone || inFlight.Count >= window || line.Broken || inFlight.Peek().Step.IsCompleted))
                {
                    await SettleOldestAsync().ConfigureAwait(false);
                }

                if (inFlight.Count == 0)
                {
                    // Nothing left that could have failed: every failure so far was sent again.
                    line.Reset();
                }

                if (alone)
                {
                    Collect(run, d, await DeliverOneAsync(run, d, existing).ConfigureAwait(false));
                    continue;
                }

                var written = new SendWritten();
                var next = DeliverOneAsync(run, d, null, written, line);
                inFlight.Enqueue((d, next));
                if (!written.IsSet && !next.IsCompleted)
                {
                    // The next post goes once this one is on the wire, or over (not sent, or failed).
                    await Task.WhenAny(written.WhenSet(), next).ConfigureAwait(false);
                }
            }

            while (inFlight.Count > 0)
            {
                await SettleOldestAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            // Leaving early (the consume was cancelled, or a dead-letter send failed): the sends
            // still out end with the consume, so none of them outlives this batch's sender.
            if (inFlight.Count > 0)
            {
                await Task.WhenAll(inFlight.Select(f => f.Step)).ContinueWith(static _ => { }, TaskScheduler.Default).ConfigureAwait(false);
            }
        }

        // The oldest post in flight: collected, or, when its attempt failed, sent again now.
        async Task SettleOldestAsync()
        {
            var (d, pending) = inFlight.Dequeue();
            var step = await pending.ConfigureAwait(false);
            if (step.FailedAttempt is { } failed)
            {
                step = await DeliverOneAsync(run, d, null, earlierAttempt: failed).ConfigureAwait(false);
            }

            Collect(run, d, step);
        }
    }
}

/// <summary>
/// What one delivery leaves to its batch: the outcome event to announce, the id-map record to
/// await, or the failed attempt of a pipelined post that is still to be sent again.
/// </summary>
internal readonly record struct DeliveryStep(object? Outcome, Task? Record, SendResult? FailedAttempt = null);

/// <summary>One conversation's pipelined posts: whether one of those in flight failed since everything last settled.</summary>
internal sealed class PipelineLine
{
    private volatile bool _broken;

    public bool Broken => _broken;

    public void Break() => _broken = true;

    public void Reset() => _broken = false;
}
