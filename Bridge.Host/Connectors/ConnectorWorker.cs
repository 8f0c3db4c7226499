using System.Diagnostics.Metrics;
using Bridge.Connectors.Abstractions;
using Bridge.Contracts.V1;
using Bridge.Host.Ingest;
using Bridge.Host.Telemetry;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bridge.Host.Connectors;

/// <summary>
/// Runs every connector's session for the life of the host, hands them the ingest sink, and
/// reports their state changes (log line, gauge, <see cref="ConnectorStateChanged"/> on the bus).
/// A connector that crashes is restarted after a pause; the others are unaffected.
/// </summary>
public sealed class ConnectorWorker(
    ConnectorRegistry registry,
    IngestSink sink,
    IBus publish,
    ILogger<ConnectorWorker> logger) : BackgroundService
{
    private static readonly object GaugeLock = new();
    private static readonly List<ConnectorRegistry> Registries = [];
    private static ObservableGauge<int>? stateGauge;

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        RegisterGauge(registry);
        foreach (var connector in registry.All)
        {
            connector.StatusChanged += status => OnStatusChanged(connector, status);
        }

        return Task.WhenAll(registry.All.Select(c => RunConnectorAsync(c, stoppingToken)));
    }

    private async Task RunConnectorAsync(IConnector connector, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await connector.RunAsync(sink, stoppingToken).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                ConnectorLog.Crashed(logger, connector.Name, ex.Message);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void OnStatusChanged(IConnector connector, ConnectorStatus status)
    {
        ConnectorLog.StateChanged(logger, connector.Name, status.State, status.Reason is null ? string.Empty : $": {status.Reason}");
        _ = PublishStateAsync(new ConnectorStateChanged(connector.Name, status.State, status.Reason, status.Since));
    }

    private async Task PublishStateAsync(ConnectorStateChanged change)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await publish.Publish(change, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            ConnectorLog.StatePublishFailed(logger, change.Connector, ex.Message);
        }
    }

    private static void RegisterGauge(ConnectorRegistry registry)
    {
        lock (GaugeLock)
        {
            Registries.Add(registry);
            stateGauge ??= BridgeTelemetry.Meter.CreateObservableGauge(
                "bridge.connector.state",
                () =>
                {
                    lock (GaugeLock)
                    {
                        return Registries.SelectMany(r => r.All)
                            .Select(c => new Measurement<int>((int)c.Status.State, new KeyValuePair<string, object?>("connector", c.Name)))
                            .ToArray();
                    }
                },
                description: "Session state per connector (0 starting, 1 connecting, 2 connected, 3 transient-disconnect, 4 bad-credentials, 5 kicked, 6 stopped)");
        }
    }

    public override void Dispose()
    {
        lock (GaugeLock)
        {
            Registries.Remove(registry);
        }

        base.Dispose();
    }
}
