using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Bridge.Connectors.Abstractions;

namespace Bridge.Connectors.Glide;

/// <summary>The plaintext of a Glide credential (ClientAuthCredentials, section 3.2).</summary>
public sealed record GlideCredentialClaims(
    string UserId,
    string DeviceId,
    string DeviceName,
    string MessageDeliverSecret,
    long TimestampMs,
    string OnlineStateSecret = "",
    int Type = 0,
    string ConnectionId = "");

/// <summary>How decrypting a credential went, as the server's authenticator distinguishes it.</summary>
public enum GlideCredentialCheck
{
    Valid,
    /// <summary>Too short, bad base64 (padding included), or not the expected JSON: "invalid authenticate message".</summary>
    Invalid,
    /// <summary>The ciphertext length is not a positive multiple of 16: the real server panics and closes the connection.</summary>
    MalformedLength,
}

/// <summary>
/// Mints and opens Glide credentials: AES-256-CBC, PKCS#7, key = first 32 bytes of
/// UTF-8(secret) ‖ SHA-512(empty), random IV prepended, standard base64 without padding.
/// </summary>
public static class GlideCredentials
{
    /// <summary>Credentials older than this are refused ("credential expired").</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMilliseconds(1_500_000);

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] DeriveKey(string secret)
    {
        var material = new byte[Encoding.UTF8.GetByteCount(secret) + SHA512.HashSizeInBytes];
        var n = Encoding.UTF8.GetBytes(secret, material);
        SHA512.HashData(ReadOnlySpan<byte>.Empty, material.AsSpan(n));
        return material[..32];
    }

    /// <summary>The plaintext JSON, keys in the server's order.</summary>
    public static byte[] Plaintext(GlideCredentialClaims claims)
    {
        using var buffer = new PooledBufferWriter(384);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteNumber("type"u8, claims.Type);
            w.WriteString("user_id"u8, claims.UserId);
            w.WriteString("device_id"u8, claims.DeviceId);
            w.WriteString("device_name"u8, claims.DeviceName);
            w.WriteStartObject("secrets"u8);
            w.WriteString("message_deliver_secret"u8, claims.MessageDeliverSecret);
            w.WriteString("online_state_secret"u8, claims.OnlineStateSecret);
            w.WriteEndObject();
            w.WriteNull("risk_control"u8);
            w.WriteNull("connection_config"u8);
            w.WriteString("connection_id"u8, claims.ConnectionId);
            w.WriteNumber("timestamp"u8, claims.TimestampMs);
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Mints a credential with a random IV.</summary>
    public static string Mint(string secret, GlideCredentialClaims claims) =>
        Encrypt(secret, Plaintext(claims), RandomNumberGenerator.GetBytes(16));

    public static string Encrypt(string secret, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> iv)
    {
        using var aes = Aes.Create();
        aes.Key = DeriveKey(secret);
        var cipher = aes.EncryptCbc(plaintext, iv, PaddingMode.PKCS7);
        var blob = new byte[iv.Length + cipher.Length];
        iv.CopyTo(blob);
        cipher.CopyTo(blob, iv.Length);
        return Convert.ToBase64String(blob).TrimEnd('=');
    }

    /// <summary>Opens a credential the way the server does (padding stripped by its last byte, unchecked).</summary>
    public static GlideCredentialCheck TryOpen(string secret, string? credential, out GlideCredentialClaims? claims)
    {
        claims = null;
        if (credential is null || credential.Length < 5 || credential.Contains('=', StringComparison.Ordinal) || credential.Length % 4 == 1)
        {
            return GlideCredentialCheck.Invalid;
        }

        byte[] blob;
        try
        {
            var padded = credential.Length % 4 == 0 ? credential : credential + new string('=', 4 - (credential.Length % 4));
            blob = Convert.FromBase64String(padded);
        }
        catch (FormatException)
        {
            return GlideCredentialCheck.Invalid;
        }

        if (blob.Length < 32 || (blob.Length - 16) % 16 != 0)
        {
            return GlideCredentialCheck.MalformedLength;
        }

        byte[] plain;
        using (var aes = Aes.Create())
        {
            aes.Key = DeriveKey(secret);
            plain = aes.DecryptCbc(blob.AsSpan(16), blob.AsSpan(0, 16), PaddingMode.None);
        }

        var pad = plain[^1];
        if (pad > plain.Length)
        {
            return GlideCredentialCheck.MalformedLength;
        }

        return TryParseClaims(plain.AsSpan(0, plain.Length - pad), out claims) ? GlideCredentialCheck.Valid : GlideCredentialCheck.Invalid;
    }

    private static bool TryParseClaims(ReadOnlySpan<byte> json, out GlideCredentialClaims? claims)
    {
        claims = null;
        try
        {
            var reader = new Utf8JsonReader(json);
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            string Str(JsonElement e, string name) =>
                e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : string.Empty;

            var secrets = root.TryGetProperty("secrets", out var s) && s.ValueKind == JsonValueKind.Object ? s : default;
            var timestamp = root.TryGetProperty("timestamp", out var t) && t.ValueKind == JsonValueKind.Number && t.TryGetInt64(out var ts) ? ts : 0;
            claims = new GlideCredentialClaims(
                Str(root, "user_id"),
                Str(root, "device_id"),
                Str(root, "device_name"),
                secrets.ValueKind == JsonValueKind.Object ? Str(secrets, "message_deliver_secret") : string.Empty,
                timestamp,
                secrets.ValueKind == JsonValueKind.Object ? Str(secrets, "online_state_secret") : string.Empty);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

/// <summary>Message tickets (section 4.6): hex(SHA1(secret + sender + hex(SHA1(secret + to)))), lower-case.</summary>
public static class GlideTickets
{
    public const int Length = 40;

    public static string Compute(string deliverSecret, string senderUid, string to)
    {
        var inner = Convert.ToHexStringLower(SHA1Hash(deliverSecret + to));
        return Convert.ToHexStringLower(SHA1Hash(deliverSecret + senderUid + inner));
    }

#pragma warning disable CA5350 // SHA-1 is what the server's ticket scheme uses; not our choice.
    private static byte[] SHA1Hash(string text) => SHA1.HashData(Encoding.UTF8.GetBytes(text));
#pragma warning restore CA5350
}
