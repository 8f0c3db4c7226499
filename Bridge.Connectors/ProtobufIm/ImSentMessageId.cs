using System.Globalization;

namespace Bridge.Connectors.ProtobufIm;

/// <summary>
/// The native id the connector returns for a message it sent: <c>&lt;client_msg_id&gt;@&lt;seq&gt;</c>.
/// The v1 server answers a send with the client's own id and the sender's seq, never the server id
/// that REVOKE needs; the seq lets a later delete find the server id with one SYNC page
/// (<c>max_seq = seq - 1</c>, the bridge's own message is among the first results), matched by
/// <c>client_msg_id</c>.
/// </summary>
public readonly record struct ImSentMessageId(string ClientMsgId, long Seq)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{ClientMsgId}@{Seq}");

    public static bool TryParse(string? text, out ImSentMessageId id)
    {
        id = default;
        var at = text?.LastIndexOf('@') ?? -1;
        if (text is null || at <= 0
            || !long.TryParse(text.AsSpan(at + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var seq) || seq <= 0)
        {
            return false;
        }

        id = new ImSentMessageId(text[..at], seq);
        return true;
    }
}
