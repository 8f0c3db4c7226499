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
public sealed record MessageBody(BodyKind Kind, string? Text, string? Url = null, string? FileName = null, long? Size = null)
{
    public static MessageBody FromText(string text) => new(BodyKind.Text, text);

    public static MessageBody Media(BodyKind kind, string url, string? fileName = null, long? size = null) =>
        new(kind, null, url, fileName, size);

    /// <summary>Text for backends that can only show text: the text, else the URL, else the file name.</summary>
    public string AsPlainText() => Kind switch
    {
        BodyKind.Text or BodyKind.System => Text ?? string.Empty,
        _ when !string.IsNullOrEmpty(Text) && !string.IsNullOrEmpty(Url) => $"{Text} {Url}",
        _ => Url ?? Text ?? FileName ?? string.Empty,
    };
}
