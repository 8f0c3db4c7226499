using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;

namespace Bridge.Connectors.ProtobufIm;

/// <summary>
/// A message id of a push (<c>message_id</c>, <c>client_msg_id</c>) as a value: the id's UTF-8
/// bytes held inline when they fit (48 bytes: the v1 server's 16-digit ids, v2's 32-digit md5 hex,
/// UUIDs and the bridge's own keys all do), a string otherwise. A push decodes its ids from the
/// frame without a string and still owns them after the frame is gone (pushes held during a
/// catch-up); the string is made when the event needs it (<see cref="ToString"/>).
/// One id has one form: the string protobuf decodes (invalid UTF-8 as U+FFFD) is the value, held
/// inline exactly when its UTF-8 fits, so an id read from a frame equals the same id parsed by the
/// generated code (<see cref="From(string)"/>).
/// </summary>
public readonly struct ImWireId : IEquatable<ImWireId>
{
    /// <summary>The longest id, in UTF-8 bytes, held without a string.</summary>
    public const int InlineCapacity = 48;

    private static readonly UTF8Encoding Lenient = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    private readonly Bytes _bytes;
    private readonly int _length; // inline bytes; -1 when _text holds the id
    private readonly string? _text;

    private ImWireId(ReadOnlySpan<byte> utf8)
    {
        Span<ulong> words = _bytes;
        utf8.CopyTo(MemoryMarshal.AsBytes(words));
        _length = utf8.Length;
    }

    private ImWireId(string text)
    {
        _text = text;
        _length = -1;
    }

    /// <summary>The id of these wire bytes (invalid UTF-8 read as protobuf reads it).</summary>
    public static ImWireId From(ReadOnlySpan<byte> utf8) =>
        utf8.Length <= InlineCapacity && Utf8.IsValid(utf8) ? new ImWireId(utf8) : From(Lenient.GetString(utf8));

    /// <summary>The id of this text (a field of a message the generated code parsed, a stored native id).</summary>
    public static ImWireId From(string text)
    {
        Span<byte> utf8 = stackalloc byte[InlineCapacity];
        return text.Length <= InlineCapacity
            && Utf8.FromUtf16(text, utf8, out _, out var written, replaceInvalidSequences: false) == System.Buffers.OperationStatus.Done
            ? new ImWireId(utf8[..written])
            : new ImWireId(text);
    }

    public bool IsEmpty => _length == 0 || (_length < 0 && _text!.Length == 0);

    public override string ToString() => _length >= 0 ? (_length == 0 ? string.Empty : Lenient.GetString(Inline)) : _text!;

    public bool Equals(ImWireId other) =>
        _length >= 0
            ? _length == other._length && Inline.SequenceEqual(other.Inline)
            : other._length < 0 && string.Equals(_text, other._text, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is ImWireId other && Equals(other);

    public override int GetHashCode()
    {
        if (_length < 0)
        {
            return string.GetHashCode(_text, StringComparison.Ordinal);
        }

        var hash = new HashCode();
        hash.AddBytes(Inline);
        return hash.ToHashCode();
    }

    public static bool operator ==(ImWireId left, ImWireId right) => left.Equals(right);

    public static bool operator !=(ImWireId left, ImWireId right) => !left.Equals(right);

    [UnscopedRef]
    private ReadOnlySpan<byte> Inline => MemoryMarshal.AsBytes((ReadOnlySpan<ulong>)_bytes)[..Math.Max(_length, 0)];

    [InlineArray(InlineCapacity / sizeof(ulong))]
    private struct Bytes
    {
        private ulong _word;
    }
}
