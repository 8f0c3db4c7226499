using System.Runtime.InteropServices;

namespace Bridge.Connectors.ErlangGateway;

/// <summary>
/// A MsgId as a value: its 32 wire bytes, compared byte for byte. Pushes are deduplicated and
/// acknowledged by it without a string; the string form (<see cref="ToString"/>, the same key as
/// <see cref="ErlangCodec.MsgIdKey"/>) is made once, for the event's native id.
/// </summary>
public readonly struct ErlangMsgId : IEquatable<ErlangMsgId>
{
    private readonly ulong _a, _b, _c, _d;

    private ErlangMsgId(ReadOnlySpan<ulong> words) => (_a, _b, _c, _d) = (words[0], words[1], words[2], words[3]);

    /// <summary>The MsgId of these 32 wire bytes.</summary>
    public static ErlangMsgId From(ReadOnlySpan<byte> wire)
    {
        if (wire.Length != ErlangCodec.MsgIdLength)
        {
            throw new ArgumentException($"a MsgId is exactly {ErlangCodec.MsgIdLength} bytes, got {wire.Length}", nameof(wire));
        }

        return new ErlangMsgId(MemoryMarshal.Cast<byte, ulong>(wire));
    }

    /// <summary>The MsgId a key stands for (the inverse of <see cref="ToString"/>).</summary>
    public static ErlangMsgId FromKey(string key)
    {
        Span<byte> wire = stackalloc byte[ErlangCodec.MsgIdLength];
        ErlangCodec.WriteMsgIdKey(key, wire);
        return From(wire);
    }

    /// <summary>Writes the 32 wire bytes.</summary>
    public void CopyTo(Span<byte> destination)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(destination[..ErlangCodec.MsgIdLength]);
        (words[0], words[1], words[2], words[3]) = (_a, _b, _c, _d);
    }

    /// <summary>The key: the ASCII text itself, or <c>raw:</c> + hex for bytes that are not printable ASCII.</summary>
    public override string ToString()
    {
        Span<byte> wire = stackalloc byte[ErlangCodec.MsgIdLength];
        CopyTo(wire);
        return ErlangCodec.MsgIdKey(wire);
    }

    public bool Equals(ErlangMsgId other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

    public override bool Equals(object? obj) => obj is ErlangMsgId other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_a, _b, _c, _d);

    public static bool operator ==(ErlangMsgId left, ErlangMsgId right) => left.Equals(right);

    public static bool operator !=(ErlangMsgId left, ErlangMsgId right) => !left.Equals(right);
}
