using Bridge.Connectors;
using Bridge.Connectors.Abstractions;
using Bridge.Host;
using Bridge.Host.Configuration;
using Bridge.Tests.Infrastructure.Loopback;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Bridge.Tests.Infrastructure;

/// <summary>A whole bridge in the test process, from YAML, with the loopback connector type added.</summary>
public sealed class BridgeTestHost : IAsyncDisposable
{
    private readonly BridgeRunner _runner;

    private BridgeTestHost(BridgeRunner runner, BridgeConfig config, TestLoggerProvider logs)
    {
        _runner = runner;
        Config = config;
        Logs = logs;
    }

    /// <summary>The host now running; a stuck bus replaces it (see <see cref="BridgeRunner"/>).</summary>
    public IHost Host => _runner.Current;

    /// <summary>How often the host was replaced because the bus stayed stuck.</summary>
    public int HostRestarts => _runner.Restarts;

    public BridgeConfig Config { get; }

    public TestLoggerProvider Logs { get; }

    public static IReadOnlyList<IConnectorFactory> Factories { get; } = [.. ConnectorCatalog.BuiltIn, new LoopbackConnectorFactory()];

    public T Service<T>()
        where T : notnull => Host.Services.GetRequiredService<T>();

    public static async Task<BridgeTestHost> StartAsync(string yaml, ITestOutputHelper? output, Func<string, string?>? environment = null)
    {
        var config = ConfigLoader.Load(yaml, "test.yaml", Factories, environment ?? (_ => null));
        var provider = new TestLoggerProvider(output);
        var runner = new BridgeRunner(() => BridgeHostBuilder.Build(config, Factories, logging: b =>
        {
            b.SetMinimumLevel(LogLevel.Debug);
            if (Environment.GetEnvironmentVariable("BRIDGE_TEST_BUS_LOGS") is { Length: > 0 } level)
            {
                b.AddFilter("MassTransit", Enum.Parse<LogLevel>(level, ignoreCase: true));
            }

            b.AddProvider(provider);
        }), TimeProvider.System);
        await runner.StartAsync(CancellationToken.None);
        return new BridgeTestHost(runner, config, provider);
    }

    /// <summary>
    /// A bridge on the test broker mirroring loopback backends <paramref name="a"/> (alpha room/1)
    /// and <paramref name="b"/> (beta room/2); <paramref name="extra"/> adds top-level sections and
    /// <paramref name="routeExtra"/> keys of the route.
    /// </summary>
    public static string TwoLoopbackYaml(string a, string b, string extra = "health: { enabled: false }", string routeExtra = "") => $$"""
        {{RabbitMqBroker.BusYaml($"t-{Guid.NewGuid():N}")}}
        store: { path: {{TempDatabase()}} }
        {{extra}}
        {{TwoLoopbackMirror(a, b, routeExtra)}}
        """;

    /// <summary>The connectors and routes sections of <see cref="TwoLoopbackYaml"/>, for tests that write their own bus and store.</summary>
    public static string TwoLoopbackMirror(string a, string b, string routeExtra = "") => $$"""
        connectors:
          alpha: { type: loopback, backend: {{a}} }
          beta: { type: loopback, backend: {{b}} }
        routes:
          - mirror: [alpha: room/1, beta: room/2]
            {{routeExtra}}
        """;

    public static string TempDatabase() => Path.Combine(Path.GetTempPath(), $"bridge-test-{Guid.NewGuid():N}.db");

    public async Task StopAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _runner.StopAsync(cts.Token);
    }

    public ValueTask DisposeAsync() => _runner.DisposeAsync();
}
