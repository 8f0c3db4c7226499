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
    /// <summary>Texts up to this many UTF-8 bytes are hashed from the stack (names and ids are short).</summary>
    private const int StackText = 512;

    /// <summary>The id of a backend message: a version-5 style UUID of SHA-256 over <c>ingest\n{connector}\n{nativeKey}</c>.</summary>
    public static Guid ForIngest(string connector, string nativeKey)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        Hash(hash, "ingest\n"u8, connector, "\n", nativeKey);
        var bytes = hash[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50); // version 5
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(bytes, bigEndian: true);
    }

    /// <summary>
    /// The key of one delivery: SHA-256 of <c>deliver\n{event id, N format}\n{action}\n{target}</c>,
    /// its first 16 bytes in lower-case hex; the key is the only string it allocates.
    /// </summary>
    public static string IdempotencyKey(Guid eventId, DeliveryAction action, EndpointRef target)
    {
        // The id is formatted by its own method: through an interpolation handler's generic path a
        // Guid is boxed in unoptimized code.
        Span<byte> head = stackalloc byte[8 + 32];
        "deliver\n"u8.CopyTo(head);
        eventId.TryFormat(head[8..], out _, "N");
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        Hash(hash, head, "\n", ActionName(action), "\n", target.Connector, ":", EndpointRef.KindName(target.Kind), "/", target.NativeId);
        return Convert.ToHexStringLower(hash[..16]);
    }

    /// <summary>A stable 63-bit positive number from a key (RTM mids are Int64 and unique per sender).</summary>
    public static long ToPositiveInt64(string key)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        Hash(hash, "int64\n"u8, key);
        return (long)(BitConverter.ToUInt64(hash) & 0x7FFF_FFFF_FFFF_FFFFUL);
    }

    /// <summary>The action's name as <see cref="Enum.ToString()"/> writes it, without formatting (boxing) the enum.</summary>
    private static string ActionName(DeliveryAction action) => action switch
    {
        DeliveryAction.Post => nameof(DeliveryAction.Post),
        DeliveryAction.Edit => nameof(DeliveryAction.Edit),
        DeliveryAction.Delete => nameof(DeliveryAction.Delete),
        _ => action.ToString(),
    };

    /// <summary>
    /// SHA-256 into <paramref name="hash"/> of <paramref name="head"/> followed by the parts' UTF-8
    /// (invalid UTF-16 as U+FFFD). Ids and keys are made per ingest and per delivery, so a text
    /// that fits is encoded on the stack and the parts are passed without an array.
    /// </summary>
    private static void Hash(Span<byte> hash, scoped ReadOnlySpan<byte> head, params scoped ReadOnlySpan<string> parts)
    {
        var length = head.Length;
        foreach (var part in parts)
        {
            length += Encoding.UTF8.GetByteCount(part);
        }

        var utf8 = length <= StackText ? stackalloc byte[StackText] : new byte[length];
        head.CopyTo(utf8);
        var at = head.Length;
        foreach (var part in parts)
        {
            at += Encoding.UTF8.GetBytes(part, utf8[at..]);
        }

        SHA256.HashData(utf8[..at], hash);
    }
}
