using BenchmarkDotNet.Attributes;

namespace Bridge.Benchmarks.Codecs;

/// <summary>
/// Base of the per-backend codec benchmarks: the message text size (ASCII characters, so also
/// UTF-8 bytes) is a parameter, a typical chat line (100) and a long one (4 KiB).
/// </summary>
public abstract class CodecBenchmark
{
    [Params(100, 4096)]
    public int TextChars { get; set; }

    protected string Text { get; private set; } = string.Empty;

    protected void CreateText() => Text = SampleText(TextChars);

    /// <summary>Readable ASCII text of exactly <paramref name="chars"/> characters.</summary>
    public static string SampleText(int chars)
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
