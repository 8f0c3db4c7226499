using System.Buffers.Binary;

namespace Bridge.Host.Store;

/// <summary>
/// The 64-bit keys the store's two id-map indexes are sorted on. An index entry is a key and a
/// row number (about 20 bytes, some 200 to a page) where the map clustered on event ids held whole
/// rows (about 70 bytes each, plus a native-id index of 60-byte entries): the pages a merge writes
/// at random are a quarter as many and stay in SQLite's page cache far longer. Keys may collide;
/// every lookup checks the row itself. Both are stable across processes and builds (they are stored).
/// </summary>
internal static class MapKeys
{
    /// <summary>An event id's first 8 bytes, big-endian, as a signed integer: event ids are hashes, so these are evenly spread.</summary>
    public static long Event(Guid eventId)
    {
        Span<byte> bytes = stackalloc byte[16];
        eventId.TryWriteBytes(bytes, bigEndian: true, out _);
        return Event(bytes);
    }

    /// <summary>An event key from its stored 16 bytes (the SQL function <c>event_key</c> used when a file is migrated).</summary>
    public static long Event(ReadOnlySpan<byte> storedId) =>
        storedId.Length >= 8 ? BinaryPrimitives.ReadInt64BigEndian(storedId) : throw new ArgumentException("an event id is 16 bytes", nameof(storedId));

    /// <summary>
    /// A hash of the connector and the native id: 64-bit FNV-1a over their UTF-16 code units with a
    /// separator between them, then a final mix so that every bit of the key depends on every
    /// character (the prune takes slices by the top byte).
    /// </summary>
    public static long Native(string connector, string nativeId)
    {
        var hash = 14695981039346656037UL;
        hash = Fnv(hash, connector);
        hash = (hash ^ 0xFFFF) * 1099511628211UL;
        hash = Fnv(hash, nativeId);
        hash ^= hash >> 33;
        hash *= 0xFF51AFD7ED558CCDUL;
        hash ^= hash >> 33;
        hash *= 0xC4CEB9FE1A85EC53UL;
        hash ^= hash >> 33;
        return unchecked((long)hash);
    }

    /// <summary>The keys whose top byte is <paramref name="slice"/>: one 256th of either index, lowest and highest.</summary>
    public static (long Low, long High) Slice(byte slice)
    {
        var low = unchecked((long)((ulong)slice << 56));
        return (low, low | 0x00FF_FFFF_FFFF_FFFFL);
    }

    private static ulong Fnv(ulong hash, string text)
    {
        foreach (var c in text)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }
}
