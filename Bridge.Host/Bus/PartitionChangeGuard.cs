using Bridge.Host.Configuration;
using Bridge.Host.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Bridge.Host.Bus;

/// <summary>
/// Keeps a change of <c>bus.routePartitions</c> or <c>bus.deliveryPartitions</c> from stranding
/// messages. The store remembers the queue layout the bridge last ran with; when the configured
/// counts are smaller, the queues beyond them would never be consumed again. Before the bus
/// starts, each such queue is checked on the broker: empty ones are deleted, and if any still
/// holds messages the bridge refuses to start (nothing consumed, nothing deleted) and says which
/// queues and what to do. Delivery queues of a connector removed from the configuration are only
/// reported, since no configuration of this bridge can deliver them.
/// </summary>
internal sealed partial class PartitionChangeGuard(BridgeConfig config, BusTopology topology, IBridgeStore store, ILogger<PartitionChangeGuard> logger) : IHostedService
{
    private const string StoreConnector = "$bridge";
    private const string StoreKey = "bus.partitions";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var current = QueueLayout.Of(config);
        var previous = QueueLayout.Parse(await store.GetCursorAsync(StoreConnector, StoreKey, cancellationToken).ConfigureAwait(false));
        if (previous is not null && previous != current)
        {
            await CheckSurplusQueuesAsync(previous, current, cancellationToken).ConfigureAwait(false);
        }

        if (previous != current)
        {
            await store.SetCursorAsync(StoreConnector, StoreKey, current.ToString(), cancellationToken).ConfigureAwait(false);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task CheckSurplusQueuesAsync(QueueLayout previous, QueueLayout current, CancellationToken cancellationToken)
    {
        var surplus = new List<string>();
        for (var p = current.RoutePartitions; p < previous.RoutePartitions; p++)
        {
            surplus.Add(topology.RouteQueueName(p));
        }

        var removed = new List<string>();
        foreach (var connector in previous.Connectors)
        {
            var kept = current.Connectors.Contains(connector);
            for (var p = kept ? current.DeliveryPartitions : 0; p < previous.DeliveryPartitions; p++)
            {
                (kept ? surplus : removed).Add(topology.DeliverQueueName(connector, p));
            }
        }

        if (surplus.Count == 0 && removed.Count == 0)
        {
            return;
        }

        var r = config.Bus.RabbitMq;
        var factory = new ConnectionFactory
        {
            HostName = r.Host,
            Port = r.Port,
            VirtualHost = r.VirtualHost,
            UserName = r.Username,
            Password = r.Password.Reveal(),
            ClientProvidedName = "bridge partition check",
        };
        if (r.UseSsl)
        {
            factory.Ssl = new SslOption { Enabled = true, ServerName = r.Host };
        }

        await using var connection = await factory.CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
        var held = new List<string>();
        foreach (var queue in surplus)
        {
            var count = await MessageCountAsync(connection, queue, cancellationToken).ConfigureAwait(false);
            if (count > 0)
            {
                held.Add($"{queue} ({count})");
            }
        }

        foreach (var queue in removed)
        {
            var count = await MessageCountAsync(connection, queue, cancellationToken).ConfigureAwait(false);
            if (count > 0)
            {
                LogRemovedConnectorQueue(logger, queue, count);
            }
        }

        if (held.Count > 0)
        {
            throw new BridgeStartRefusedException(
                $"bus.routePartitions/deliveryPartitions changed from {previous.RoutePartitions}/{previous.DeliveryPartitions} to {current.RoutePartitions}/{current.DeliveryPartitions} " +
                $"while queues beyond the new counts still hold messages: {string.Join(", ", held)}. Nothing was consumed or deleted. " +
                $"Start the bridge with routePartitions: {previous.RoutePartitions} and deliveryPartitions: {previous.DeliveryPartitions} until those queues are empty, then change the counts.");
        }

        foreach (var queue in surplus)
        {
            await DeleteIfEmptyAsync(connection, queue, cancellationToken).ConfigureAwait(false);
        }

        LogRepartitioned(logger, previous.RoutePartitions, previous.DeliveryPartitions, current.RoutePartitions, current.DeliveryPartitions, surplus.Count);
    }

    /// <summary>Messages ready in the queue, or 0 when it does not exist (a passive declare's 404 closes only its own channel).</summary>
    private static async Task<uint> MessageCountAsync(IConnection connection, string queue, CancellationToken cancellationToken)
    {
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            var ok = await channel.QueueDeclarePassiveAsync(queue, cancellationToken).ConfigureAwait(false);
            return ok.MessageCount;
        }
        catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
        {
            return 0;
        }
    }

    private static async Task DeleteIfEmptyAsync(IConnection connection, string queue, CancellationToken cancellationToken)
    {
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            await channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: true, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode is 404 or 406)
        {
            // Gone already, or a message arrived since the check (406): it stays for the next start.
        }
    }

    [LoggerMessage(EventId = 7010, Level = LogLevel.Warning, Message = "{Queue} holds {Count} message(s) for a connector no longer configured; they stay on the broker")]
    private static partial void LogRemovedConnectorQueue(ILogger logger, string queue, uint count);

    [LoggerMessage(EventId = 7011, Level = LogLevel.Information, Message = "Partitions changed from {OldRoute}/{OldDelivery} to {Route}/{Delivery} (route/delivery); {Surplus} surplus queue(s) were empty and are deleted")]
    private static partial void LogRepartitioned(ILogger logger, int oldRoute, int oldDelivery, int route, int delivery, int surplus);

    /// <summary>The partition counts and connectors whose queues a bridge consumes.</summary>
    internal sealed record QueueLayout(int RoutePartitions, int DeliveryPartitions, IReadOnlySet<string> Connectors)
    {
        public static QueueLayout Of(BridgeConfig config) =>
            new(config.Bus.RoutePartitions, config.Bus.DeliveryPartitions, config.Connectors.Select(c => c.Name).ToHashSet(StringComparer.Ordinal));

        /// <summary>Reads <see cref="ToString"/>'s form, <c>route=8;delivery=4;connectors=a,b</c>; null when absent or unreadable.</summary>
        public static QueueLayout? Parse(string? text)
        {
            if (string.IsNullOrEmpty(text))
            {
                return null;
            }

            var parts = text.Split(';').Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
            return parts.TryGetValue("route", out var route) && int.TryParse(route, out var routeCount)
                && parts.TryGetValue("delivery", out var delivery) && int.TryParse(delivery, out var deliveryCount)
                && parts.TryGetValue("connectors", out var names)
                ? new QueueLayout(routeCount, deliveryCount, names.Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal))
                : null;
        }

        public bool Equals(QueueLayout? other) =>
            other is not null && RoutePartitions == other.RoutePartitions && DeliveryPartitions == other.DeliveryPartitions && Connectors.SetEquals(other.Connectors);

        public override int GetHashCode() => HashCode.Combine(RoutePartitions, DeliveryPartitions, Connectors.Count);

        public override string ToString() => $"route={RoutePartitions};delivery={DeliveryPartitions};connectors={string.Join(',', Connectors.Order(StringComparer.Ordinal))}";
    }
}

/// <summary>The bridge found a condition at start that would lose or strand messages; the message says what and how to resolve it.</summary>
public sealed class BridgeStartRefusedException(string message) : Exception(message);
