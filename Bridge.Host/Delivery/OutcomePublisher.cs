using System.Diagnostics;
using System.Threading.Channels;
using Bridge.Host.Configuration;
using Bridge.Host.Telemetry;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bridge.Host.Delivery;

/// <summary>
/// Publishes <c>MessageDelivered</c> / <c>DeliveryFailed</c> off the delivery path. They are
/// notifications for observers, published at most once (a redelivered batch finds its messages
/// already delivered and announces nothing again), so a delivery batch need not wait for their
/// broker confirms before it is acknowledged and the next batch starts. Queued outcomes are
/// published up to <see cref="MaxInFlight"/> at a time; a full queue makes deliveries wait (no
/// outcome is dropped for lack of room). On shutdown the queue is drained before the bus stops
/// (this service is registered after MassTransit, so it stops first); a batch that completes
/// after that logs its outcomes as not published. While no queue is bound to an outcome type
/// (<see cref="OutcomeAudience"/>, <c>delivery.outcomeProbe</c>), its events are not published
/// but for one probe per interval: the broker would drop them anyway.
/// </summary>
/// <remarks>
/// A plain hosted service rather than a <see cref="BackgroundService"/>: since .NET 10 that runs
/// its loop through <c>Task.Run</c> with the stopping token, so a host stopped before the loop got
/// a thread would never start it and never publish what was queued.
/// </remarks>
public sealed class OutcomePublisher(IBus bus, DeliveryConfig config, TimeProvider time, ILogger<OutcomePublisher> logger) : IHostedService
{
    internal const int MaxInFlight = 64;
    private const int QueueCapacity = 10_000;
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(10);

    private readonly Channel<(object Outcome, ActivityContext Parent)> _queue = Channel.CreateBounded<(object, ActivityContext)>(new BoundedChannelOptions(QueueCapacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly OutcomeAudience? _audience = config.OutcomeProbe > TimeSpan.Zero ? new OutcomeAudience(time, config.OutcomeProbe) : null;

    /// <summary>Sets the mandatory flag, so that the broker returns an event no queue is bound to (RabbitMQ only).</summary>
    private static readonly IPipe<PublishContext> Mandatory = Pipe.Execute<PublishContext>(context =>
    {
        if (context.TryGetPayload<RabbitMqSendContext>(out var rabbit))
        {
            rabbit.Mandatory = true;
        }
    });

    private Task? _loop;

    /// <summary>
    /// Whether an outcome event of this type is to be published now: always, unless nobody listens
    /// to the type and its next probe is not due (<see cref="OutcomeAudience"/>), in which case the
    /// event counts as unheard. Asked before the event is even made, on the delivery path.
    /// </summary>
    public bool Wants(Type type)
    {
        if (_audience?.ShouldPublish(type) != false)
        {
            return true;
        }

        CountUnheard(type);
        return false;
    }

    /// <summary>Queues an outcome event if its type is wanted (<see cref="Wants"/>); see <see cref="EnqueueWantedAsync"/>.</summary>
    public ValueTask EnqueueAsync(object outcome, CancellationToken cancellationToken) =>
        Wants(outcome.GetType()) ? EnqueueWantedAsync(outcome, cancellationToken) : ValueTask.CompletedTask;

    /// <summary>
    /// Queues an outcome event whose type <see cref="Wants"/> said yes to; waits only while the
    /// queue is full. Its trace continues under the current activity. After stop began, the event
    /// is logged as not published (never thrown: that would fault a batch whose messages were
    /// delivered).
    /// </summary>
    public async ValueTask EnqueueWantedAsync(object outcome, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.Writer.WriteAsync((outcome, Activity.Current?.Context ?? default), cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            DeliveryLog.OutcomeNotPublished(logger, outcome.GetType().Name, "the bridge is stopping");
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loop = Task.Run(PublishQueuedAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Closes the queue and waits until everything queued is published (or the host's stop timeout).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        if (_loop is not null)
        {
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task PublishQueuedAsync()
    {
        using var slots = new SemaphoreSlim(MaxInFlight, MaxInFlight);
        var pending = new List<Task>();
        // Reads until the queue is completed at stop, so what was queued is still published.
        await foreach (var (outcome, parent) in _queue.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            await slots.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            pending.RemoveAll(t => t.IsCompleted);
            pending.Add(PublishAsync(outcome, parent, slots));
        }

        await Task.WhenAll(pending).ConfigureAwait(false);
    }

    private async Task PublishAsync(object outcome, ActivityContext parent, SemaphoreSlim slots)
    {
        using var activity = parent == default ? null : BridgeTelemetry.Source.StartActivity("publish outcome", ActivityKind.Internal, parent);
        try
        {
            using var timeout = new CancellationTokenSource(PublishTimeout);
            if (_audience is null)
            {
                await bus.Publish(outcome, outcome.GetType(), timeout.Token).ConfigureAwait(false);
                return;
            }

            await bus.Publish(outcome, outcome.GetType(), Mandatory, timeout.Token).ConfigureAwait(false);
            if (_audience.Heard(outcome.GetType()))
            {
                DeliveryLog.OutcomesHeard(logger, outcome.GetType().Name);
            }
        }
        catch (MessageReturnedException)
        {
            // The change is logged before this return is counted: publishes run concurrently, and
            // whoever sees every return counted should find the change in the log already.
            if (_audience!.Unheard(outcome.GetType()))
            {
                DeliveryLog.OutcomesUnheard(logger, outcome.GetType().Name, config.OutcomeProbe.TotalMilliseconds);
            }

            CountUnheard(outcome.GetType());
        }
        catch (Exception ex)
        {
            DeliveryLog.OutcomeNotPublished(logger, outcome.GetType().Name, ex.Message);
        }
        finally
        {
            slots.Release();
        }
    }

    private static void CountUnheard(Type type) =>
        BridgeTelemetry.OutcomesUnheard.Add(1, new KeyValuePair<string, object?>("event", type.Name));
}
