using System.Collections.Concurrent;
using Bridge.Contracts.V1;
using Bridge.Host.Configuration;
using Bridge.Host.Delivery;
using Bridge.Tests.Infrastructure;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Bridge.Tests.Host;

/// <summary>Outcome events leave the delivery path through a queue that is drained before the bus stops, even a stop right after start.</summary>
public sealed class OutcomePublisherTests(ITestOutputHelper output)
{
    private static readonly ConcurrentQueue<Guid> Seen = new();

    private static readonly EndpointRef Target = new("rtm", EndpointKind.Room, "r1");

    [Fact]
    public async Task Outcomes_queued_before_stop_are_all_published_and_later_ones_are_refused_quietly()
    {
        var (host, logs) = Build(hosted: true);
        using var _ = host;
        await host.StartAsync();
        var publisher = host.Services.GetRequiredService<OutcomePublisher>();
        var ids = await EnqueueAsync(publisher, 500);

        await host.StopAsync();

        AssertAllPublished(ids, logs);
        // After stop began: logged as not published, never thrown into the delivery batch.
        await publisher.EnqueueAsync(Delivered(Guid.NewGuid()), CancellationToken.None);
    }

    /// <summary>
    /// The publisher's loop gets a thread after start returned; a stop that comes first must still
    /// publish what was queued (a .NET 10 <c>BackgroundService</c> would never run its loop then).
    /// </summary>
    [Fact]
    public async Task A_publisher_stopped_right_after_it_started_still_publishes_what_was_queued()
    {
        var (host, logs) = Build(hosted: false);
        using var _ = host;
        await host.StartAsync();
        var publisher = host.Services.GetRequiredService<OutcomePublisher>();
        var ids = await EnqueueAsync(publisher, 100);

        await publisher.StartAsync(CancellationToken.None);
        await publisher.StopAsync(CancellationToken.None);

        AssertAllPublished(ids, logs);
        await host.StopAsync();
    }

    /// <summary>An in-memory bus that records what it published, with the publisher registered as a hosted service or not.</summary>
    private (IHost Host, TestLoggerProvider Logs) Build(bool hosted)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        var logs = new TestLoggerProvider(output);
        builder.Logging.AddProvider(logs);
        builder.Services.AddSingleton(new DeliveryConfig(5, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromSeconds(10)));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<OutcomePublisher>();
        builder.Services.AddOptions<MassTransitHostOptions>().Configure(o => o.WaitUntilStarted = true);
        builder.Services.AddMassTransit(x => x.UsingInMemory((context, cfg) => cfg.ConnectPublishObserver(new RecordingObserver())));
        if (hosted)
        {
            builder.Services.AddHostedService(sp => sp.GetRequiredService<OutcomePublisher>());
        }

        return (builder.Build(), logs);
    }

    private static async Task<Guid[]> EnqueueAsync(OutcomePublisher publisher, int count)
    {
        var ids = Enumerable.Range(0, count).Select(_ => Guid.NewGuid()).ToArray();
        foreach (var id in ids)
        {
            await publisher.EnqueueAsync(Delivered(id), CancellationToken.None);
        }

        return ids;
    }

    private static MessageDelivered Delivered(Guid id) => new(id, "route", Target, DeliveryAction.Post, "n1", DateTimeOffset.UtcNow, 1);

    /// <summary>Every id was published, each exactly once.</summary>
    private static void AssertAllPublished(Guid[] ids, TestLoggerProvider logs)
    {
        Assert.True(ids.All(Seen.Contains), $"{ids.Count(Seen.Contains)} of {ids.Length} published; log:\n{string.Join('\n', logs.Lines.Take(20))}");
        Assert.Equal(ids.Order(), Seen.Where(ids.Contains).Order());
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
