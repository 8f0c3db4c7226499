using System.Globalization;
using System.Text.Json;
using Bridge.Connectors.Glide;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Bridge.Simulators.Glide;

/// <summary>
/// The two business-API routes a bridge uses (glide-im/api): <c>/api/auth/token</c> (fresh
/// credential) and <c>/api/session/ticket</c> (Bearer token). Replies <c>{"Code","Msg","Data"}</c>.
/// </summary>
public sealed partial class GlideSimulator
{
    private const int ApiSuccess = 100;
    private const int ApiBadParameter = 300;
    private const int ApiUnauthorized = 401;

    /// <summary>The API's hard-coded server list (2): clients should not trust it.</summary>
    private static readonly string[] LoginServers = ["ws://127.0.0.1:8080/ws"];

    private void MapApi(IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/auth/token", async context =>
        {
            var token = await ReadStringAsync(context, "token").ConfigureAwait(false);
            var user = token is null ? null : _users.Values.FirstOrDefault(u => u.ApiToken == token);
            if (user is null)
            {
                await ReplyAsync(context, ApiUnauthorized, "invalid token", null).ConfigureAwait(false);
                return;
            }

            await ReplyAsync(context, ApiSuccess, "success", new Dictionary<string, object?>
            {
                ["token"] = user.ApiToken,
                ["uid"] = long.TryParse(user.Uid, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : user.Uid,
                ["servers"] = LoginServers,
                ["credential"] = new Dictionary<string, object> { ["version"] = 1, ["credential"] = MintCredential(user.Uid, "2") },
            }).ConfigureAwait(false);
        });

        routes.MapPost("/api/session/ticket", async context =>
        {
            var header = context.Request.Headers.Authorization.ToString();
            var user = header.StartsWith("Bearer ", StringComparison.Ordinal)
                ? _users.Values.FirstOrDefault(u => u.ApiToken == header[7..])
                : null;
            if (user is null)
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return;
            }

            var to = await ReadStringAsync(context, "To").ConfigureAwait(false);
            if (string.IsNullOrEmpty(to))
            {
                await ReplyAsync(context, ApiBadParameter, "bad parameter", null).ConfigureAwait(false);
                return;
            }

            await ReplyAsync(context, ApiSuccess, "success", new Dictionary<string, object?>
            {
                ["Ticket"] = GlideTickets.Compute(user.DeliverSecret, user.Uid, to),
            }).ConfigureAwait(false);
        });
    }

    private static async Task<string?> ReadStringAsync(HttpContext context, string name)
    {
        try
        {
            using var doc = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false);
            return doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static Task ReplyAsync(HttpContext context, int code, string msg, object? data)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, object?> { ["Code"] = code, ["Msg"] = msg, ["Data"] = data }), context.RequestAborted);
    }
}
