using System.Collections.Concurrent;
using Bridge.Contracts.V1;
using Bridge.Host.Configuration;
using Bridge.Host.Delivery;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bridge.Tests.Host;

/// <summary>Outcome events leave the delivery path through a queue that is drained before the bus stops.</summary>
public sealed class OutcomePublisherTests
{
    private static readonly ConcurrentQueue<Guid> Seen = new();

    [Fact]
    public async Task Outcomes_queued_before_stop_are_all_published_and_later_ones_are_refused_quietly()
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(new DeliveryConfig(5, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromSeconds(10)));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<OutcomePublisher>();
        builder.Services.AddOptions<MassTransitHostOptions>().Configure(o => o.WaitUntilStarted = true);
        builder.Services.AddMassTransit(x => x.UsingInMemory((context, cfg) => cfg.ConnectPublishObserver(new RecordingObserver())));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<OutcomePublisher>());
        using var host = builder.Build();
        await host.StartAsync();
        var publisher = host.Services.GetRequiredService<OutcomePublisher>();
        var target = new EndpointRef("rtm", EndpointKind.Room, "r1");
        var ids = Enumerable.Range(0, 500).Select(_ => Guid.NewGuid()).ToArray();

        foreach (var id in ids)
        {
            await publisher.EnqueueAsync(new MessageDelivered(id, "route", target, DeliveryAction.Post, "n1", DateTimeOffset.UtcNow, 1), CancellationToken.None);
        }

        await host.StopAsync();

        Assert.Equal(ids.Order(), Seen.Where(ids.Contains).Order());
        // After stop began: logged as not published, never thrown into the delivery batch.
        await publisher.EnqueueAsync(new MessageDelivered(Guid.NewGuid(), "route", target, DeliveryAction.Post, "n2", DateTimeOffset.UtcNow, 1), CancellationToken.None);
    }

    /// <summary>Counts what reached the transport (a consumer could stop with the bus before reading it).</summary>
    private sealed class RecordingObserver : IPublishObserver
    {
        public Task PrePublish<T>(PublishContext<T> context)
            where T : class => Task.CompletedTask;

        public Task PostPublish<T>(PublishContext<T> context)
            where T : class
        {
            if (context.Message is MessageDelivered delivered)
            {
                Seen.Enqueue(delivered.EventId);
            }

            return Task.CompletedTask;
        }

        public Task PublishFault<T>(PublishContext<T> context, Exception exception)
            where T : class => Task.CompletedTask;
    }
}
