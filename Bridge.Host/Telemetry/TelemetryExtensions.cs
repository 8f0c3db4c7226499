using Bridge.Connectors.Abstractions;
using Bridge.Host.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Bridge.Host.Telemetry;

/// <summary>
/// OpenTelemetry through <see cref="OpenTelemetrySdk.Create"/>, tied to the host's lifetime: it is
/// created when the host starts (first, so it stops last) and flushed and disposed when the host
/// stops. Traces: MassTransit's ActivitySource plus the host's and the connectors' own, one trace
/// per message. Exported over OTLP to the endpoint in YAML, else to the standard OTEL_* variables.
/// </summary>
public static class TelemetryExtensions
{
    public static readonly string[] Sources = ["MassTransit", BridgeTelemetry.Name, ConnectorDiagnostics.Name];

    /// <summary>
    /// The bridge's own meters and the runtime's (<c>System.Runtime</c>: GC collections and pause
    /// time, heap sizes, thread pool, CPU, working set), so that a pause or a starved thread pool
    /// shows next to the relay's counters.
    /// </summary>
    public static readonly string[] Meters = [BridgeTelemetry.Name, ConnectorDiagnostics.Name, "System.Runtime"];

    public static IServiceCollection AddBridgeTelemetry(this IServiceCollection services, TelemetryConfig config)
    {
        services.AddHostedService(_ => new TelemetryLifetime(config));
        return services;
    }

    internal static bool HasEndpoint(TelemetryConfig config) =>
        config.Enabled && (config.OtlpEndpoint is not null || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT")));

    internal static OpenTelemetrySdk Create(TelemetryConfig config) => OpenTelemetrySdk.Create(builder => builder
        .ConfigureResource(r => r.AddService(config.ServiceName))
        .WithTracing(t => t.AddSource(Sources).AddOtlpExporter(o => Configure(o, config, "traces")))
        .WithMetrics(m => m.AddMeter(Meters).AddOtlpExporter(o => Configure(o, config, "metrics"))));

    private static void Configure(OtlpExporterOptions options, TelemetryConfig config, string signal)
    {
        if (config.OtlpEndpoint is null)
        {
            return; // OTEL_EXPORTER_OTLP_* variables apply.
        }

        options.Protocol = config.Protocol == OtlpProtocol.Grpc ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
        var endpoint = config.OtlpEndpoint;
        if (options.Protocol == OtlpExportProtocol.HttpProtobuf && endpoint.AbsolutePath is "/" or "")
        {
            endpoint = new Uri(endpoint, $"/v1/{signal}");
        }

        options.Endpoint = endpoint;
    }

    private sealed class TelemetryLifetime(TelemetryConfig config) : IHostedService, IDisposable
    {
        private OpenTelemetrySdk? _sdk;

        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (HasEndpoint(config))
            {
                _sdk = Create(config);
            }

            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken)
        {
            Dispose();
            return Task.CompletedTask;
        }

        public void Dispose()
        {
            var sdk = Interlocked.Exchange(ref _sdk, null);
            if (sdk is not null)
            {
                sdk.TracerProvider.ForceFlush(5000);
                sdk.MeterProvider.ForceFlush(5000);
                sdk.Dispose();
            }
        }
    }
}
