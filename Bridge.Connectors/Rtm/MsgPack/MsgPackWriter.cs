using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Bridge.Connectors.Rtm.MsgPack;

/// <summary>
/// Writes msgpack into an <see cref="IBufferWriter{T}"/>. Integers go out in the smallest format
/// (like msgpack-c) unless written with <see cref="WriteInt64Fixed"/>, the <c>d3</c> form the RTM
/// SDKs use for Int64 fields. Strings are UTF-8 as fixstr/str8/16/32.
/// </summary>
public readonly struct MsgPackWriter(IBufferWriter<byte> output)
{
    public void WriteNil() => WriteByte(MsgPackCode.Nil);

    public void WriteBoolean(bool value) => WriteByte(value ? MsgPackCode.True : MsgPackCode.False);

    /// <summary>The smallest format that holds the value (fixint, cc..cf, d0..d3).</summary>
    public void WriteInt64(long value)
    {
        if (value >= 0)
        {
            WriteUInt64((ulong)value);
        }
        else if (value >= -32)
        {
            WriteByte(unchecked((byte)value));
        }
        else if (value >= sbyte.MinValue)
        {
            var span = output.GetSpan(2);
            span[0] = MsgPackCode.Int8;
            span[1] = unchecked((byte)value);
            output.Advance(2);
        }
        else if (value >= short.MinValue)
        {
            var span = output.GetSpan(3);
            span[0] = MsgPackCode.Int16;
            BinaryPrimitives.WriteInt16BigEndian(span[1..], (short)value);
            output.Advance(3);
        }
        else if (value >= int.MinValue)
        {
            var span = output.GetSpan(5);
            span[0] = MsgPackCode.Int32;
            BinaryPrimitives.WriteInt32BigEndian(span[1..], (int)value);
            output.Advance(5);
        }
        else
        {
            WriteInt64Fixed(value);
        }
    }

    /// <summary>The smallest unsigned format (positive fixint, cc, cd, ce, cf).</summary>
    public void WriteUInt64(ulong value)
    {
        if (value <= MsgPackCode.MaxPositiveFixInt)
        {
            WriteByte((byte)value);
        }
        else if (value <= byte.MaxValue)
        {
            var span = output.GetSpan(2);
            span[0] = MsgPackCode.UInt8;
            span[1] = (byte)value;
            output.Advance(2);
        }
        else if (value <= ushort.MaxValue)
        {
            var span = output.GetSpan(3);
            span[0] = MsgPackCode.UInt16;
            BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)value);
            output.Advance(3);
        }
        else if (value <= uint.MaxValue)
        {
            var span = output.GetSpan(5);
            span[0] = MsgPackCode.UInt32;
            BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)value);
            output.Advance(5);
        }
        else
        {
            WriteUInt64Fixed(value);
        }
    }

    /// <summary>Always <c>d3</c> + 8 bytes: how the RTM SDKs (msgpack-lite Int64BE) write Int64 fields.</summary>
    public void WriteInt64Fixed(long value)
    {
        var span = output.GetSpan(9);
        span[0] = MsgPackCode.Int64;
        BinaryPrimitives.WriteInt64BigEndian(span[1..], value);
        output.Advance(9);
    }

    /// <summary>Always <c>cf</c> + 8 bytes (msgpack-lite Uint64BE).</summary>
    public void WriteUInt64Fixed(ulong value)
    {
        var span = output.GetSpan(9);
        span[0] = MsgPackCode.UInt64;
        BinaryPrimitives.WriteUInt64BigEndian(span[1..], value);
        output.Advance(9);
    }

    public void WriteSingle(float value)
    {
        var span = output.GetSpan(5);
        span[0] = MsgPackCode.Float32;
        BinaryPrimitives.WriteSingleBigEndian(span[1..], value);
        output.Advance(5);
    }

    public void WriteDouble(double value)
    {
        var span = output.GetSpan(9);
        span[0] = MsgPackCode.Float64;
        BinaryPrimitives.WriteDoubleBigEndian(span[1..], value);
        output.Advance(9);
    }

    /// <summary>A string as UTF-8 (encoded straight into the output buffer).</summary>
    public void WriteString(string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        WriteStringHeader(length);
        var span = output.GetSpan(length);
        Encoding.UTF8.GetBytes(value, span);
        output.Advance(length);
    }

    /// <summary>A string whose UTF-8 bytes the caller already has.</summary>
    public void WriteString(ReadOnlySpan<byte> utf8)
    {
        WriteStringHeader(utf8.Length);
        WriteRaw(utf8);
    }

    public void WriteStringHeader(int length)
    {
        if (length < 32)
        {
            WriteByte((byte)(MsgPackCode.FixStr | length));
        }
        else if (length <= byte.MaxValue)
        {
            var span = output.GetSpan(2);
            span[0] = MsgPackCode.Str8;
            span[1] = (byte)length;
            output.Advance(2);
        }
        else
        {
            WriteLengthHeader(length, MsgPackCode.Str16, MsgPackCode.Str32);
        }
    }

    public void WriteBinary(ReadOnlySpan<byte> value)
    {
        if (value.Length <= byte.MaxValue)
        {
            var span = output.GetSpan(2);
            span[0] = MsgPackCode.Bin8;
            span[1] = (byte)value.Length;
            output.Advance(2);
        }
        else
        {
            WriteLengthHeader(value.Length, MsgPackCode.Bin16, MsgPackCode.Bin32);
        }

        WriteRaw(value);
    }

    public void WriteArrayHeader(int count)
    {
        if (count < 16)
        {
            WriteByte((byte)(MsgPackCode.FixArray | count));
        }
        else
        {
            WriteLengthHeader(count, MsgPackCode.Array16, MsgPackCode.Array32);
        }
    }

    public void WriteMapHeader(int count)
    {
        if (count < 16)
        {
            WriteByte((byte)(MsgPackCode.FixMap | count));
        }
        else
        {
            WriteLengthHeader(count, MsgPackCode.Map16, MsgPackCode.Map32);
        }
    }

    /// <summary>Copies already-encoded msgpack (or any bytes) to the output.</summary>
    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }

        bytes.CopyTo(output.GetSpan(bytes.Length));
        output.Advance(bytes.Length);
    }

    private void WriteLengthHeader(int length, byte code16, byte code32)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length <= ushort.MaxValue)
        {
            var span = output.GetSpan(3);
            span[0] = code16;
            BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)length);
            output.Advance(3);
        }
        else
        {
            var span = output.GetSpan(5);
            span[0] = code32;
            BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)length);
            output.Advance(5);
        }
    }

    private void WriteByte(byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }
}
