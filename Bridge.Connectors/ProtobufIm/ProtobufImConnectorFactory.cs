using System.Text;
using System.Text.Json;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Configuration;
using Bridge.Connectors.Transport;

namespace Bridge.Connectors.ProtobufIm;

/// <summary>Creates <c>type: protobuf-im</c> connectors from their YAML settings.</summary>
public sealed class ProtobufImConnectorFactory : ConnectorFactory<ProtobufImOptions>
{
    public const string TypeName = "protobuf-im";

    public override string Type => TypeName;

    protected override ProtobufImOptions? Bind(SettingsReader settings)
    {
        var url = settings.Uri("url", required: true, "ws", "wss");
        var userId = settings.RequiredString("userId");
        var token = settings.RequiredSecret("token");
        var version = settings.String("protocolVersion", ProtobufImOptions.SupportedProtocolVersion);
        if (version != ProtobufImOptions.SupportedProtocolVersion)
        {
            settings.Error("protocolVersion", $"'{version}' is not supported: only the v1 server is (v2 and v3 are wire-incompatible)");
        }

        if (!token.IsEmpty && userId.Length > 0 && TokenUser(token.Reveal()) is { } tokenUser && tokenUser != userId)
        {
            settings.Error("token", $"the token authenticates as '{tokenUser}', not as userId '{userId}'");
        }

        var defaults = ReconnectPolicy.Default;
        var heartbeat = settings.Duration("heartbeatInterval", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(50), TimeSpan.FromMinutes(10));
        var silence = settings.Duration("silenceWindow", TimeSpan.FromSeconds(75), TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        if (silence <= heartbeat)
        {
            settings.Error("silenceWindow", "must be longer than heartbeatInterval (heartbeat replies are what keeps the session from looking silent)");
        }

        var options = new ProtobufImOptions(url ?? new Uri("ws://invalid/"), userId, token)
        {
            Platform = settings.String("platform", "Bridge"),
            HeartbeatInterval = heartbeat,
            SilenceWindow = silence,
            RequestTimeout = settings.Duration("requestTimeout", TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50), TimeSpan.FromMinutes(5)),
            KickDetectionWindow = settings.Duration("kickDetectionWindow", TimeSpan.FromMinutes(2), TimeSpan.Zero, TimeSpan.FromDays(1)),
            SyncPageSize = settings.Int32("syncPageSize", 100, 1, 100),
            SyncLookback = settings.Int64("syncLookback", 100, 0, long.MaxValue),
            SyncMaxPages = settings.Int32("syncMaxPages", 200, 1, 100_000),
            SyncHistoryOnFirstStart = settings.Bool("syncHistoryOnFirstStart", false),
            MaxInFlight = settings.Int32("maxInFlight", 256, 1, 100_000),
            MaxContentBytes = settings.Int32("maxContentBytes", 64 * 1024, 1, 64 * 1024 * 1024),
            MaxFrameBytes = settings.Int32("maxFrameBytes", 8 * 1024 * 1024, 1024, 256 * 1024 * 1024),
            Reconnect = defaults with
            {
                InitialDelay = settings.Duration("reconnectInitialDelay", defaults.InitialDelay, TimeSpan.Zero),
                MaxDelay = settings.Duration("reconnectMaxDelay", defaults.MaxDelay, TimeSpan.Zero),
                BadCredentialsDelay = settings.Duration("badCredentialsDelay", defaults.BadCredentialsDelay, TimeSpan.Zero),
                KickedDelay = settings.Duration("kickedDelay", defaults.KickedDelay, TimeSpan.Zero),
                SilenceWindow = silence,
            },
        };
        return options;
    }

    protected override IConnector Create(ConnectorContext context, ProtobufImOptions options) => new ProtobufImConnector(context, options);

    /// <summary>The user a token names (<c>demo_token_&lt;id&gt;</c>, or the JWT's <c>user_id</c> claim), without verifying it.</summary>
    internal static string? TokenUser(string token)
    {
        if (token.Length > 11 && token.StartsWith("demo_token_", StringComparison.Ordinal))
        {
            return token[11..];
        }

        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return null;
        }

        try
        {
            var payload = parts[1].Replace('-', '+').Replace('_', '/');
            payload = payload.PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '=');
            using var json = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload)));
            return json.RootElement.TryGetProperty("user_id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return null;
        }
    }
}
