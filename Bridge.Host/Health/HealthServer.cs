using System.Net;
using System.Text.Json;
using Bridge.Host.Configuration;
using Bridge.Host.Connectors;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bridge.Host.Health;

/// <summary>
/// <c>/healthz</c> (the process is up) and <c>/readyz</c> (the bus is healthy and every connector
/// is connected; 503 with the details otherwise) over HTTP/1.1 (<see cref="ProbeHttpServer"/>),
/// bound to 127.0.0.1 by default.
/// </summary>
public sealed partial class HealthServer(HealthConfig config, IBusControl bus, ConnectorRegistry registry, ILogger<HealthServer> logger) : IHostedService, IAsyncDisposable
{
    private static readonly ProbeResponse Alive = ProbeResponse.Text(200, "ok\n");
    private static readonly ProbeResponse NotFound = ProbeResponse.Text(404, "not found: the endpoints are /healthz and /readyz\n");

    private ProbeHttpServer? _server;

    /// <summary>The bound port once started (useful with port 0).</summary>
    public int Port { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!config.Enabled)
        {
            return Task.CompletedTask;
        }

        var address = config.Bind == "localhost" ? IPAddress.Loopback : IPAddress.Parse(config.Bind);
        var server = new ProbeHttpServer(address, config.Port, Answer, logger);
        Port = server.Start();
        _server = server;
        Listening(logger, config.Bind, Port);
        return Task.CompletedTask;
    }

    public ReadinessReport Readiness()
    {
        var busHealth = bus.CheckHealth();
        var connectors = registry.All.ToDictionary(c => c.Name, c => new ConnectorReadiness(c.Status.State.ToString(), c.Status.Reason));
        var ready = busHealth.Status == BusHealthStatus.Healthy && registry.All.All(c => c.Status.IsConnected);
        return new ReadinessReport(ready, busHealth.Status.ToString(), busHealth.Description, connectors);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _server, null) is { } server)
        {
            await server.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    private ProbeResponse Answer(string path)
    {
        switch (path)
        {
            case "/healthz":
                return Alive;
            case "/readyz":
                var report = Readiness();
                return new ProbeResponse(report.Ready ? 200 : 503, "application/json", JsonSerializer.SerializeToUtf8Bytes(report, ReportJson.Default.ReadinessReport));
            default:
                return NotFound;
        }
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Health endpoints on http://{Bind}:{Port}/healthz and /readyz")]
    private static partial void Listening(ILogger logger, string bind, int port);
}

public sealed record ConnectorReadiness(string State, string? Reason);

public sealed record ReadinessReport(bool Ready, string Bus, string? BusDetail, IReadOnlyDictionary<string, ConnectorReadiness> Connectors);

[System.Text.Json.Serialization.JsonSerializable(typeof(ReadinessReport))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
internal sealed partial class ReportJson : System.Text.Json.Serialization.JsonSerializerContext;
