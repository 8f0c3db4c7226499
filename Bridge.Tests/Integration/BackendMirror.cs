using Bridge.Contracts.V1;
using Bridge.Host.Connectors;
using Bridge.Host.Demo;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.Integration;

/// <summary>One real backend (simulator + connector) mirrored with a loopback endpoint on the test broker.</summary>
internal static class BackendMirror
{
    /// <summary>The bridge configuration: the backend's mirrored endpoint and loopback <paramref name="loop"/> room/mirror, format "{text}".</summary>
    public static string Yaml(IDemoBackend backend, string loop) => $$"""
        {{RabbitMqBroker.BusYaml($"t-{Guid.NewGuid():N}")}}
        store: { path: {{BridgeTestHost.TempDatabase()}} }
        health: { enabled: false }
        connectors:
          {{backend.Name}}: {{backend.ConnectorYaml}}
          loop: { type: loopback, backend: {{loop}} }
        routes:
          - mirror: [{{backend.Name}}: {{backend.MirrorEndpoint}}, loop: room/mirror]
            format: "{text}"
        """;

    /// <summary>Starts a bridge and waits until the backend's connector is connected.</summary>
    public static async Task<BridgeTestHost> StartConnectedAsync(string yaml, string connector, ITestOutputHelper output)
    {
        var host = await BridgeTestHost.StartAsync(yaml, output);
        var c = host.Service<ConnectorRegistry>().Find(connector)!;
        await Eventually.TrueAsync(() => c.Status.State == SessionState.Connected, TimeSpan.FromSeconds(20), $"{connector} connected");
        return host;
    }
}
