using System.Runtime.InteropServices;

namespace Bridge.Host.Store;

/// <summary>One id-map row as the store writes it; <see cref="Key"/> is the event id's 16 bytes as stored.</summary>
internal sealed record MappingRow(Guid EventId, byte[] Key, string Connector, string Endpoint, string NativeId, bool IsOrigin, long At, long Seq);

/// <summary>
/// The id-map rows appended to the store's log and not yet merged into its clustered map, in the
/// order they were appended, indexed by (event, endpoint) and by native id so a lookup never reads
/// the log. A key is held once (the first write wins, as in the map). Not thread-safe: the store
/// touches it only under its lock.
/// </summary>
internal sealed class RecentMappings
{
    private readonly List<MappingRow> _rows = [];
    private readonly Dictionary<(Guid EventId, string Connector, string Endpoint), MappingRow> _byKey = [];
    private readonly Dictionary<(string Connector, string NativeId), NativeSlot> _byNative = [];
    private readonly HashSet<Guid> _originEvents = [];

    public int Count => _rows.Count;

    public bool Contains(Guid eventId, string connector, string endpoint) => _byKey.ContainsKey((eventId, connector, endpoint));

    /// <summary>Adds a row whose key is not held yet (the caller checks); seqs only grow.</summary>
    public void Add(MappingRow row)
    {
        _rows.Add(row);
        Index(row);
    }

    public string? FindNative(Guid eventId, string connector, string endpoint) =>
        _byKey.TryGetValue((eventId, connector, endpoint), out var row) ? row.NativeId : null;

    /// <summary>Whether an origin row of this event is held, on any endpoint.</summary>
    public bool HasOrigin(Guid eventId) => _originEvents.Contains(eventId);

    /// <summary>The origin row with this native id on the connector if one is held, else a delivered copy's.</summary>
    public MappingRow? FindByNative(string connector, string nativeId) =>
        _byNative.TryGetValue((connector, nativeId), out var slot) ? slot.Origin ?? slot.Copy : null;

    /// <summary>Whether a delivered copy with this native id on the connector is held.</summary>
    public bool HasCopy(string connector, string nativeId) =>
        _byNative.TryGetValue((connector, nativeId), out var slot) && slot.Copy is not null;

    /// <summary>The rows appended up to now, in the order they came.</summary>
    public MappingRow[] Snapshot() => _rows.ToArray();

    /// <summary>Sorts rows as the map clusters them (event id bytes, then endpoint).</summary>
    public static void SortInKeyOrder(MappingRow[] rows) =>
        Array.Sort(rows, static (a, b) =>
        {
            var byId = a.Key.AsSpan().SequenceCompareTo(b.Key);
            if (byId != 0)
            {
                return byId;
            }

            var byConnector = string.CompareOrdinal(a.Connector, b.Connector);
            return byConnector != 0 ? byConnector : string.CompareOrdinal(a.Endpoint, b.Endpoint);
        });

    /// <summary>Forgets the rows with a seq up to <paramref name="lastSeq"/> (merged) and keeps the later ones.</summary>
    public void RemoveThrough(long lastSeq) => Keep(row => row.Seq > lastSeq);

    /// <summary>Forgets the rows from <paramref name="firstSeq"/> on (a transaction that failed to commit).</summary>
    public void RemoveFrom(long firstSeq) => Keep(row => row.Seq < firstSeq);

    private void Keep(Predicate<MappingRow> keep)
    {
        _rows.RemoveAll(row => !keep(row));
        _byKey.Clear();
        _byNative.Clear();
        _originEvents.Clear();
        foreach (var row in _rows)
        {
            Index(row);
        }
    }

    private void Index(MappingRow row)
    {
        _byKey.Add((row.EventId, row.Connector, row.Endpoint), row);
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_byNative, (row.Connector, row.NativeId), out _);
        if (row.IsOrigin)
        {
            _originEvents.Add(row.EventId);
            slot.Origin ??= row;
        }
        else
        {
            slot.Copy ??= row;
        }
    }

    /// <summary>The first origin and the first copy held with one native id on one connector.</summary>
    private struct NativeSlot
    {
        public MappingRow? Origin;
        public MappingRow? Copy;
    }
}
