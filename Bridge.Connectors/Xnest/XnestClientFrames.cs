using System.Globalization;

namespace Bridge.Connectors.Xnest;

/// <summary>
/// What a client puts on the wire: plain text frames (chat text or one of the commands
/// <c>@to:</c>, <c>@changename:</c>, <c>@history:</c>, <c>@call:</c>) and binary uploads
/// (one type byte, then the data).
/// </summary>
public static class XnestClientFrames
{
    /// <summary>The visible stand-in for a leading <c>@</c> (FULLWIDTH COMMERCIAL AT, U+FF20).</summary>
    public const char NeutralAt = '\uFF20';

    public const byte AudioUpload = 1;

    public const byte PictureUpload = 2;

    public const byte FileUpload = 3;

    /// <summary>
    /// Makes relayed text inert: the server executes a text as a command, and the room robot answers
    /// it, only when its first character is <c>@</c>. A leading <c>@</c> becomes <c>＠</c> (visible,
    /// reads the same); a text that already starts with <c>＠</c> gets one more, so
    /// <see cref="Restore"/> gives back exactly the original.
    /// </summary>
    public static string Neutralize(string text) =>
        text.Length == 0 ? text
        : text[0] == '@' ? string.Concat(NeutralAt.ToString(), text.AsSpan(1))
        : text[0] == NeutralAt ? NeutralAt + text
        : text;

    /// <summary>The inverse of <see cref="Neutralize"/>.</summary>
    public static string Restore(string text) =>
        text.Length == 0 || text[0] != NeutralAt ? text
        : text.Length > 1 && text[1] == NeutralAt ? text[1..]
        : string.Concat("@", text.AsSpan(1));

    /// <summary>Whether the server would treat this text as a command or the robot would answer it.</summary>
    public static bool IsActive(string text) => text.Length > 0 && text[0] == '@';

    /// <summary>A private message: <c>@to:&lt;pid&gt;|&lt;text&gt;</c> (the text after the first <c>|</c> is delivered verbatim).</summary>
    public static string DirectMessage(string pid, string text) => $"@to:{pid}|{text}";

    public static string ChangeName(string nickname) => "@changename:" + nickname;

    public static string HistoryRequest(int pageOffset) => "@history:" + pageOffset.ToString(CultureInfo.InvariantCulture);

    /// <summary>Whether a pid looks exactly like <c>&lt;A.B.C&gt;</c> (the server rejects anything else).</summary>
    public static bool IsPid(ReadOnlySpan<char> pid)
    {
        if (pid.Length < 7 || pid[0] != '<' || pid[^1] != '>')
        {
            return false;
        }

        var inner = pid[1..^1];
        var parts = 0;
        foreach (var range in inner.Split('.'))
        {
            var part = inner[range];
            if (part.Length == 0 || part.ContainsAnyExceptInRange('0', '9'))
            {
                return false;
            }

            parts++;
        }

        return parts == 3;
    }

    /// <summary>A binary upload frame: the type byte followed by the data (never empty: that crashes the socket).</summary>
    public static byte[] Upload(byte type, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            throw new ArgumentException("an upload must carry data", nameof(data));
        }

        var frame = new byte[data.Length + 1];
        frame[0] = type;
        data.CopyTo(frame.AsSpan(1));
        return frame;
    }
}
