using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Configuration;
using Bridge.Connectors.Transport;

namespace Bridge.Connectors.Rtm;

/// <summary>Binds and validates <c>type: rtm</c> settings and creates <see cref="RtmConnector"/>s.</summary>
public sealed class RtmConnectorFactory : ConnectorFactory<RtmOptions>
{
    public override string Type => "rtm";

    protected override RtmOptions? Bind(SettingsReader settings)
    {
        var ssl = settings.Bool("ssl", false);
        var endpoint = GateUrl(settings, "endpoint", ssl);
        var dispatch = GateUrl(settings, "dispatch", ssl);
        var proxy = GateUrl(settings, "proxyEndpoint", true);
        if (settings.Has("endpoint") == settings.Has("dispatch"))
        {
            settings.Error("endpoint", "give exactly one of 'endpoint' (the gate) or 'dispatch'");
        }

        var pid = settings.RequiredInt64("pid", 1);
        var uid = settings.RequiredInt64("uid", 1);
        var token = settings.RequiredSecret("token");
        var textMtype = settings.Int32("textMtype", RtmMtypes.Chat, RtmMtypes.Chat, RtmMtypes.Max);
        if (textMtype != RtmMtypes.Chat && textMtype < RtmMtypes.FirstCustom)
        {
            settings.Error("textMtype", $"{textMtype} is reserved by RTM; use 30 (chat) or a custom type 51..127");
        }

        var attrs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in settings.Settings.Values.Keys.Where(k => k.StartsWith("attrs.", StringComparison.Ordinal)).ToList())
        {
            attrs[key["attrs.".Length..]] = settings.OptionalString(key) ?? string.Empty;
        }

        var pingTimeout = settings.Duration("pingTimeout", TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        var policy = ReconnectPolicy.Default with
        {
            KeepaliveWindow = pingTimeout,
            KickedDelay = settings.Duration("kickedDelay", ReconnectPolicy.Default.KickedDelay, TimeSpan.Zero),
        };

        return new RtmOptions
        {
            Endpoint = endpoint,
            Dispatch = dispatch,
            ProxyEndpoint = proxy,
            Pid = pid,
            Uid = uid,
            Token = token,
            Version = settings.String("version", "WebSocket_2.7.6"),
            AuthAttrs = attrs,
            AddrType = settings.String("addrType", "ipv4"),
            TextMtype = textMtype,
            OtherMtypes = settings.Enum("otherMtypes", RtmOtherMtypes.Drop),
            PingTimeout = pingTimeout,
            QuestTimeout = settings.Duration("questTimeout", TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5)),
            MaxInFlight = settings.Int32("maxInFlight", 256, 1, 100_000),
            CatchUpLimit = settings.Int32("catchUpLimit", 500, 0, 100_000),
            MaxMessageBytes = settings.Int32("maxMessageBytes", 32 * 1024, 1, 16 << 20),
            MaxPacketBytes = settings.Int32("maxPacketBytes", 1 << 20, 1024, 64 << 20),
            AllowUntrustedCertificate = settings.Bool("allowUntrustedCertificate", false),
            Reconnect = policy,
        };
    }

    protected override IConnector Create(ConnectorContext context, RtmOptions options) => new RtmConnector(context, options);

    /// <summary><c>host:port</c> (scheme from <c>ssl</c>) or a ws/wss URL; the path defaults to /service/websocket.</summary>
    private static Uri? GateUrl(SettingsReader settings, string key, bool ssl)
    {
        var text = settings.OptionalString(key);
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        var url = RtmEndpoints.ToGateUrl(text, ssl);
        if (url is null)
        {
            settings.Error(key, $"'{text}' is neither host:port nor a ws:// or wss:// URL");
        }

        return url;
    }
}

/// <summary>RTM gate addresses: <c>host:port</c> ↔ <c>ws[s]://host:port/service/websocket</c>.</summary>
public static class RtmEndpoints
{
    public const string Path = "/service/websocket";

    public static Uri? ToGateUrl(string text, bool ssl)
    {
        if (text.Contains("://", StringComparison.Ordinal))
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("ws" or "wss"))
            {
                return null;
            }

            return uri.AbsolutePath is "/" or "" ? new Uri(uri, Path) : uri;
        }

        return Uri.TryCreate($"{(ssl ? "wss" : "ws")}://{text}{Path}", UriKind.Absolute, out var built) && built.Port > 0 ? built : null;
    }

    public static string HostPort(Uri url) => $"{url.Host}:{url.Port}";
}
