using MassTransit;

namespace Bridge.Host.Bus;

/// <summary>
/// A send that waits for the broker's confirm at most the topology's send timeout. A confirm lost
/// with its connection must not hold a partition (and the connection's recovery) forever: the
/// send fails, nothing is acknowledged, and the source redelivers. Every outcome is reported to
/// the <see cref="BusSendMonitor"/>, which tells a stuck bus from a slow one. A
/// <c>serializer</c> replaces the bus's default (MassTransit's JSON envelope) for this send; a
/// body it makes in pooled storage (<see cref="Serialization.IRecyclableBody"/>) is given back once
/// the send is confirmed.
/// </summary>
internal static class BoundedSend
{
    private static readonly Dictionary<string, object> EmptyHeaders = [];

    public static async Task SendAsync<T>(ISendEndpoint endpoint, T message, TimeSpan timeout, BusSendMonitor monitor, CancellationToken cancellationToken, IReadOnlyDictionary<string, object>? headers = null, IMessageSerializer? serializer = null)
        where T : class
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        try
        {
            if (headers is null && serializer is null)
            {
                await endpoint.Send(message, bounded.Token).ConfigureAwait(false);
            }
            else
            {
                SendContext<T>? sent = null;
                await endpoint.Send(message, context =>
                {
                    sent = context;
                    if (serializer is not null)
                    {
                        context.Serializer = serializer;
                    }

                    foreach (var (key, value) in headers ?? EmptyHeaders)
                    {
                        context.Headers.Set(key, value);
                    }
                }, bounded.Token).ConfigureAwait(false);

                // Only after a confirm: a send that failed or timed out may still be read by the transport.
                Serialization.IRecyclableBody.AfterConfirm(sent);
            }

            monitor.Confirmed();
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            monitor.TimedOut();
            throw new TimeoutException($"the broker did not confirm within {timeout.TotalSeconds:0} s");
        }
    }
}
