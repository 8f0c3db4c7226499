using Bridge.Host.Bus;
using Bridge.Tests.Infrastructure;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Bridge.Tests.Host;

/// <summary>
/// Only MassTransit's entries about a returned publish are dropped; its other errors, and a returned
/// publish logged by anyone else, reach every provider, whether it was registered as an instance
/// or as a type the container builds.
/// </summary>
public class ReturnedPublishLogFilterTests
{
    [Fact]
    public void A_returned_publish_is_dropped_from_MassTransit_entries_only()
    {
        var instance = new TestLoggerProvider(null);
        var services = new ServiceCollection();
        services.AddSingleton(new Recorded());
        services.AddLogging(b =>
        {
            b.SetMinimumLevel(LogLevel.Debug);
            b.AddProvider(instance);
            b.Services.AddSingleton<ILoggerProvider, RecordingProvider>();
            b.DropReturnedPublishFaults();
        });

        using (var provider = services.BuildServiceProvider())
        {
            var factory = provider.GetRequiredService<ILoggerFactory>();
            var returned = new MessageReturnedException("The message was returned by RabbitMQ");
            factory.CreateLogger("MassTransit").LogError(returned, "S-FAULT outcome");
            factory.CreateLogger("MassTransit.Messages").LogError(returned, "S-FAULT messages");
            factory.CreateLogger("MassTransit").LogError(new InvalidOperationException("broker gone"), "Connection Failed");
            factory.CreateLogger("Bridge.Host.Delivery.OutcomePublisher").LogWarning(returned, "kept elsewhere");

            foreach (var lines in new[] { instance.Lines, provider.GetRequiredService<Recorded>().Lines })
            {
                Assert.DoesNotContain(lines, l => l.Contains("S-FAULT", StringComparison.Ordinal));
                Assert.Contains(lines, l => l.Contains("Connection Failed", StringComparison.Ordinal));
                Assert.Contains(lines, l => l.Contains("kept elsewhere", StringComparison.Ordinal));
            }

            Assert.False(provider.GetRequiredService<Recorded>().Disposed);
        }
    }

    [Fact]
    public void A_provider_the_container_built_is_still_disposed_with_it()
    {
        var services = new ServiceCollection();
        services.AddSingleton(new Recorded());
        services.AddLogging(b =>
        {
            b.Services.AddSingleton<ILoggerProvider, RecordingProvider>();
            b.DropReturnedPublishFaults();
        });
        var provider = services.BuildServiceProvider();
        var recorded = provider.GetRequiredService<Recorded>();
        provider.GetRequiredService<ILoggerFactory>().CreateLogger("x").LogInformation("hello");

        provider.Dispose();

        Assert.True(recorded.Disposed);
        Assert.Single(recorded.Lines);
    }

    private sealed class Recorded
    {
        public List<string> Lines { get; } = [];

        public bool Disposed { get; set; }
    }

    private sealed class RecordingProvider(Recorded recorded) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(recorded, categoryName);

        public void Dispose() => recorded.Disposed = true;

        private sealed class Logger(Recorded recorded, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (recorded.Lines)
                {
                    recorded.Lines.Add($"{category}: {formatter(state, exception)}");
                }
            }
        }
    }
}
