using System.Buffers.Binary;
using System.Text;

namespace Bridge.Connectors.Rtm.MsgPack;

/// <summary>
/// Reads msgpack from a span without allocating (except <see cref="ReadString"/>'s result).
/// Integer reads accept every integer format (fixints, cc..cf, d0..d3) and integral floats;
/// strings accept str and bin (valid UTF-8). Truncated or malformed input, containers nested
/// deeper than <see cref="MaxDepth"/> and counts that cannot fit the input throw
/// <see cref="MsgPackException"/> naming the offset.
/// </summary>
public ref struct MsgPackReader
{
    public const int MaxDepth = 32;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public MsgPackReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    public readonly int Position => _position;

    public readonly bool End => _position >= _data.Length;

    public readonly int Remaining => _data.Length - _position;

    /// <summary>Whether the next value is written as <c>cf</c> (uint64), which may exceed Int64.</summary>
    public readonly bool NextIsUInt64Format => PeekCode() == MsgPackCode.UInt64;

    public readonly MsgPackType PeekType()
    {
        var code = PeekCode();
        return code switch
        {
            <= MsgPackCode.MaxPositiveFixInt or >= MsgPackCode.MinNegativeFixInt => MsgPackType.Integer,
            < MsgPackCode.FixArray => MsgPackType.Map,
            < MsgPackCode.FixStr => MsgPackType.Array,
            < MsgPackCode.Nil => MsgPackType.String,
            MsgPackCode.Nil => MsgPackType.Nil,
            MsgPackCode.False or MsgPackCode.True => MsgPackType.Boolean,
            MsgPackCode.Bin8 or MsgPackCode.Bin16 or MsgPackCode.Bin32 => MsgPackType.Binary,
            MsgPackCode.Ext8 or MsgPackCode.Ext16 or MsgPackCode.Ext32 => MsgPackType.Extension,
            >= MsgPackCode.FixExt1 and <= MsgPackCode.FixExt16 => MsgPackType.Extension,
            MsgPackCode.Float32 or MsgPackCode.Float64 => MsgPackType.Float,
            >= MsgPackCode.UInt8 and <= MsgPackCode.Int64 => MsgPackType.Integer,
            MsgPackCode.Str8 or MsgPackCode.Str16 or MsgPackCode.Str32 => MsgPackType.String,
            MsgPackCode.Array16 or MsgPackCode.Array32 => MsgPackType.Array,
            MsgPackCode.Map16 or MsgPackCode.Map32 => MsgPackType.Map,
            _ => throw Error($"format byte 0x{code:x2} is never used"),
        };
    }

    /// <summary>Consumes a nil if the next value is one.</summary>
    public bool TryReadNil()
    {
        if (PeekCode() != MsgPackCode.Nil)
        {
            return false;
        }

        _position++;
        return true;
    }

    public bool ReadBoolean()
    {
        var code = ReadCode();
        return code switch
        {
            MsgPackCode.True => true,
            MsgPackCode.False => false,
            _ => throw Mismatch("a boolean", code),
        };
    }

    /// <summary>Any integer format, or an integral float, that fits an Int64.</summary>
    public long ReadInt64()
    {
        var start = _position;
        var code = PeekCode();
        if (code == MsgPackCode.UInt64)
        {
            var value = ReadUInt64();
            if (value > long.MaxValue)
            {
                _position = start;
                throw Error($"integer {value} does not fit an Int64");
            }

            return (long)value;
        }

        _position++;
        switch (code)
        {
            case <= MsgPackCode.MaxPositiveFixInt: return code;
            case >= MsgPackCode.MinNegativeFixInt: return unchecked((sbyte)code);
            case MsgPackCode.UInt8: return Take(1)[0];
            case MsgPackCode.UInt16: return BinaryPrimitives.ReadUInt16BigEndian(Take(2));
            case MsgPackCode.UInt32: return BinaryPrimitives.ReadUInt32BigEndian(Take(4));
            case MsgPackCode.Int8: return unchecked((sbyte)Take(1)[0]);
            case MsgPackCode.Int16: return BinaryPrimitives.ReadInt16BigEndian(Take(2));
            case MsgPackCode.Int32: return BinaryPrimitives.ReadInt32BigEndian(Take(4));
            case MsgPackCode.Int64: return BinaryPrimitives.ReadInt64BigEndian(Take(8));
            case MsgPackCode.Float32 or MsgPackCode.Float64:
                _position = start;
                var d = ReadDouble();
                if (d != Math.Floor(d) || d < -9.2233720368547758E18 || d >= 9.2233720368547758E18)
                {
                    _position = start;
                    throw Error($"float {d} is not an Int64");
                }

                return (long)d;
            default:
                _position = start;
                throw Mismatch("an integer", code);
        }
    }

    /// <summary>Any non-negative integer format.</summary>
    public ulong ReadUInt64()
    {
        var start = _position;
        if (PeekCode() == MsgPackCode.UInt64)
        {
            _position++;
            return BinaryPrimitives.ReadUInt64BigEndian(Take(8));
        }

        var value = ReadInt64();
        if (value < 0)
        {
            _position = start;
            throw Error($"integer {value} is negative where an unsigned value is expected");
        }

        return (ulong)value;
    }

    public int ReadInt32()
    {
        var start = _position;
        var value = ReadInt64();
        if (value is < int.MinValue or > int.MaxValue)
        {
            _position = start;
            throw Error($"integer {value} does not fit an Int32");
        }

        return (int)value;
    }

    /// <summary>A float, or any integer as a double.</summary>
    public double ReadDouble()
    {
        var code = PeekCode();
        switch (code)
        {
            case MsgPackCode.Float32:
                _position++;
                return BinaryPrimitives.ReadSingleBigEndian(Take(4));
            case MsgPackCode.Float64:
                _position++;
                return BinaryPrimitives.ReadDoubleBigEndian(Take(8));
            case MsgPackCode.UInt64:
                return ReadUInt64();
            default:
                return ReadInt64();
        }
    }

    /// <summary>The bytes of a str or bin value (no copy).</summary>
    public ReadOnlySpan<byte> ReadBytes()
    {
        var code = ReadCode();
        int length = code switch
        {
            >= MsgPackCode.FixStr and <= 0xbf => code & 0x1f,
            MsgPackCode.Str8 or MsgPackCode.Bin8 => Take(1)[0],
            MsgPackCode.Str16 or MsgPackCode.Bin16 => BinaryPrimitives.ReadUInt16BigEndian(Take(2)),
            MsgPackCode.Str32 or MsgPackCode.Bin32 => CheckedLength(BinaryPrimitives.ReadUInt32BigEndian(Take(4))),
            _ => throw Mismatch("a string or binary", code),
        };
        return Take(length);
    }

    /// <summary>A str, or a bin holding valid UTF-8, as a string.</summary>
    public string ReadString()
    {
        var start = _position;
        var bytes = ReadBytes();
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            _position = start;
            throw Error("string is not valid UTF-8");
        }
    }

    /// <summary>Strict UTF-8 decoding; invalid bytes throw <see cref="MsgPackException"/>.</summary>
    public static string DecodeUtf8(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new MsgPackException("msgpack: string is not valid UTF-8");
        }
    }

    /// <summary>A string, or null for nil.</summary>
    public string? ReadNullableString() => TryReadNil() ? null : ReadString();

    public int ReadArrayHeader()
    {
        var code = ReadCode();
        var count = code switch
        {
            >= MsgPackCode.FixArray and < MsgPackCode.FixStr => code & 0x0f,
            MsgPackCode.Array16 => BinaryPrimitives.ReadUInt16BigEndian(Take(2)),
            MsgPackCode.Array32 => CheckedLength(BinaryPrimitives.ReadUInt32BigEndian(Take(4))),
            _ => throw Mismatch("an array", code),
        };
        return CheckCount(count, 1);
    }

    public int ReadMapHeader()
    {
        var code = ReadCode();
        var count = code switch
        {
            >= MsgPackCode.FixMap and < MsgPackCode.FixArray => code & 0x0f,
            MsgPackCode.Map16 => BinaryPrimitives.ReadUInt16BigEndian(Take(2)),
            MsgPackCode.Map32 => CheckedLength(BinaryPrimitives.ReadUInt32BigEndian(Take(4))),
            _ => throw Mismatch("a map", code),
        };
        return CheckCount(count, 2);
    }

    /// <summary>Reads a map key that is a string and compares it with <paramref name="utf8Key"/> without allocating.</summary>
    public ReadOnlySpan<byte> ReadKey() => ReadBytes();

    /// <summary>Skips one value of any type (extensions included), bounded by <see cref="MaxDepth"/>.</summary>
    public void Skip() => Skip(0);

    /// <summary>The raw bytes of the next value, skipped.</summary>
    public ReadOnlySpan<byte> ReadRaw()
    {
        var start = _position;
        Skip();
        return _data[start.._position];
    }

    private void Skip(int depth)
    {
        if (depth > MaxDepth)
        {
            throw Error($"nesting deeper than {MaxDepth} levels");
        }

        var code = PeekCode();
        switch (PeekType())
        {
            case MsgPackType.Nil or MsgPackType.Boolean:
                _position++;
                break;
            case MsgPackType.Integer:
                ReadInt64OrUInt64();
                break;
            case MsgPackType.Float:
                ReadDouble();
                break;
            case MsgPackType.String or MsgPackType.Binary:
                ReadBytes();
                break;
            case MsgPackType.Array:
                for (var n = ReadArrayHeader(); n > 0; n--)
                {
                    Skip(depth + 1);
                }

                break;
            case MsgPackType.Map:
                for (var n = ReadMapHeader(); n > 0; n--)
                {
                    Skip(depth + 1);
                    Skip(depth + 1);
                }

                break;
            default:
                SkipExtension(code);
                break;
        }
    }

    private void ReadInt64OrUInt64()
    {
        if (PeekCode() == MsgPackCode.UInt64)
        {
            ReadUInt64();
        }
        else
        {
            ReadInt64();
        }
    }

    private void SkipExtension(byte code)
    {
        _position++;
        int length = code switch
        {
            MsgPackCode.Ext8 => Take(1)[0],
            MsgPackCode.Ext16 => BinaryPrimitives.ReadUInt16BigEndian(Take(2)),
            MsgPackCode.Ext32 => CheckedLength(BinaryPrimitives.ReadUInt32BigEndian(Take(4))),
            _ => 1 << (code - MsgPackCode.FixExt1),
        };
        Take(1); // the extension type
        Take(length);
    }

    private readonly byte PeekCode()
    {
        if (_position >= _data.Length)
        {
            throw Error("input ends where a value was expected");
        }

        return _data[_position];
    }

    private byte ReadCode()
    {
        var code = PeekCode();
        _position++;
        return code;
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _data.Length - _position)
        {
            throw Error($"input truncated: {count} bytes needed, {_data.Length - _position} left");
        }

        var slice = _data.Slice(_position, count);
        _position += count;
        return slice;
    }

    private readonly int CheckedLength(uint length) =>
        length > int.MaxValue ? throw Error($"length {length} is too large") : (int)length;

    private readonly int CheckCount(int count, int minBytesPerItem)
    {
        if ((long)count * minBytesPerItem > _data.Length - _position)
        {
            throw Error($"{count} items cannot fit in the {_data.Length - _position} bytes left");
        }

        return count;
    }

    private readonly MsgPackException Mismatch(string expected, byte code) =>
        Error($"expected {expected}, found format byte 0x{code:x2}");

    private readonly MsgPackException Error(string message) => new($"msgpack at offset {_position}: {message}");
}
