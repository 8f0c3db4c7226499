using System.Text;
using Bridge.Contracts.V1;

namespace Bridge.Connectors.Abstractions;

/// <summary>
/// A text on its way into a frame: a string, or the UTF-8 a <see cref="MessageBody"/> holds its text
/// as (<see cref="MessageBody.FromUtf8"/>), which goes into the frame as it is instead of being
/// made a string and encoded again. A lone surrogate in a string becomes U+FFFD, as the UTF-8 of
/// every frame writer here always made it.
/// </summary>
public readonly struct OutboundText
{
    private readonly string? _text;
    private readonly ReadOnlyMemory<byte> _utf8;
    private readonly bool _isUtf8;

    public OutboundText(string text) => _text = text;

    /// <summary>A text already in UTF-8 (valid, and not changed afterwards).</summary>
    public OutboundText(ReadOnlyMemory<byte> utf8)
    {
        _utf8 = utf8;
        _isUtf8 = true;
    }

    /// <summary>The body as plain text (<see cref="MessageBody.AsPlainText"/>), kept in UTF-8 when the body holds it so.</summary>
    public static OutboundText PlainOf(MessageBody body) =>
        body.TryGetPlainUtf8(out var utf8) ? new OutboundText(utf8) : new OutboundText(body.AsPlainText());

    /// <summary>Whether the text is held as UTF-8 (<see cref="Utf8"/>); false for a string and for <c>default</c> (no text).</summary>
    public bool IsUtf8 => _isUtf8;

    /// <summary>The UTF-8 the text is held as; empty for a string.</summary>
    public ReadOnlySpan<byte> Utf8 => _utf8.Span;

    /// <summary>How many bytes the text is in UTF-8.</summary>
    public int ByteCount => _isUtf8 ? _utf8.Length : Encoding.UTF8.GetByteCount(_text ?? string.Empty);

    /// <summary>Writes the text's UTF-8 into <paramref name="destination"/> and says how many bytes it took.</summary>
    public int WriteUtf8(Span<byte> destination)
    {
        if (!_isUtf8)
        {
            return Encoding.UTF8.GetBytes(_text ?? string.Empty, destination);
        }

        _utf8.Span.CopyTo(destination);
        return _utf8.Length;
    }

    /// <summary>The text as a string (made from the UTF-8 when held so).</summary>
    public override string ToString() => _isUtf8 ? Encoding.UTF8.GetString(_utf8.Span) : _text ?? string.Empty;
}
