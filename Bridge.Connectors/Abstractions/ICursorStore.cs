namespace Bridge.Connectors.Abstractions;

/// <summary>
/// Per-endpoint catch-up cursors (history or sync positions), kept by the bridge's store so a
/// connector can fetch what it missed after a restart. Advance a cursor only past events the sink
/// has accepted as durable.
/// </summary>
public interface ICursorStore
{
    Task<string?> GetCursorAsync(string connector, string endpointKey, CancellationToken cancellationToken);

    Task SetCursorAsync(string connector, string endpointKey, string cursor, CancellationToken cancellationToken);
}
