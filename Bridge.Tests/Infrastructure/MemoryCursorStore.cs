using System.Collections.Concurrent;
using Bridge.Connectors.Abstractions;

namespace Bridge.Tests.Infrastructure;

/// <summary>Catch-up cursors in memory, for connector tests without the host's store.</summary>
public sealed class MemoryCursorStore : ICursorStore
{
    private readonly ConcurrentDictionary<(string, string), string> _cursors = new();

    public Task<string?> GetCursorAsync(string connector, string endpointKey, CancellationToken cancellationToken) =>
        Task.FromResult(_cursors.TryGetValue((connector, endpointKey), out var c) ? c : null);

    public Task SetCursorAsync(string connector, string endpointKey, string cursor, CancellationToken cancellationToken)
    {
        _cursors[(connector, endpointKey)] = cursor;
        return Task.CompletedTask;
    }
}
