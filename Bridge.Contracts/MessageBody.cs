using System.Text;
using System.Text.Json.Serialization;

namespace Bridge.Contracts.V1;

public enum BodyKind
{
    Text,
    Image,
    Audio,
    Video,
    File,
    System,
}

/// <summary>
/// The normalized content of a message. Text bodies carry <see cref="Text"/>; media bodies carry
/// <see cref="Url"/> (and optionally a caption in <see cref="Text"/>, a file name and a size).
/// </summary>
/// <remarks>
/// A body read from a batch or a wire can hold its text as the UTF-8 it arrived in
/// (<see cref="FromUtf8"/>): the bridge passes it from batch to batch and into a target's frame
/// without making a string of it, which for a 60 KB text is a 120 KB string per hop. The string is
/// made on the first read of <see cref="Text"/> and kept. Either way the body is the same value:
/// equality and hashing compare the text, not how it is held.
/// </remarks>
public sealed record MessageBody(BodyKind Kind, string? Text, string? Url = null, string? FileName = null, long? Size = null)
{
    private string? _text = Text;
    private ReadOnlyMemory<byte>? _utf8;

    private MessageBody(BodyKind kind, ReadOnlyMemory<byte> utf8, string? url, string? fileName, long? size)
        : this(kind, (string?)null, url, fileName, size)
    {
        _utf8 = utf8;
    }

    /// <summary>The text (a caption for media); made from the UTF-8 on first read when the body holds that.</summary>
    public string? Text
    {
        get => _text ??= _utf8 is { } utf8 ? Encoding.UTF8.GetString(utf8.Span) : null;
        init
        {
            _text = value;
            _utf8 = null;
        }
    }

    public static MessageBody FromText(string text) => new(BodyKind.Text, text);

    /// <summary>
    /// A body whose text is held as UTF-8. The caller hands the memory over (it must not change
    /// afterwards) and vouches that it is valid UTF-8 (<see cref="System.Text.Unicode.Utf8.IsValid"/>).
    /// </summary>
    public static MessageBody FromUtf8(BodyKind kind, ReadOnlyMemory<byte> utf8Text, string? url = null, string? fileName = null, long? size = null) =>
        new(kind, utf8Text, url, fileName, size);

    /// <summary>
    /// The same body owning its text: one held as UTF-8 gets a copy of its own, for keeping past the
    /// moment its buffer may be reused (a connector's send, see <c>OutboundMessage</c>).
    /// </summary>
    public MessageBody Detached() => _utf8 is { } utf8 ? new(Kind, utf8.ToArray(), Url, FileName, Size) : this;

    public static MessageBody Media(BodyKind kind, string url, string? fileName = null, long? size = null) =>
        new(kind, (string?)null, url, fileName, size);

    /// <summary>The text as UTF-8 when the body holds it so (see <see cref="FromUtf8"/>); false for a body made from a string.</summary>
    public bool TryGetUtf8Text(out ReadOnlyMemory<byte> utf8)
    {
        utf8 = _utf8.GetValueOrDefault();
        return _utf8.HasValue;
    }

    /// <summary>Whether there is a text (a caption for media), without making a string of UTF-8.</summary>
    [JsonIgnore]
    public bool HasText => _utf8.HasValue || _text is not null;

    /// <summary>The text's size without making a string of it, for estimates: UTF-8 bytes when held so, else UTF-16 characters; 0 without text.</summary>
    public int TextSizeEstimate() => _utf8 is { } utf8 ? utf8.Length : _text?.Length ?? 0;

    /// <summary>Text for backends that can only show text: the text, else the URL, else the file name.</summary>
    public string AsPlainText() => Kind switch
    {
        BodyKind.Text or BodyKind.System => Text ?? string.Empty,
        _ when !string.IsNullOrEmpty(Text) && !string.IsNullOrEmpty(Url) => $"{Text} {Url}",
        _ => Url ?? Text ?? FileName ?? string.Empty,
    };

    /// <summary>
    /// <see cref="AsPlainText"/> as UTF-8 where that is the body's own text held as UTF-8 (a text or
    /// system body made with <see cref="FromUtf8"/>); false otherwise, and the caller asks
    /// <see cref="AsPlainText"/>.
    /// </summary>
    public bool TryGetPlainUtf8(out ReadOnlyMemory<byte> utf8)
    {
        utf8 = default;
        return Kind is BodyKind.Text or BodyKind.System && TryGetUtf8Text(out utf8);
    }

    public bool Equals(MessageBody? other) =>
        other is not null
        && Kind == other.Kind
        && Url == other.Url
        && FileName == other.FileName
        && Size == other.Size
        && TextEquals(other);

    public override int GetHashCode() => HashCode.Combine(Kind, Text, Url, FileName, Size);

    private bool TextEquals(MessageBody other) =>
        _utf8 is { } mine && other._utf8 is { } theirs
            ? mine.Span.SequenceEqual(theirs.Span)
            : string.Equals(Text, other.Text, StringComparison.Ordinal);
}
