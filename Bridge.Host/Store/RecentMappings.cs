using System.Runtime.InteropServices;
using Bridge.Contracts.V1;

namespace Bridge.Host.Store;

/// <summary>One id-map row as the store logged it; <see cref="Endpoint"/> numbers an endpoint of <see cref="RecentMappings"/>.</summary>
internal readonly record struct LoggedRow(Guid EventId, int Endpoint, string NativeId, bool IsOrigin, long At, long Seq);

/// <summary>
/// The id-map rows appended to the store and not yet merged into its indexes, and those the last
/// merge added (see the store's merge), in the order they were appended, indexed by (event,
/// endpoint) and by native id so a lookup finds them without the indexes. A key is held once (the
/// first write wins, as in the map). Rows are structs in arrays sized for <c>capacity</c> rows up
/// front and reused from one merge to the next, so a row costs no object of its own and the rows a
/// merge retires leave no garbage behind but their native ids. Not thread-safe: the store touches
/// it only under its lock.
/// <para>
/// It also knows which events the map holds no row of: the store marks an event when a lookup in
/// the map found none of its rows (<see cref="MarkNotInMap"/>); from then on every row the event
/// gets is appended here, so while every row of it that the indexes hold is still held here, a key
/// of that event not held here is in neither place and the map need not be asked. Under load
/// nearly every lookup is such a miss: a new event's copies are looked up before and again while
/// they are recorded.
/// </para>
/// </summary>
internal sealed class RecentMappings(int capacity)
{
    private readonly List<LoggedRow> _rows = new(capacity);
    private readonly List<(EndpointRef Endpoint, string Path)> _endpoints = [];
    private readonly Dictionary<EndpointRef, int> _endpointIds = [];
    private readonly Dictionary<(Guid EventId, int Endpoint), int> _byKey = new(capacity);
    private readonly Dictionary<(string Connector, string NativeId), NativeSlot> _byNative = new(capacity);
    private readonly HashSet<Guid> _originEvents = new(capacity);
    private readonly HashSet<Guid> _notInMap = new(capacity);

    public int Count => _rows.Count;

    /// <summary>How many events may be marked as not in the map at once (several times the rows held before appends wait for a merge).</summary>
    private int MaxNotInMap => 8 * Math.Max(capacity, 1024);

    /// <summary>The endpoint a row's number stands for, with its path as stored.</summary>
    public (EndpointRef Endpoint, string Path) Endpoint(int number) => _endpoints[number];

    /// <summary>The native id held for a key, if any.</summary>
    public string? FindNative(Guid eventId, EndpointRef endpoint) =>
        _endpointIds.TryGetValue(endpoint, out var number) && _byKey.TryGetValue((eventId, number), out var at) ? _rows[at].NativeId : null;

    /// <summary>Adds a row whose key is not held yet (the caller checks); seqs only grow.</summary>
    public void Add(Guid eventId, EndpointRef endpoint, string path, string nativeId, bool isOrigin, long at, long seq)
    {
        _rows.Add(new LoggedRow(eventId, Number(endpoint, path), nativeId, isOrigin, at, seq));
        Index(_rows.Count - 1);
    }

    /// <summary>
    /// Notes that the map holds no row of this event (the caller just looked, under the store's
    /// lock). Marks of events that never got a row (an ingest that failed) are dropped wholesale
    /// once there are more than <see cref="MaxNotInMap"/>: forgetting a mark only costs a lookup.
    /// </summary>
    public void MarkNotInMap(Guid eventId)
    {
        if (_notInMap.Count >= MaxNotInMap)
        {
            _notInMap.Clear();
        }

        _notInMap.Add(eventId);
    }

    /// <summary>Whether every row of this event is held here (the map holds none of them).</summary>
    public bool NotInMap(Guid eventId) => _notInMap.Contains(eventId);

    /// <summary>Whether an origin row of this event is held, on any endpoint.</summary>
    public bool HasOrigin(Guid eventId) => _originEvents.Contains(eventId);

    /// <summary>Whether a delivered copy with this native id on the connector is held.</summary>
    public bool HasCopy(string connector, string nativeId) =>
        _byNative.TryGetValue((connector, nativeId), out var slot) && slot.Copy > 0;

    /// <summary>The origin row with this native id on the connector if one is held, else a delivered copy's.</summary>
    public LoggedRow? FindByNative(string connector, string nativeId)
    {
        if (!_byNative.TryGetValue((connector, nativeId), out var slot))
        {
            return null;
        }

        var at = slot.Origin > 0 ? slot.Origin : slot.Copy;
        return at > 0 ? _rows[at - 1] : null;
    }

    /// <summary>
    /// Forgets the rows with a seq up to <paramref name="lastSeq"/> (merged) and keeps the later
    /// ones; their events are in the map now.
    /// </summary>
    public void RemoveThrough(long lastSeq) => Keep(lastSeq + 1, long.MaxValue, merged: true);

    /// <summary>Forgets the rows from <paramref name="firstSeq"/> on (a transaction that failed to commit: they are in the map no more than here).</summary>
    public void RemoveFrom(long firstSeq) => Keep(long.MinValue, firstSeq - 1, merged: false);

    /// <summary>Keeps the rows whose seq is in the range and renumbers the endpoints they use.</summary>
    private void Keep(long fromSeq, long toSeq, bool merged)
    {
        var endpoints = _endpoints.ToArray();
        _rows.RemoveAll(row =>
        {
            var removed = row.Seq < fromSeq || row.Seq > toSeq;
            if (removed && merged)
            {
                _notInMap.Remove(row.EventId);
            }

            return removed;
        });
        _endpoints.Clear();
        _endpointIds.Clear();
        _byKey.Clear();
        _byNative.Clear();
        _originEvents.Clear();
        for (var i = 0; i < _rows.Count; i++)
        {
            var row = _rows[i];
            var (endpoint, path) = endpoints[row.Endpoint];
            _rows[i] = row with { Endpoint = Number(endpoint, path) };
            Index(i);
        }
    }

    /// <summary>The endpoint's number, given the next one if it has none yet.</summary>
    private int Number(EndpointRef endpoint, string path)
    {
        ref var number = ref CollectionsMarshal.GetValueRefOrAddDefault(_endpointIds, endpoint, out var known);
        if (!known)
        {
            number = _endpoints.Count;
            _endpoints.Add((endpoint, path));
        }

        return number;
    }

    private void Index(int at)
    {
        var row = _rows[at];
        _byKey.Add((row.EventId, row.Endpoint), at);
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_byNative, (_endpoints[row.Endpoint].Endpoint.Connector, row.NativeId), out _);
        if (row.IsOrigin)
        {
            _originEvents.Add(row.EventId);
            slot.Origin = slot.Origin > 0 ? slot.Origin : at + 1;
        }
        else
        {
            slot.Copy = slot.Copy > 0 ? slot.Copy : at + 1;
        }
    }

    /// <summary>The first origin and the first copy held with one native id on one connector: row positions plus one (0 is none).</summary>
    private struct NativeSlot
    {
        public int Origin;
        public int Copy;
    }
}
