using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Configuration;

namespace Bridge.Connectors.Glide;

/// <summary>Creates <c>type: glide</c> connectors.</summary>
public sealed class GlideConnectorFactory : ConnectorFactory<GlideOptions>
{
    public override string Type => "glide";

    protected override GlideOptions? Bind(SettingsReader settings)
    {
        var url = settings.Uri("url", required: true, "ws", "wss");
        var uid = settings.RequiredString("uid");
        if (uid.Contains('_', StringComparison.Ordinal))
        {
            settings.Error("uid", "a Glide uid must not contain '_' (the server splits internal ids on it)");
        }

        var credential = settings.OptionalSecret("credential");
        var gatewaySecret = settings.OptionalSecret("gatewaySecret");
        var deliverSecret = settings.OptionalSecret("deliverSecret");
        var apiUrl = settings.Uri("apiUrl", required: false, "http", "https");
        var apiToken = settings.OptionalSecret("apiToken");
        if (credential is null && gatewaySecret is null && apiToken is null)
        {
            settings.Error("credential", "one of credential, gatewaySecret or apiToken (with apiUrl) is required");
        }

        if (apiToken is not null && apiUrl is null)
        {
            settings.Error("apiUrl", "is required with apiToken (the business API, e.g. http://glide:8081/)");
        }

        if (gatewaySecret is null && deliverSecret is null && apiToken is null)
        {
            settings.Error("deliverSecret", "tickets need deliverSecret, gatewaySecret or apiToken (with apiUrl)");
        }

        foreach (var (key, secret) in new[] { ("credential", credential), ("gatewaySecret", gatewaySecret), ("deliverSecret", deliverSecret), ("apiToken", apiToken) })
        {
            if (secret is { IsEmpty: true })
            {
                settings.Error(key, "must not be empty");
            }
        }

        var options = new GlideOptions
        {
            Url = url!,
            Uid = uid,
            Credential = credential,
            GatewaySecret = gatewaySecret,
            DeliverSecret = deliverSecret,
            DeviceId = settings.String("deviceId", "1"),
            ApiUrl = apiUrl,
            ApiToken = apiToken,
            HeartbeatInterval = settings.Duration("heartbeatInterval", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(60)),
            SilenceWindow = settings.Duration("silenceWindow", TimeSpan.FromSeconds(75), TimeSpan.FromMilliseconds(200), TimeSpan.FromMinutes(10)),
            AuthTimeout = settings.Duration("authTimeout", TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(2)),
            SendTimeout = settings.Duration("sendTimeout", TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(2)),
            MaxInFlight = settings.Int32("maxInFlight", 256, 1, 65536),
            MaxFrameBytes = settings.Int32("maxFrameBytes", 1 << 20, 1024, 64 << 20),
        };
        if (options.SilenceWindow <= options.HeartbeatInterval)
        {
            settings.Error("silenceWindow", "must be longer than heartbeatInterval");
        }

        return url is null ? null : options;
    }

    protected override IConnector Create(ConnectorContext context, GlideOptions options) => new GlideConnector(context, options);
}
