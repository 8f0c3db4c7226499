using System.Numerics;

namespace Bridge.Host.Bus.Serialization;

/// <summary>
/// Arrays for the bodies of outgoing batches, used again once their publish is confirmed.
/// MassTransit's RabbitMQ transport publishes the whole array a body hands it, so an array from an
/// ordinary pool (any size at least the one asked for) cannot serve. These come in size classes a
/// thirty-second of a power of two apart (a 61,500-byte body gets a 63,488-byte array, a 1.8 MB
/// body one a 64 KiB multiple; a free array of the next class or two serves too), and
/// <see cref="BatchMessageBody{T}"/> fills the rest with spaces, which JSON ignores after the value:
/// at most a sixteenth more bytes on the wire (about 3 % for 60 KB texts), instead of a new array
/// per publish. Without it a relay of 60 KB texts allocated one such array per message and hop,
/// about 40 % of all it allocated (traced in the benchmark's 60 KB row, see docs/benchmarks.md).
/// Bodies under <see cref="MinPooled"/> bytes keep exact arrays (small, short-lived, cheap to
/// collect); so do those over <see cref="MaxPooled"/>. At most <see cref="MaxFree"/> arrays and
/// <see cref="MaxRetained"/> bytes are kept, the ones given back longest ago dropped first (a class
/// that stops coming up must not hold the room); an array not given back (its publish failed or
/// timed out, so the transport might still read it) is left to the collector.
/// </summary>
internal static class BatchBodyPool
{
    public const int MinPooled = 4096;
    public const int MaxPooled = 8 << 20;
    public const int MaxFree = 32;
    public const long MaxRetained = 16 << 20;

    // Oldest first. Short, so a linear search for the best fit costs less than a lookup structure.
    private static readonly List<byte[]> Free = new(MaxFree + 1);
    private static long _retained;

    /// <summary>The length of the array a body of <paramref name="length"/> bytes gets.</summary>
    public static int ClassSize(int length)
    {
        if (length < MinPooled || length > MaxPooled)
        {
            return length;
        }

        var step = (int)(BitOperations.RoundUpToPowerOf2((uint)length + 1) >> 5);
        return (length + step - 1) / step * step;
    }

    /// <summary>
    /// An array for a body of <paramref name="length"/> bytes, not zeroed: the smallest free one
    /// from its class up to a sixteenth over the length (batches of one stream differ by a few
    /// events, and so by a class or two), else a new one of its class.
    /// </summary>
    public static byte[] Rent(int length)
    {
        var size = ClassSize(length);
        if (size >= MinPooled && size <= MaxPooled)
        {
            var largest = Math.Max(size, length + (length / 16));
            lock (Free)
            {
                var best = -1;
                for (var i = Free.Count - 1; i >= 0; i--)
                {
                    var candidate = Free[i].Length;
                    if (candidate >= size && candidate <= largest && (best < 0 || candidate < Free[best].Length))
                    {
                        best = i;
                    }
                }

                if (best >= 0)
                {
                    var array = Free[best];
                    Free.RemoveAt(best);
                    _retained -= array.Length;
                    return array;
                }
            }
        }

        return GC.AllocateUninitializedArray<byte>(size);
    }

    /// <summary>Takes back an array from <see cref="Rent"/> that nothing reads any more.</summary>
    public static void Return(byte[] array)
    {
        if (array.Length < MinPooled || array.Length > MaxPooled || ClassSize(array.Length) != array.Length)
        {
            return;
        }

        lock (Free)
        {
            Free.Add(array);
            _retained += array.Length;
            while (Free.Count > MaxFree || _retained > MaxRetained)
            {
                _retained -= Free[0].Length;
                Free.RemoveAt(0);
            }
        }
    }
}
