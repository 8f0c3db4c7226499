using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Bridge.Connectors.Transport;

/// <summary>
/// Writes one whole client-to-server WebSocket message as a single frame (RFC 6455 section 5.2):
/// FIN set, text or binary opcode, the payload length in 7, 16 or 64 bits, a masking key and the
/// masked payload. The key is four fresh bytes from the system's cryptographic generator, as the
/// RFC asks, drawn from a per-thread block of them refilled every 1,024 frames (one call into the
/// generator per frame was a measurable share of a busy connection's CPU).
/// </summary>
internal static class ClientFrameEncoder
{
    private const int MaskBlockBytes = 4096;
    private const int MaxHeaderBytes = 14;

    [ThreadStatic]
    private static byte[]? t_masks;

    [ThreadStatic]
    private static int t_next;

    /// <summary>The frame in a buffer rented from the shared pool (the caller returns it), and its length.</summary>
    public static (byte[] Buffer, int Length) Encode(ReadOnlySpan<byte> payload, FrameKind kind)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(MaxHeaderBytes + payload.Length);
        var length = Write(buffer, payload, kind, NextMask());
        return (buffer, length);
    }

    /// <summary>Writes the frame with the given key into <paramref name="destination"/> (large enough); returns its length.</summary>
    internal static int Write(Span<byte> destination, ReadOnlySpan<byte> payload, FrameKind kind, uint mask)
    {
        destination[0] = (byte)(0x80 | (kind == FrameKind.Text ? 0x1 : 0x2));
        int at;
        if (payload.Length <= 125)
        {
            destination[1] = (byte)(0x80 | payload.Length);
            at = 2;
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            destination[1] = 0x80 | 126;
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)payload.Length);
            at = 4;
        }
        else
        {
            destination[1] = 0x80 | 127;
            BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)payload.Length);
            at = 10;
        }

        MemoryMarshal.Write(destination[at..], in mask);
        at += 4;
        Mask(payload, destination.Slice(at, payload.Length), mask);
        return at + payload.Length;
    }

    /// <summary>XORs the payload with the key (in its wire byte order), four bytes at a time.</summary>
    private static void Mask(ReadOnlySpan<byte> payload, Span<byte> destination, uint mask)
    {
        var i = 0;
        for (; i + 4 <= payload.Length; i += 4)
        {
            MemoryMarshal.Write(destination[i..], MemoryMarshal.Read<uint>(payload[i..]) ^ mask);
        }

        Span<byte> key = stackalloc byte[4];
        MemoryMarshal.Write(key, in mask);
        for (; i < payload.Length; i++)
        {
            destination[i] = (byte)(payload[i] ^ key[i & 3]);
        }
    }

    private static uint NextMask()
    {
        var masks = t_masks;
        if (masks is null || t_next >= MaskBlockBytes)
        {
            masks = t_masks ??= new byte[MaskBlockBytes];
            RandomNumberGenerator.Fill(masks);
            t_next = 0;
        }

        var mask = MemoryMarshal.Read<uint>(masks.AsSpan(t_next));
        t_next += 4;
        return mask;
    }
}
