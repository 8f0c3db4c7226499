using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Bridge.Host.Bus;

/// <summary>
/// Keeps MassTransit's error entry for a returned publish out of the log. The bridge sets the
/// mandatory flag on outcome events only (<see cref="Delivery.OutcomePublisher"/>), and a return
/// there is the expected answer while no queue is bound: the publisher reports it itself, once per
/// change (5008 / 5009), and counts it in <c>bridge.outcomes.unheard</c>. MassTransit logs every
/// return as a send fault, with its stack trace, so a bridge with outcome events on and nobody
/// listening wrote one such error per probe interval (four a second by default) under traffic.
/// Every other MassTransit entry passes unchanged.
/// </summary>
internal static class ReturnedPublishLogFilter
{
    /// <summary>Wraps every logger provider registered so far. Call it after the providers are added.</summary>
    public static ILoggingBuilder DropReturnedPublishFaults(this ILoggingBuilder logging)
    {
        var services = logging.Services;
        for (var i = 0; i < services.Count; i++)
        {
            var descriptor = services[i];
            if (descriptor.ServiceType == typeof(ILoggerProvider) && !descriptor.IsKeyedService)
            {
                services[i] = ServiceDescriptor.Singleton<ILoggerProvider>(sp => Wrap(descriptor, sp));
            }
        }

        return logging;
    }

    private static bool IsMassTransit(string category) =>
        category == "MassTransit" || category.StartsWith("MassTransit.", StringComparison.Ordinal);

    private static FilteringProvider Wrap(ServiceDescriptor descriptor, IServiceProvider services) => descriptor switch
    {
        { ImplementationInstance: ILoggerProvider instance } => new FilteringProvider(instance, ownsInner: false),
        { ImplementationFactory: { } factory } => new FilteringProvider((ILoggerProvider)factory(services), ownsInner: true),
        _ => new FilteringProvider((ILoggerProvider)ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!), ownsInner: true),
    };

    private sealed class FilteringProvider(ILoggerProvider inner, bool ownsInner) : ILoggerProvider, ISupportExternalScope
    {
        public ILogger CreateLogger(string categoryName)
        {
            var logger = inner.CreateLogger(categoryName);
            return IsMassTransit(categoryName) ? new FilteringLogger(logger) : logger;
        }

        public void SetScopeProvider(IExternalScopeProvider scopeProvider)
        {
            if (inner is ISupportExternalScope scoped)
            {
                scoped.SetScopeProvider(scopeProvider);
            }
        }

        public void Dispose()
        {
            if (ownsInner)
            {
                inner.Dispose();
            }
        }
    }

    private sealed class FilteringLogger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (exception is MessageReturnedException)
            {
                return;
            }

            inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
