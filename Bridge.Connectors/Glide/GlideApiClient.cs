using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Bridge.Connectors.Configuration;

namespace Bridge.Connectors.Glide;

/// <summary>The business API refused or failed a call; <see cref="IsAuthFailure"/> when the token was refused.</summary>
public sealed class GlideApiException(string message, bool isAuthFailure) : Exception(message)
{
    public bool IsAuthFailure { get; } = isAuthFailure;
}

/// <summary>
/// The two business-API calls the connector needs (glide-im/api): a fresh credential from
/// <c>/api/auth/token</c> and a ticket per target from <c>/api/session/ticket</c>. Replies are
/// <c>{"Code":100,"Msg":"success","Data":{…}}</c>. Tokens and credentials never reach logs or exceptions.
/// </summary>
public sealed class GlideApiClient(HttpClient http, Uri baseUrl, Secret token)
{
    private const int Success = 100;

    private readonly Uri _base = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
    private string _token = token.Reveal();

    /// <summary>POST /api/auth/token → a credential valid for 25 minutes (and a renewed API token).</summary>
    public async Task<string> FetchCredentialAsync(CancellationToken cancellationToken)
    {
        using var doc = await CallAsync("api/auth/token", $"{{\"token\":{JsonSerializer.Serialize(_token)}}}", bearer: false, cancellationToken).ConfigureAwait(false);
        var data = doc.RootElement.GetProperty("Data");
        if (data.TryGetProperty("token", out var renewed) && renewed.ValueKind == JsonValueKind.String && renewed.GetString() is { Length: > 0 } t)
        {
            _token = t;
        }

        if (data.TryGetProperty("credential", out var c) && c.ValueKind == JsonValueKind.Object
            && c.TryGetProperty("credential", out var value) && value.ValueKind == JsonValueKind.String)
        {
            return value.GetString()!;
        }

        throw new GlideApiException("/api/auth/token: the reply has no credential", false);
    }

    /// <summary>POST /api/session/ticket {"To": target} → the 40-hex ticket for messages to that uid or channel.</summary>
    public async Task<string> FetchTicketAsync(string to, CancellationToken cancellationToken)
    {
        using var doc = await CallAsync("api/session/ticket", $"{{\"To\":{JsonSerializer.Serialize(to)}}}", bearer: true, cancellationToken).ConfigureAwait(false);
        var root = doc.RootElement;
        var holder = root.TryGetProperty("Data", out var data) && data.ValueKind == JsonValueKind.Object ? data : root;
        if (holder.TryGetProperty("Ticket", out var ticket) && ticket.ValueKind == JsonValueKind.String && ticket.GetString() is { Length: GlideTickets.Length } value)
        {
            return value;
        }

        throw new GlideApiException($"/api/session/ticket: no 40-character ticket for '{to}' in the reply", false);
    }

    private async Task<JsonDocument> CallAsync(string path, string body, bool bearer, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_base, path))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        if (bearer)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        }

        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            throw new GlideApiException($"/{path}: the API token was refused (HTTP {(int)response.StatusCode})", true);
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new GlideApiException($"/{path}: HTTP {(int)response.StatusCode}", false);
        }

        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
            throw new GlideApiException($"/{path}: the reply is not JSON", false);
        }

        var root = doc.RootElement;
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("Code", out var code) && code.ValueKind == JsonValueKind.Number && code.GetInt32() != Success)
        {
            var msg = root.TryGetProperty("Msg", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            var c = code.GetInt32();
            doc.Dispose();
            throw new GlideApiException($"/{path}: code {c} {msg}", c is 1002 or 401 or 403);
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            doc.Dispose();
            throw new GlideApiException($"/{path}: the reply is not a JSON object", false);
        }

        return doc;
    }
}
