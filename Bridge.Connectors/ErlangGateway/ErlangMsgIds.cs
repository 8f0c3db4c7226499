using System.Security.Cryptography;
using System.Text;

namespace Bridge.Connectors.ErlangGateway;

/// <summary>MsgIds for sends: the idempotency key itself when it already is 32 lower-case hex digits.</summary>
public static class ErlangMsgIds
{
    public static string FromIdempotencyKey(string key)
    {
        if (key.Length == ErlangCodec.MsgIdLength && key.All(char.IsAsciiHexDigitLower))
        {
            return key;
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)).AsSpan(0, 16));
    }

    /// <summary>A fresh MsgId (lower-case hex UUID without dashes, like the vendor SDK).</summary>
    public static string New() => Guid.NewGuid().ToString("N");
}
