using System.Net;
using System.Text.Json;
using Bridge.Host.Configuration;
using Bridge.Host.Connectors;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bridge.Host.Health;

/// <summary>
/// <c>/healthz</c> (the process is up) and <c>/readyz</c> (the bus is healthy and every connector
/// is connected; 503 with the details otherwise) on a small Kestrel server, bound to 127.0.0.1 by default.
/// </summary>
public sealed partial class HealthServer(HealthConfig config, IBusControl bus, ConnectorRegistry registry, ILogger<HealthServer> logger) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    /// <summary>The bound port once started (useful with port 0).</summary>
    public int Port { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!config.Enabled)
        {
            return;
        }

        // The empty builder: no configuration files, so no file watcher on the working directory
        // (where the SQLite store may live and change thousands of times a second), and no logging.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddRoutingCore();
        var address = config.Bind == "localhost" ? IPAddress.Loopback : IPAddress.Parse(config.Bind);
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(address, config.Port));
        var app = builder.Build();
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", () =>
        {
            var report = Readiness();
            return Results.Text(JsonSerializer.Serialize(report, ReportJson.Default.ReadinessReport), "application/json", statusCode: report.Ready ? 200 : 503);
        });
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        Port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        _app = app;
        Listening(logger, config.Bind, Port);
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
        var app = Interlocked.Exchange(ref _app, null);
        if (app is not null)
        {
            await app.StopAsync(cancellationToken).ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Health endpoints on http://{Bind}:{Port}/healthz and /readyz")]
    private static partial void Listening(ILogger logger, string bind, int port);
}

public sealed record ConnectorReadiness(string State, string? Reason);

public sealed record ReadinessReport(bool Ready, string Bus, string? BusDetail, IReadOnlyDictionary<string, ConnectorReadiness> Connectors);

[System.Text.Json.Serialization.JsonSerializable(typeof(ReadinessReport))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
internal sealed partial class ReportJson : System.Text.Json.Serialization.JsonSerializerContext;
