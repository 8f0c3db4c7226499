using Bridge.Contracts.V1;
using Microsoft.Extensions.Logging;

namespace Bridge.Connectors.Abstractions;

/// <summary>Everything the host gives a connector when it creates it.</summary>
public sealed record ConnectorContext(
    string Name,
    IReadOnlyList<EndpointRef> Endpoints,
    ICursorStore Cursors,
    ILoggerFactory LoggerFactory,
    TimeProvider Time)
{
    /// <summary>The endpoints of the given kind that the routes name for this connector.</summary>
    public IEnumerable<EndpointRef> EndpointsOfKind(EndpointKind kind) => Endpoints.Where(e => e.Kind == kind);
}
