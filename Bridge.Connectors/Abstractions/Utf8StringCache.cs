using System.Text.Json;

namespace Bridge.Connectors.Abstractions;

/// <summary>
/// A small direct-mapped cache from UTF-8 bytes to the string they decode to, for short values that
/// repeat from frame to frame (sender ids, room names, conversation ids, a second's timestamp), so
/// decoding a push does not allocate them again. A hit allocates nothing; a miss stores the string
/// the caller decoded (and validated) and evicts whatever shared its slot. Safe for concurrent use:
/// an entry is immutable and replaced whole.
/// </summary>
public sealed class Utf8StringCache
{
    /// <summary>Longer values are not cached (they are rarely repeated ids).</summary>
    public const int MaxValueBytes = 64;

    private readonly Entry?[] _slots;

    /// <param name="slots">Number of slots, rounded up to a power of two.</param>
    public Utf8StringCache(int slots = 256)
    {
        _slots = new Entry?[(int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(slots, 1))];
    }

    /// <summary>The cached string for exactly these bytes, if any.</summary>
    public bool TryGet(ReadOnlySpan<byte> utf8, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
    {
        if (utf8.Length <= MaxValueBytes && Volatile.Read(ref _slots[Slot(utf8)]) is { } entry && utf8.SequenceEqual(entry.Utf8))
        {
            value = entry.Value;
            return true;
        }

        value = null;
        return false;
    }

    /// <summary>Remembers that <paramref name="utf8"/> decodes to <paramref name="value"/> (ignored when too long).</summary>
    public void Add(ReadOnlySpan<byte> utf8, string value)
    {
        if (utf8.Length <= MaxValueBytes)
        {
            Volatile.Write(ref _slots[Slot(utf8)], new Entry(utf8.ToArray(), value));
        }
    }

    /// <summary>
    /// The current JSON string token's value, from <paramref name="cache"/> when it holds it (unescaped
    /// values only). Misses and escaped values go through <see cref="Utf8JsonReader.GetString"/>, so
    /// invalid UTF-8 fails exactly as it does without a cache.
    /// </summary>
    public static string GetString(ref Utf8JsonReader reader, Utf8StringCache? cache)
    {
        if (cache is null || reader.ValueIsEscaped || reader.HasValueSequence)
        {
            return reader.GetString()!;
        }

        var raw = reader.ValueSpan;
        if (cache.TryGet(raw, out var cached))
        {
            return cached;
        }

        var value = reader.GetString()!;
        cache.Add(raw, value);
        return value;
    }

    private int Slot(ReadOnlySpan<byte> utf8)
    {
        var hash = new HashCode();
        hash.AddBytes(utf8);
        return hash.ToHashCode() & (_slots.Length - 1);
    }

    private sealed record Entry(byte[] Utf8, string Value);
}
