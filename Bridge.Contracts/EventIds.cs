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
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        Hash($"deliver\n{eventId:N}\n{action}\n{target}", hash);
        return Convert.ToHexStringLower(hash[..16]);
    }

    /// <summary>A stable 63-bit positive number from a key (RTM mids are Int64 and unique per sender).</summary>
    public static long ToPositiveInt64(string key)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        Hash("int64\n" + key, hash);
        return (long)(BitConverter.ToUInt64(hash) & 0x7FFF_FFFF_FFFF_FFFFUL);
    }

    private static Guid NameBased(string name)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        Hash(name, hash);
        var bytes = hash[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50); // version 5
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(bytes, bigEndian: true);
    }

    /// <summary>
    /// SHA-256 of the text's UTF-8 into <paramref name="hash"/>. Ids and keys are made per ingest and
    /// per delivery, so a text that fits is encoded on the stack (names and conversation ids are short).
    /// </summary>
    private static void Hash(string text, Span<byte> hash)
    {
        Span<byte> utf8 = stackalloc byte[512];
        utf8 = Encoding.UTF8.GetMaxByteCount(text.Length) <= utf8.Length
            ? utf8[..Encoding.UTF8.GetBytes(text, utf8)]
            : Encoding.UTF8.GetBytes(text);
        SHA256.HashData(utf8, hash);
    }
}
