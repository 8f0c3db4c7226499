using System.Diagnostics;
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
/// unsupported or out of retries: a failure with the reason. Belongs to one batch: dispose it once
/// the batch's sends are done (the attempts' timeouts are shared, see <see cref="SendDeadlines"/>).
/// </summary>
internal sealed class TargetSender(DeliveryConfig config, TimeProvider time, ILogger logger) : IDisposable
{
    private static readonly TimeSpan NotConnectedPoll = TimeSpan.FromMilliseconds(250);
    private readonly SendDeadlines _deadlines = new(config.SendTimeout);

    public async Task<DeliveryOutcome> SendAsync(IConnector connector, DeliverMessage d, CancellationToken ct)
    {
        var attempts = 0;
        var holding = false;
        while (true)
        {
            SendResult result;
            try
            {
                // Awaited here rather than in a method of its own: one state machine per send, not two.
                result = await StartAttempt(connector, d, _deadlines.For(ct)).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                result = SendResult.TimedOut($"no acknowledgement within {config.SendTimeout.TotalSeconds:0.#} s");
            }

            if (result.Succeeded)
            {
                return DeliveryOutcome.Sent(result.NativeMessageId!);
            }

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

    /// <summary>One attempt: the connector's call for the action, cancelled by <paramref name="timeout"/>.</summary>
    private static Task<SendResult> StartAttempt(IConnector connector, DeliverMessage d, CancellationToken timeout) => d.Action switch
    {
        DeliveryAction.Edit => connector.EditAsync(new OutboundEdit(d.Target, d.TargetNativeMessageId!, d.Body, d.IdempotencyKey, d.EventId), timeout),
        DeliveryAction.Delete => connector.DeleteAsync(new OutboundDelete(d.Target, d.TargetNativeMessageId!, d.IdempotencyKey, d.EventId), timeout),
        _ => connector.SendAsync(new OutboundMessage(d.Target, d.Body, d.IdempotencyKey, d.OriginalSender, d.EventId, d.ReplyToTargetNativeId), timeout),
    };

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
