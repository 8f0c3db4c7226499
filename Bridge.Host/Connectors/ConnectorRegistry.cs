using Bridge.Connectors.Abstractions;
using Bridge.Host.Configuration;
using Bridge.Host.Routing;
using Bridge.Host.Store;
using Microsoft.Extensions.Logging;

namespace Bridge.Host.Connectors;

/// <summary>The live connectors of this bridge, created from the validated configuration.</summary>
public sealed class ConnectorRegistry : IAsyncDisposable
{
    private readonly Dictionary<string, IConnector> _connectors = new(StringComparer.Ordinal);

    public ConnectorRegistry(BridgeConfig config, IEnumerable<IConnectorFactory> factories, IBridgeStore store, ILoggerFactory loggerFactory, TimeProvider time)
    {
        var byType = factories.ToDictionary(f => f.Type, StringComparer.Ordinal);
        foreach (var c in config.Connectors)
        {
            var context = new ConnectorContext(c.Name, RouteTable.EndpointsOf(c.Name, config.Routes), store, loggerFactory, time);
            _connectors[c.Name] = byType[c.Type].Create(context, c.Options ?? throw new InvalidOperationException($"connector {c.Name} has no bound options"));
        }
    }

    public IReadOnlyCollection<IConnector> All => _connectors.Values;

    public IConnector? Find(string name) => _connectors.GetValueOrDefault(name);

    public async ValueTask DisposeAsync()
    {
        foreach (var connector in _connectors.Values)
        {
            await connector.DisposeAsync().ConfigureAwait(false);
        }
    }
}
