using Bridge.Connectors.Abstractions;
using Bridge.Host.Bus;
using Bridge.Host.Configuration;
using Bridge.Host.Connectors;
using Bridge.Host.Health;
using Bridge.Host.Ingest;
using Bridge.Host.Routing;
using Bridge.Host.Store;
using Bridge.Host.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bridge.Host;

/// <summary>
/// Builds a bridge host from a validated configuration. Start order: telemetry, store schema,
/// bus (waits until started), health endpoints, connectors; stop order is the reverse, so the
/// connectors say goodbye first and telemetry flushes last.
/// </summary>
public static class BridgeHostBuilder
{
    public static IHost Build(
        BridgeConfig config,
        IEnumerable<IConnectorFactory> factories,
        Action<ILoggingBuilder>? logging = null,
        Action<IServiceCollection>? services = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.AddFilter("MassTransit", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        if (logging is null)
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            });
        }
        else
        {
            logging(builder.Logging);
        }

        builder.Logging.DropReturnedPublishFaults();

        var s = builder.Services;
        s.AddBridgeTelemetry(config.Telemetry);
        s.AddSingleton(config);
        s.AddSingleton(config.Delivery);
        s.AddSingleton(config.Health);
        s.AddSingleton(TimeProvider.System);
        s.AddBridgeStore(config.Store);
        s.AddSingleton(new RouteTable(config.Routes));
        s.AddSingleton(new UserDirectory(config.Users));
        foreach (var factory in factories)
        {
            s.AddSingleton(factory);
        }

        s.AddSingleton<ConnectorRegistry>();
        s.AddSingleton<RoutePublisher>();
        s.AddSingleton<Delivery.DeliveryRecorder>();
        s.AddSingleton<IngestSink>();
        s.AddBridgeBus(config);
        s.AddSingleton<HealthServer>();
        s.AddHostedService(sp => sp.GetRequiredService<HealthServer>());
        s.AddHostedService<ConnectorWorker>();
        s.AddHostedService<Runtime.NativeHeapTrimmer>();
        services?.Invoke(s);
        return builder.Build();
    }
}
