using Bridge.Host.Bus.Serialization;
using Bridge.Host.Configuration;
using Bridge.Host.Delivery;
using Bridge.Host.Routing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Bridge.Host.Bus;

/// <summary>
/// Registers MassTransit on RabbitMQ (durable queues, publisher confirms) or in memory, with one
/// router queue per route partition and one delivery queue per connector and delivery partition.
/// Router queues are consumed one message at a time; delivery queues may work on
/// <c>bus.deliveryConcurrency</c> batches at once, each target conversation still in queue order
/// (<see cref="DeliveryOrdering"/>). The batches on these queues travel in the bridge's own content
/// types (<see cref="BatchSerialization"/>); everything published for others keeps MassTransit's
/// envelope.
/// </summary>
public static class BusExtensions
{
    public static IServiceCollection AddBridgeBus(this IServiceCollection services, BridgeConfig config)
    {
        var bus = config.Bus;
        var topology = new BusTopology(bus.QueuePrefix, bus.RoutePartitions, bus.DeliveryPartitions, bus.SendTimeout, bus.MaxBatch, bus.MaxBatchBytes);
        services.AddSingleton(topology);
        services.AddSingleton<BusSendMonitor>();
        if (bus.Transport == BusTransport.RabbitMq)
        {
            services.AddSingleton(new BusWatchdogOptions(bus.RecoveryWindow, TimeSpan.FromSeconds(2), BusWatchdogOptions.TcpProbe(bus.RabbitMq.Host, bus.RabbitMq.Port)));
            services.AddSingleton<BusWatchdog>();
            services.AddHostedService<PartitionChangeGuard>();
            services.AddHostedService(sp => sp.GetRequiredService<BusWatchdog>());
        }
        services.AddOptions<MassTransitHostOptions>().Configure(o =>
        {
            o.WaitUntilStarted = true;
            o.StartTimeout = TimeSpan.FromSeconds(60);
            o.StopTimeout = TimeSpan.FromSeconds(30);
        });

        services.AddSingleton<OutcomePublisher>();
        services.AddSingleton<DeliveryOrdering>();
        services.AddMassTransit(x =>
        {
            x.AddConsumer<RouterConsumer>();
            x.AddConsumer<DeliveryConsumer>();
            if (bus.Transport == BusTransport.RabbitMq)
            {
                x.UsingRabbitMq((context, cfg) =>
                {
                    var r = bus.RabbitMq;
                    cfg.Host(r.Host, (ushort)r.Port, r.VirtualHost, h =>
                    {
                        h.Username(r.Username);
                        h.Password(r.Password.Reveal());
                        h.PublisherConfirmation = true;
                        if (r.UseSsl)
                        {
                            h.UseSsl(_ => { });
                        }
                    });
                    ConfigureEndpoints(context, cfg, config, topology);
                });
            }
            else
            {
                x.UsingInMemory((context, cfg) => ConfigureEndpoints(context, cfg, config, topology));
            }
        });

        // After MassTransit's hosted service: hosted services stop in reverse order, so the queued
        // outcome events are published before the bus stops.
        services.AddHostedService(sp => sp.GetRequiredService<OutcomePublisher>());
        return services;
    }

    private static void ConfigureEndpoints(IBusRegistrationContext context, IBusFactoryConfigurator cfg, BridgeConfig config, BusTopology topology)
    {
        for (var p = 0; p < topology.RoutePartitions; p++)
        {
            cfg.ReceiveEndpoint(topology.RouteQueueName(p), e =>
            {
                Serial(e, config.Bus.PrefetchCount);
                e.AddDeserializer(BatchSerialization.Route);
                e.ConfigureConsumer<RouterConsumer>(context);
            });
        }

        foreach (var connector in config.Connectors)
        {
            for (var p = 0; p < topology.DeliveryPartitions; p++)
            {
                cfg.ReceiveEndpoint(topology.DeliverQueueName(connector.Name, p), e =>
                {
                    Serial(e, config.Bus.PrefetchCount);
                    e.ConcurrentMessageLimit = DeliveryOrdering.ConcurrencyFor(config.Bus);
                    e.AddDeserializer(BatchSerialization.Delivery);
                    e.ConfigureConsumer<DeliveryConsumer>(context);
                });
            }
        }
    }

    /// <summary>One message at a time in queue order; messages are sent to these queues directly, never bound to exchanges.</summary>
    private static void Serial(IReceiveEndpointConfigurator endpoint, int prefetch)
    {
        endpoint.ConfigureConsumeTopology = false;
        endpoint.ConcurrentMessageLimit = 1;
        endpoint.PrefetchCount = prefetch;
    }
}
