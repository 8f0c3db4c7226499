using System.Text;

namespace Bridge.Host.Health;

/// <summary>What a probe asked for: the request line of an HTTP/1.x request, or why it cannot be answered.</summary>
internal readonly record struct ProbeRequest(string Method, string Path, int ErrorStatus)
{
    /// <summary>The most a request head (request line and headers) may take; longer ones get 431.</summary>
    public const int MaxHeadBytes = 8 * 1024;

    private static readonly byte[] HeadEnd = "\r\n\r\n"u8.ToArray();

    /// <summary>A head that outgrew <see cref="MaxHeadBytes"/> before its blank line.</summary>
    public static readonly ProbeRequest HeadTooLarge = Error(431);

    public bool IsValid => ErrorStatus == 0;

    /// <summary>Where the head ends (after its blank line) in what was read so far, or -1 when it has not ended yet.</summary>
    public static int HeadLength(ReadOnlySpan<byte> received)
    {
        var at = received.IndexOf(HeadEnd);
        return at < 0 ? -1 : at + HeadEnd.Length;
    }

    /// <summary>
    /// Parses a complete head: <c>METHOD SP target SP HTTP/1.x</c>. The target's query is dropped.
    /// Anything else is a 400; a version other than 1.x a 505.
    /// </summary>
    public static ProbeRequest Parse(ReadOnlySpan<byte> head)
    {
        var lineEnd = head.IndexOf("\r\n"u8);
        var line = lineEnd < 0 ? head : head[..lineEnd];
        var firstSpace = line.IndexOf((byte)' ');
        var lastSpace = line.LastIndexOf((byte)' ');
        if (firstSpace <= 0 || lastSpace <= firstSpace + 1 || !IsToken(line[..firstSpace]))
        {
            return Error(400);
        }

        var version = line[(lastSpace + 1)..];
        if (!version.StartsWith("HTTP/"u8))
        {
            return Error(400);
        }

        if (!version.SequenceEqual("HTTP/1.1"u8) && !version.SequenceEqual("HTTP/1.0"u8))
        {
            return Error(505);
        }

        var target = line[(firstSpace + 1)..lastSpace];
        var query = target.IndexOf((byte)'?');
        var path = query < 0 ? target : target[..query];
        if (path.IsEmpty || path[0] != (byte)'/' || path.IndexOfAnyInRange((byte)0, (byte)' ') >= 0 || path.IndexOf((byte)0x7F) >= 0)
        {
            return Error(400);
        }

        return new ProbeRequest(Encoding.ASCII.GetString(line[..firstSpace]), Encoding.ASCII.GetString(path), 0);
    }

    private static ProbeRequest Error(int status) => new(string.Empty, string.Empty, status);

    /// <summary>An RFC 9110 token: visible ASCII without separators.</summary>
    private static bool IsToken(ReadOnlySpan<byte> text)
    {
        foreach (var b in text)
        {
            if (b <= (byte)' ' || b >= 0x7F || "\"(),/:;<=>?@[\\]{}"u8.Contains(b))
            {
                return false;
            }
        }

        return true;
    }
}
