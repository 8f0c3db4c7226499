using System.Collections.Concurrent;

namespace Bridge.Connectors.Glide;

/// <summary>The cliMids the bridge sent recently (bounded), to recognise their group echoes.</summary>
internal sealed class GlideOwnMessages(int capacity = 65536)
{
    private readonly ConcurrentDictionary<string, byte> _set = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();

    public void Add(string cliMid)
    {
        if (!_set.TryAdd(cliMid, 0))
        {
            return;
        }

        _order.Enqueue(cliMid);
        while (_order.Count > capacity && _order.TryDequeue(out var old))
        {
            _set.TryRemove(old, out _);
        }
    }

    public bool Contains(string? cliMid) => cliMid is not null && _set.ContainsKey(cliMid);
}
