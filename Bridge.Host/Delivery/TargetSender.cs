using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using Bridge.Connectors.Abstractions;
using Bridge.Contracts.V1;
using Bridge.Host.Configuration;
using Microsoft.Extensions.Logging;

namespace Bridge.Host.Delivery;

/// <summary>What became of one delivery instruction.</summary>
internal readonly record struct DeliveryOutcome(string? NativeMessageId, DeliveryFailureKind? Failure, string? Reason, int Attempts)
{
    public static DeliveryOutcome Sent(string nativeId) => new(nativeId, null, null, 0);

    public static DeliveryOutcome Failed(DeliveryFailureKind kind, string reason, int attempts) => new(null, kind, reason, attempts);
}

/// <summary>
/// Sends one instruction to its target connector until it is acknowledged or given up. Not
/// connected: held, without using up retries, until the session is back. Timeouts: retried with
/// backoff up to the configured count, reusing the idempotency key. Rejected, too large,
/// unsupported, out of retries, or a send that threw: a failure with the reason. Belongs to one batch: dispose it once
/// the batch's sends are done (the attempts' timeouts are shared, see <see cref="SendDeadlines"/>).
/// </summary>
internal sealed class TargetSender(DeliveryConfig config, TimeProvider time, ILogger logger) : IDisposable
{
    private static readonly TimeSpan NotConnectedPoll = TimeSpan.FromMilliseconds(250);
    private readonly SendDeadlines _deadlines = new(config.SendTimeout);
    private volatile bool _anyAttemptFailed;

    /// <summary>
    /// Whether an attempt of this batch did not succeed (timed out, refused, not connected, threw):
    /// a connector may still be working on such a send after its call returned, so the batch's
    /// texts are not handed back for reuse (<see cref="Bus.Serialization.ReceivedBatchLease"/>).
    /// </summary>
    public bool AnyAttemptFailed => _anyAttemptFailed;

    /// <summary>
    /// Sends until acknowledged or given up. <paramref name="pipelined"/>: the failed first attempt
    /// of a pipelined send (<see cref="AttemptAsync"/>), now retried in its turn. A timeout or lost
    /// session counts as that attempt; a refusal is tried once more as a send of its own, since a
    /// connector recovers some refusals itself only then (RTM enters the room on "not in room").
    /// </summary>
    public async Task<DeliveryOutcome> SendAsync(IConnector connector, DeliverMessage d, CancellationToken ct, SendResult? pipelined = null)
    {
        var attempts = 0;
        var holding = false;
        var carried = pipelined is { IsTransient: true } ? pipelined : null;
        while (true)
        {
            SendResult result;
            if (carried is not null)
            {
                result = carried;
                carried = null;
            }
            else
            {
                // AttemptAsync's work, inline: one state machine less per delivery.
                try
                {
                    result = await StartAttempt(connector, d, null, _deadlines.For(ct)).ConfigureAwait(false);
                }
                catch (Exception ex) when (Settles(ex, ct, out var settled))
                {
                    result = settled;
                }
            }

            if (result.Succeeded)
            {
                return DeliveryOutcome.Sent(result.NativeMessageId!);
            }

            _anyAttemptFailed = true;

            Activity.Current?.AddEvent(new ActivityEvent("send failed", tags: new ActivityTagsCollection { ["bridge.result"] = result.ToString() }));
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
                return DeliveryOutcome.Failed(ToFailureKind(result.Failure), result.ToString(), attempts);
            }

            var delay = Backoff(attempts);
            DeliveryLog.Retrying(logger, d.EventId, d.Target.ToString(), attempts, result.ToString(), delay.TotalMilliseconds);
            await Task.Delay(delay, time, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// One attempt, its timeout and a connector that threw turned into results. With
    /// <paramref name="written"/>, the one attempt of a pipelined post, set once it is on the wire:
    /// not retried here, a failure goes back to the caller, which retries it in its turn.
    /// </summary>
    public async Task<SendResult> AttemptAsync(IConnector connector, DeliverMessage d, SendWritten? written, CancellationToken ct)
    {
        SendResult result;
        try
        {
            result = await StartAttempt(connector, d, written, _deadlines.For(ct)).ConfigureAwait(false);
        }
        catch (Exception ex) when (Settles(ex, ct, out var settled))
        {
            result = settled;
        }

        _anyAttemptFailed |= !result.Succeeded;
        return result;
    }

    /// <summary>
    /// What an attempt that threw comes to: its timeout (not the caller's token) is no
    /// acknowledgement, any other exception but a cancellation a refusal. False: the caller's
    /// cancellation, which goes on up.
    /// </summary>
    private bool Settles(Exception ex, CancellationToken ct, [NotNullWhen(true)] out SendResult? result)
    {
        result = ex is OperationCanceledException
            ? (ct.IsCancellationRequested ? null : NoAcknowledgement())
            : Threw(ex);
        return result is not null;
    }

    /// <summary>
    /// A connector's send that throws instead of returning a failure (a defect in it) refuses that
    /// one instruction: it is dead-lettered alone with the exception as its reason, rather than
    /// faulting its whole batch into the error queue.
    /// </summary>
    private static SendResult Threw(Exception ex) => SendResult.Rejected($"the connector's send threw {ex.GetType().Name}: {ex.Message}", "exception");

    private SendResult NoAcknowledgement() => SendResult.TimedOut($"no acknowledgement within {config.SendTimeout.TotalSeconds:0.#} s");

    /// <summary>One attempt: the connector's call for the action, cancelled by <paramref name="timeout"/>.</summary>
    private static Task<SendResult> StartAttempt(IConnector connector, DeliverMessage d, SendWritten? written, CancellationToken timeout) => d.Action switch
    {
        DeliveryAction.Edit => connector.EditAsync(new OutboundEdit(d.Target, d.TargetNativeMessageId!, d.Body, d.IdempotencyKey, d.EventId), timeout),
        DeliveryAction.Delete => connector.DeleteAsync(new OutboundDelete(d.Target, d.TargetNativeMessageId!, d.IdempotencyKey, d.EventId), timeout),
        _ when written is not null => connector.SendAsync(Outbound(d), written, timeout),
        _ => connector.SendAsync(Outbound(d), timeout),
    };

    private static OutboundMessage Outbound(DeliverMessage d) => new(d.Target, d.Body, d.IdempotencyKey, d.OriginalSender, d.EventId, d.ReplyToTargetNativeId);

    public void Dispose() => _deadlines.Dispose();

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
