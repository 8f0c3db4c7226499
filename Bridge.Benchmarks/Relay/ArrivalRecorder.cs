using System.Diagnostics;

namespace Bridge.Benchmarks.Relay;

/// <summary>
/// Times one load phase: the send timestamp of every injected message (by sequence number) and,
/// per target backend, the first arrival of each, so it can tell latency, losses and duplicates.
/// Arrivals are reported from simulator threads; everything here is lock-free or per-target locked.
/// </summary>
public sealed class ArrivalRecorder
{
    private readonly string _marker;
    private readonly byte[] _markerUtf8;
    private readonly long[] _sentAt;
    private readonly bool[][] _seen;
    private readonly double[] _latencyMs;
    private readonly int[] _latencySeq;
    private int _latencyCount;
    private long _delivered;
    private long _duplicates;
    private long _firstSend;
    private long _lastArrival;

    public ArrivalRecorder(string phase, int messages, int targets)
    {
        _marker = $"bench{phase}#";
        _markerUtf8 = System.Text.Encoding.UTF8.GetBytes(_marker);
        _sentAt = new long[messages];
        _seen = Enumerable.Range(0, targets).Select(_ => new bool[messages]).ToArray();
        _latencyMs = new double[(long)messages * targets];
        _latencySeq = new int[(long)messages * targets];
    }

    public int Messages => _sentAt.Length;

    public int Targets => _seen.Length;

    public long Expected => (long)Messages * Targets;

    public long Delivered => Interlocked.Read(ref _delivered);

    public long Duplicates => Interlocked.Read(ref _duplicates);

    /// <summary>The text the user posts for message <paramref name="seq"/>, padded to <paramref name="size"/> bytes of ASCII.</summary>
    public string Text(int seq, int size)
    {
        var head = $"{_marker}{seq};";
        return head.Length >= size
            ? head
            : string.Create(size, head, static (chars, head) =>
            {
                head.CopyTo(chars);
                chars[head.Length..].Fill('x');
            });
    }

    public void Sending(int seq)
    {
        var now = Stopwatch.GetTimestamp();
        Interlocked.CompareExchange(ref _firstSend, now, 0);
        Volatile.Write(ref _sentAt[seq], now);
    }

    /// <summary>A message the bridge posted on target <paramref name="target"/>; ignored unless it carries this phase's marker.</summary>
    public void Arrived(int target, string text)
    {
        var now = Stopwatch.GetTimestamp();
        var at = text.IndexOf(_marker, StringComparison.Ordinal);
        if (at < 0)
        {
            return;
        }

        var seq = 0;
        for (var i = at + _marker.Length; i < text.Length && char.IsAsciiDigit(text[i]); i++)
        {
            seq = (seq * 10) + (text[i] - '0');
        }

        Record(target, seq, now);
    }

    /// <inheritdoc cref="Arrived(int, string)"/>
    /// <remarks>The text as the simulator holds it, UTF-8: a 60 KB post costs the harness no 120 KB string.</remarks>
    public void Arrived(int target, ReadOnlySpan<byte> utf8)
    {
        var now = Stopwatch.GetTimestamp();
        var at = utf8.IndexOf(_markerUtf8);
        if (at < 0)
        {
            return;
        }

        var seq = 0;
        for (var i = at + _markerUtf8.Length; i < utf8.Length && char.IsAsciiDigit((char)utf8[i]); i++)
        {
            seq = (seq * 10) + (utf8[i] - '0');
        }

        Record(target, seq, now);
    }

    private void Record(int target, int seq, long now)
    {
        if (seq >= _sentAt.Length)
        {
            return;
        }

        var seen = _seen[target];
        lock (seen)
        {
            if (seen[seq])
            {
                Interlocked.Increment(ref _duplicates);
                return;
            }

            seen[seq] = true;
        }

        var sent = Volatile.Read(ref _sentAt[seq]);
        var slot = Interlocked.Increment(ref _latencyCount) - 1;
        _latencySeq[slot] = seq;
        _latencyMs[slot] = Stopwatch.GetElapsedTime(sent, now).TotalMilliseconds;
        Interlocked.Increment(ref _delivered);
        InterlockedMax(ref _lastArrival, now);
    }

    /// <summary>Latency percentiles, losses and the delivery rate from the first send to the last arrival.</summary>
    public PhaseResult Result()
    {
        var count = Volatile.Read(ref _latencyCount);
        var sorted = _latencyMs.AsSpan(0, count).ToArray();
        Array.Sort(sorted);
        var first = Interlocked.Read(ref _firstSend);
        var last = Interlocked.Read(ref _lastArrival);
        var seconds = count == 0 || last <= first ? 0 : Stopwatch.GetElapsedTime(first, last).TotalSeconds;
        return new PhaseResult(
            Messages,
            Expected,
            count,
            Duplicates,
            seconds == 0 ? 0 : count / seconds,
            Percentile(sorted, 0.50),
            Percentile(sorted, 0.95),
            Percentile(sorted, 0.99),
            sorted.Length == 0 ? double.NaN : sorted[^1]);
    }

    /// <summary>
    /// Where the slowest 1 % of the deliveries came from: when they were sent (ms after the phase's
    /// first send) and from how many of the <paramref name="rooms"/>. A narrow window across many
    /// rooms is one pause of the whole path; a wide one in few rooms is those conversations.
    /// <paramref name="result"/> is this recorder's <see cref="Result"/>, whose p99 is the line.
    /// </summary>
    public string DescribeTail(PhaseResult result, int rooms)
    {
        var count = Volatile.Read(ref _latencyCount);
        if (count < 100)
        {
            return string.Empty;
        }

        var threshold = result.P99;
        var first = Interlocked.Read(ref _firstSend);
        double from = double.MaxValue, to = 0;
        var slow = 0;
        var inRooms = new HashSet<int>();
        for (var i = 0; i < count; i++)
        {
            if (_latencyMs[i] < threshold)
            {
                continue;
            }

            var sentAt = Stopwatch.GetElapsedTime(first, Volatile.Read(ref _sentAt[_latencySeq[i]])).TotalMilliseconds;
            (from, to) = (Math.Min(from, sentAt), Math.Max(to, sentAt));
            inRooms.Add(_latencySeq[i] % rooms);
            slow++;
        }

        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"; slowest 1 % ({slow}, from {threshold:0.0} ms) sent at +{from:0}..+{to:0} ms, from {inRooms.Count} of {rooms} rooms");
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}

/// <summary>What one load phase measured: deliveries (message × target), their rate and latency in milliseconds.</summary>
public sealed record PhaseResult(int Injected, long Expected, long Delivered, long Duplicates, double DeliveriesPerSecond, double P50, double P95, double P99, double Max)
{
    public long Lost => Expected - Delivered;

    /// <summary>How the run log names a phase: w (warm-up), b (warm-up burst), p0, p1, ... (paced at <paramref name="rate"/>), s (saturation).</summary>
    public static string Describe(string phase, double? rate) => phase switch
    {
        "w" => "warm-up",
        "b" => "warm-up burst",
        _ when phase.StartsWith('p') => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{rate:0}/s offered"),
        _ => "saturation",
    };
}

/// <summary>Where a target backend reports each post of the bridge account: as text, or as its UTF-8 bytes where the simulator holds those.</summary>
public sealed class ArrivalSink(ArrivalRecorder recorder, int target)
{
    public void Text(string text) => recorder.Arrived(target, text);

    public void Utf8(ReadOnlySpan<byte> text) => recorder.Arrived(target, text);
}
