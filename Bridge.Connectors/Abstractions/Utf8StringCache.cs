using System.Text.Json;

namespace Bridge.Connectors.Abstractions;

/// <summary>
/// A small two-way set-associative cache from UTF-8 bytes to the string they decode to, for short
/// values that repeat from frame to frame (sender ids, room names, conversation ids, a second's
/// timestamp), so decoding a push does not allocate them again. A hit allocates nothing; a miss
/// stores the string the caller decoded (and validated) in the first way of its set and moves that
/// way's entry to the second, so two values sharing a set both stay cached instead of evicting each
/// other on every frame. The set comes from a fixed (unseeded) hash, so which values share one is
/// the same in every process; crafted collisions can only cause misses. Safe for concurrent use:
/// an entry is immutable and replaced whole.
/// </summary>
public sealed class Utf8StringCache
{
    /// <summary>Longer values are not cached (they are rarely repeated ids).</summary>
    public const int MaxValueBytes = 64;

    private readonly Entry?[] _slots;

    /// <param name="slots">Number of entries, rounded up to a power of two (two at least: one set).</param>
    public Utf8StringCache(int slots = 256)
    {
        _slots = new Entry?[(int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(slots, 2))];
    }

    /// <summary>The cached string for exactly these bytes, if any.</summary>
    public bool TryGet(ReadOnlySpan<byte> utf8, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
    {
        if (utf8.Length <= MaxValueBytes)
        {
            var set = SetStart(utf8);
            if (Volatile.Read(ref _slots[set]) is { } first && utf8.SequenceEqual(first.Utf8))
            {
                value = first.Value;
                return true;
            }

            if (Volatile.Read(ref _slots[set + 1]) is { } second && utf8.SequenceEqual(second.Utf8))
            {
                value = second.Value;
                return true;
            }
        }

        value = null;
        return false;
    }

    /// <summary>Remembers that <paramref name="utf8"/> decodes to <paramref name="value"/> (ignored when too long).</summary>
    public void Add(ReadOnlySpan<byte> utf8, string value)
    {
        if (utf8.Length <= MaxValueBytes)
        {
            var set = SetStart(utf8);
            Volatile.Write(ref _slots[set + 1], Volatile.Read(ref _slots[set]));
            Volatile.Write(ref _slots[set], new Entry(utf8.ToArray(), value));
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

    /// <summary>Index of the first of the two ways of the set <paramref name="utf8"/> maps to (FNV-1a).</summary>
    private int SetStart(ReadOnlySpan<byte> utf8)
    {
        var hash = 2166136261u;
        foreach (var b in utf8)
        {
            hash = (hash ^ b) * 16777619u;
        }

        return (int)((hash ^ (hash >> 15)) << 1) & (_slots.Length - 2);
    }

    private sealed record Entry(byte[] Utf8, string Value);
}
