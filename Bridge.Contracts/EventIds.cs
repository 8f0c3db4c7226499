using System.Security.Cryptography;
using System.Text;
using System.Text.Unicode;

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

    public static Guid ForIngest(string connector, string nativeKey)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        Span<byte> utf8 = stackalloc byte[StackText];
        if (Utf8.TryWrite(utf8, $"ingest\n{connector}\n{nativeKey}", out var written))
        {
            SHA256.HashData(utf8[..written], hash);
        }
        else
        {
            SHA256.HashData(Encoding.UTF8.GetBytes($"ingest\n{connector}\n{nativeKey}"), hash);
        }

        var bytes = hash[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50); // version 5
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(bytes, bigEndian: true);
    }

    /// <summary>
    /// The key of one delivery: SHA-256 of <c>deliver\n{event id, N format}\n{action}\n{target}</c>,
    /// its first 16 bytes in lower-case hex. The text is written straight to UTF-8 on the stack:
    /// the key is the only string a delivery's key costs.
    /// </summary>
    public static string IdempotencyKey(Guid eventId, DeliveryAction action, EndpointRef target)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        Span<byte> utf8 = stackalloc byte[StackText];
        if (TryWriteDeliveryText(utf8, eventId, action, target, out var written))
        {
            SHA256.HashData(utf8[..written], hash);
        }
        else
        {
            SHA256.HashData(Encoding.UTF8.GetBytes($"deliver\n{eventId:N}\n{action}\n{target}"), hash);
        }

        return Convert.ToHexStringLower(hash[..16]);
    }

    /// <summary>
    /// The key's text in UTF-8. The id is formatted by its own method: through the interpolation
    /// handler's generic path a <see cref="Guid"/> is boxed in unoptimized code.
    /// </summary>
    private static bool TryWriteDeliveryText(Span<byte> utf8, Guid eventId, DeliveryAction action, EndpointRef target, out int written)
    {
        written = 0;
        var prefix = "deliver\n"u8;
        if (!prefix.TryCopyTo(utf8) || !eventId.TryFormat(utf8[prefix.Length..], out var id, "N"))
        {
            return false;
        }

        var at = prefix.Length + id;
        if (!Utf8.TryWrite(utf8[at..], $"\n{ActionName(action)}\n{target.Connector}:{EndpointRef.KindName(target.Kind)}/{target.NativeId}", out var rest))
        {
            return false;
        }

        written = at + rest;
        return true;
    }

    /// <summary>The action's name as <see cref="Enum.ToString()"/> writes it, without formatting (boxing) the enum.</summary>
    private static string ActionName(DeliveryAction action) => action switch
    {
        DeliveryAction.Post => nameof(DeliveryAction.Post),
        DeliveryAction.Edit => nameof(DeliveryAction.Edit),
        DeliveryAction.Delete => nameof(DeliveryAction.Delete),
        _ => action.ToString(),
    };

    /// <summary>A stable 63-bit positive number from a key (RTM mids are Int64 and unique per sender).</summary>
    public static long ToPositiveInt64(string key)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        Span<byte> utf8 = stackalloc byte[StackText];
        if (Utf8.TryWrite(utf8, $"int64\n{key}", out var written))
        {
            SHA256.HashData(utf8[..written], hash);
        }
        else
        {
            SHA256.HashData(Encoding.UTF8.GetBytes("int64\n" + key), hash);
        }

        return (long)(BitConverter.ToUInt64(hash) & 0x7FFF_FFFF_FFFF_FFFFUL);
    }
}
