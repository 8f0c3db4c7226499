using System.Text;
using Bridge.Contracts.V1;

namespace Bridge.Connectors.ProtobufIm;

/// <summary>
/// A push's <c>content</c> bytes as the event needs them: valid UTF-8 kept as its bytes, so a text
/// body is built from them without a string (<see cref="MessageBody.FromUtf8"/>); anything else
/// decoded to a string with U+FFFD, as the connector always read it. A value: two contents are
/// equal when their texts are.
/// </summary>
public readonly struct ImContent : IEquatable<ImContent>
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    private readonly byte[]? _utf8;
    private readonly string? _text;

    private ImContent(byte[] utf8) => _utf8 = utf8;

    private ImContent(string text) => _text = text;

    /// <summary>The content of <paramref name="bytes"/> (copied: a frame's buffer is not kept).</summary>
    public static ImContent From(ReadOnlySpan<byte> bytes) =>
        bytes.IsEmpty ? default
        : System.Text.Unicode.Utf8.IsValid(bytes) ? new ImContent(bytes.ToArray())
        : new ImContent(Utf8.GetString(bytes));

    /// <summary>A text body of the content.</summary>
    public MessageBody TextBody() => _utf8 is { } utf8 ? MessageBody.FromUtf8(BodyKind.Text, utf8) : MessageBody.FromText(ToString());

    /// <summary>The content as a string (a media message's URL).</summary>
    public override string ToString() => _text ?? (_utf8 is { } utf8 ? Utf8.GetString(utf8) : string.Empty);

    public bool Equals(ImContent other) =>
        _utf8 is { } mine && other._utf8 is { } theirs ? mine.AsSpan().SequenceEqual(theirs) : ToString() == other.ToString();

    public override bool Equals(object? obj) => obj is ImContent other && Equals(other);

    public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);

    public static bool operator ==(ImContent left, ImContent right) => left.Equals(right);

    public static bool operator !=(ImContent left, ImContent right) => !left.Equals(right);
}
