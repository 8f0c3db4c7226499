namespace Bridge.Tests.Infrastructure;

/// <summary>
/// Measures managed bytes allocated on the calling thread by a synchronous action, after warm-up
/// (so JIT tiers, static initializers and caches are settled). A memory assertion, not a timing one.
/// </summary>
internal static class Allocations
{
    /// <summary>Bytes one call of <paramref name="action"/> allocates, the least of a few measured calls.</summary>
    public static long Of(Action action, int warmUps = 50)
    {
        for (var i = 0; i < warmUps; i++)
        {
            action();
        }

        var least = long.MaxValue;
        for (var i = 0; i < 5; i++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            action();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return least;
    }

    /// <summary>The size of a .NET string of <paramref name="chars"/> UTF-16 chars on 64-bit: 22 + 2n, rounded up to 8.</summary>
    public static long StringBytes(int chars) => chars == 0 ? 0 : (22 + (2L * chars) + 7) & ~7L;

    /// <summary>Readable ASCII text of exactly <paramref name="chars"/> characters.</summary>
    public static string Text(int chars)
    {
        const string Sentence = "The quick brown fox jumps over the lazy dog while the bridge relays every word. ";
        var builder = new System.Text.StringBuilder(chars + Sentence.Length);
        while (builder.Length < chars)
        {
            builder.Append(Sentence);
        }

        return builder.ToString(0, chars);
    }
}
