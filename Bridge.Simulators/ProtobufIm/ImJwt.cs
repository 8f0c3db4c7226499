using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Bridge.Simulators.ProtobufIm;

/// <summary>
/// The server's HS256 tokens (<c>pkg/crypto/jwt.go</c>): three base64url parts without padding,
/// signature = HMAC-SHA256(secret, header "." payload), header never parsed, identity from the
/// string claim <c>user_id</c>, expired only when now &gt; exp (a missing exp is 0: expired).
/// </summary>
public static class ImJwt
{
    private const string Header = """{"alg":"HS256","typ":"JWT"}""";

    public static string Create(string secret, string payloadJson)
    {
        var signingInput = Base64Url(Encoding.UTF8.GetBytes(Header)) + "." + Base64Url(Encoding.UTF8.GetBytes(payloadJson));
        var signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(signingInput));
        return signingInput + "." + Base64Url(signature);
    }

    public static string Create(string secret, string userId, string platform, DateTimeOffset issuedAt, DateTimeOffset expires) =>
        Create(secret, JsonSerializer.Serialize(new Claims(userId, platform, issuedAt.ToUnixTimeSeconds(), expires.ToUnixTimeSeconds())));

    /// <summary>The user id of a valid, unexpired token; null otherwise.</summary>
    public static string? Validate(string token, string secret, DateTimeOffset now)
    {
        var parts = token.Split('.');
        if (parts.Length != 3
            || !TryDecode(parts[0], out _)
            || !TryDecode(parts[1], out var payload)
            || !TryDecode(parts[2], out var signature))
        {
            return null;
        }

        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(parts[0] + "." + parts[1]));
        if (!CryptographicOperations.FixedTimeEquals(expected, signature))
        {
            return null;
        }

        try
        {
            using var json = JsonDocument.Parse(payload);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("user_id", out var id) || id.ValueKind != JsonValueKind.String)
            {
                return null;
            }

            long exp = 0;
            if (root.TryGetProperty("exp", out var expElement) && !expElement.TryGetInt64(out exp))
            {
                return null;
            }

            return now.ToUnixTimeSeconds() > exp ? null : id.GetString();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Go's RawURLEncoding: padding is an error.</summary>
    private static bool TryDecode(string part, out byte[] bytes)
    {
        bytes = [];
        if (part.Contains('=', StringComparison.Ordinal) || part.Length % 4 == 1)
        {
            return false;
        }

        var standard = part.Replace('-', '+').Replace('_', '/');
        standard = standard.PadRight(standard.Length + ((4 - (standard.Length % 4)) % 4), '=');
        try
        {
            bytes = Convert.FromBase64String(standard);
            return !part.Contains('+', StringComparison.Ordinal) && !part.Contains('/', StringComparison.Ordinal);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private sealed record Claims(
        [property: System.Text.Json.Serialization.JsonPropertyName("user_id")] string UserId,
        [property: System.Text.Json.Serialization.JsonPropertyName("platform")] string Platform,
        [property: System.Text.Json.Serialization.JsonPropertyName("iat")] long Iat,
        [property: System.Text.Json.Serialization.JsonPropertyName("exp")] long Exp);
}
