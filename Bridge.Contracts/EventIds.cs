using System.Security.Cryptography;
using System.Text;

namespace Bridge.Contracts.V1;

/// <summary>
/// Deterministic ids. An event id is a name-based (version 5 style) UUID of the connector name and
/// the backend's native message key, so every ingest of the same backend message yields the same id.
/// An idempotency key is 32 lower-case hex characters derived from event id, action and target: it
/// fits every backend's client-side id field (Erlang MsgId is exactly 32 ASCII bytes).
/// </summary>
public static class EventIds
{
    public static Guid ForIngest(string connector, string nativeKey) => NameBased($"ingest\n{connector}\n{nativeKey}");

    public static string IdempotencyKey(Guid eventId, DeliveryAction action, EndpointRef target)
    {
        // Per delivery: hashed from a stack buffer when the text fits (a conversation id is short).
        var text = $"deliver\n{eventId:N}\n{action}\n{target}";
        Span<byte> utf8 = stackalloc byte[512];
        if (Encoding.UTF8.GetMaxByteCount(text.Length) > utf8.Length)
        {
            utf8 = Encoding.UTF8.GetBytes(text);
        }
        else
        {
            utf8 = utf8[..Encoding.UTF8.GetBytes(text, utf8)];
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8, hash);
        return Convert.ToHexStringLower(hash[..16]);
    }

    /// <summary>A stable 63-bit positive number from a key (RTM mids are Int64 and unique per sender).</summary>
    public static long ToPositiveInt64(string key)
    {
        var hash = Hash("int64\n" + key);
        return (long)(BitConverter.ToUInt64(hash, 0) & 0x7FFF_FFFF_FFFF_FFFFUL);
    }

    private static Guid NameBased(string name)
    {
        Span<byte> bytes = stackalloc byte[16];
        Hash(name).AsSpan(0, 16).CopyTo(bytes);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50); // version 5
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(bytes, bigEndian: true);
    }

    private static byte[] Hash(string text) => SHA256.HashData(Encoding.UTF8.GetBytes(text));
}
