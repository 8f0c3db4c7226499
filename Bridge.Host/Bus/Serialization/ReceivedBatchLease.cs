using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Unicode;
using MassTransit;

namespace Bridge.Host.Bus.Serialization;

/// <summary>
/// A received batch's body copied once into a pooled array, which the batch's texts point into
/// instead of each being copied into an array of its own (<see cref="BatchJsonReading.Utf8Text"/>).
/// For the router and the delivery stage, which pass texts on, that was one 60 KB array per 60 KB
/// message in each, promoted while its batch was worked on and collected in generation 2. The array
/// goes back to the pool only through <see cref="Return(ConsumeContext)"/>, which the consumer calls
/// when it has finished with the batch and everything it made from it (every send confirmed, or
/// every post acknowledged at its first attempt), so nothing reads the texts any more. A consume
/// that fails never returns it; the collector then takes the array like any other, so a text that
/// outlives its consume stays valid, only the reuse is lost.
/// </summary>
internal sealed class ReceivedBatchLease
{
    [ThreadStatic]
    private static byte[]? _reading;

    /// <summary>What a returned body is overwritten with: a byte that never occurs in UTF-8.</summary>
    internal const byte Poison = 0xFF;

    private readonly int _length;
    private byte[]? _array;

    private ReceivedBatchLease(byte[] array, int length)
    {
        _array = array;
        _length = length;
    }

    /// <summary>
    /// Copies <paramref name="body"/> into a pooled array and reads it with <paramref name="read"/>,
    /// during which texts are taken as slices of that array; the lease is left on the receive context
    /// for the consumer's <see cref="Return(ConsumeContext)"/>.
    /// </summary>
    public static T Read<T>(ReceiveContext context, ReadOnlySpan<byte> body, Func<ReadOnlyMemory<byte>, T> read)
    {
        var result = Read(body, read, out var lease);
        context.AddOrUpdatePayload(() => lease, _ => lease);
        return result;
    }

    /// <summary><see cref="Read{T}(ReceiveContext, ReadOnlySpan{byte}, Func{ReadOnlyMemory{byte}, T})"/> with the lease handed to the caller.</summary>
    internal static T Read<T>(ReadOnlySpan<byte> body, Func<ReadOnlyMemory<byte>, T> read, out ReceivedBatchLease lease)
    {
        var array = ArrayPool<byte>.Shared.Rent(body.Length);
        body.CopyTo(array);
        lease = new ReceivedBatchLease(array, body.Length);
        _reading = array;
        try
        {
            return read(array.AsMemory(0, body.Length));
        }
        catch
        {
            // Nothing made from the body is reachable once the read failed.
            lease.Return();
            throw;
        }
        finally
        {
            _reading = null;
        }
    }

    /// <summary>
    /// The current string token's value as a slice of the body being read under a lease: when one is
    /// being read, the value is in it as it stands (no escapes) and is valid UTF-8. False otherwise,
    /// and the caller copies the value (<see cref="Connectors.Abstractions.JsonUtf8Text"/>).
    /// </summary>
    public static bool TrySlice(ref Utf8JsonReader reader, out ReadOnlyMemory<byte> utf8)
    {
        utf8 = default;
        if (_reading is not { } array || reader.HasValueSequence || reader.ValueIsEscaped)
        {
            return false;
        }

        var start = checked((int)reader.TokenStartIndex + 1);
        var value = reader.ValueSpan;
        if (start + value.Length > array.Length
            || !Unsafe.AreSame(ref MemoryMarshal.GetReference(value), ref array[start])
            || !Utf8.IsValid(value))
        {
            return false;
        }

        utf8 = array.AsMemory(start, value.Length);
        return true;
    }

    /// <summary>Gives the lease of the batch this consume read back to the pool: call only when nothing made from it is used any more.</summary>
    public static void Return(ConsumeContext context)
    {
        if (context.ReceiveContext.TryGetPayload<ReceivedBatchLease>(out var lease))
        {
            lease.Return();
        }
    }

    /// <summary>Overwrites the body and gives its array back to the pool (once; later calls do nothing).</summary>
    internal void Return()
    {
        if (Interlocked.Exchange(ref _array, null) is { } array)
        {
            // Overwritten first: a text wrongly read after its batch gives invalid UTF-8 (which every
            // decoder refuses), never another conversation's message.
            array.AsSpan(0, _length).Fill(Poison);
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}
