using System.Collections.Concurrent;
using System.Globalization;
using Bridge.Connectors.Abstractions;

namespace Bridge.Connectors.Rtm;

/// <summary>
/// Catch-up cursors (the last durable <c>mtime</c>, ms) of the routed endpoints, kept in memory and
/// written to the <see cref="ICursorStore"/> on <see cref="FlushAsync"/>. Cursors only move forward.
/// </summary>
internal sealed class RtmCursorBook(string connector, ICursorStore store, IEnumerable<string> routedPaths)
{
    private readonly HashSet<string> _routed = new(routedPaths, StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _latest = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _stored = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _flush = new(1, 1);

    public bool IsRouted(string path) => _routed.Contains(path);

    public async Task<long?> GetAsync(string path, CancellationToken cancellationToken)
    {
        if (_latest.TryGetValue(path, out var known))
        {
            return known;
        }

        var text = await store.GetCursorAsync(connector, path, cancellationToken).ConfigureAwait(false);
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            _stored[path] = value;
            return _latest.AddOrUpdate(path, value, (_, old) => Math.Max(old, value));
        }

        return null;
    }

    /// <summary>Moves the cursor of a routed endpoint forward (memory only).</summary>
    public void Advance(string path, long mtime)
    {
        if (mtime > 0 && _routed.Contains(path))
        {
            _latest.AddOrUpdate(path, mtime, (_, old) => Math.Max(old, mtime));
        }
    }

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _flush.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var (path, value) in _latest)
            {
                if (!_stored.TryGetValue(path, out var stored) || stored < value)
                {
                    await store.SetCursorAsync(connector, path, value.ToString(CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
                    _stored[path] = value;
                }
            }
        }
        finally
        {
            _flush.Release();
        }
    }
}
