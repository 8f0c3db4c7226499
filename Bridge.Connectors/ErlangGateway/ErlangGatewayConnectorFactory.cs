using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Configuration;
using Bridge.Connectors.Transport;

namespace Bridge.Connectors.ErlangGateway;

/// <summary>Binds and validates <c>type: erlang-gateway</c> settings (keys in docs/connectors/erlang-gateway.md).</summary>
public sealed class ErlangGatewayConnectorFactory : ConnectorFactory<ErlangGatewayOptions>
{
    public const string TypeName = "erlang-gateway";

    public override string Type => TypeName;

    protected override ErlangGatewayOptions? Bind(SettingsReader settings)
    {
        var url = settings.Uri("url", required: true, "ws", "wss");
        var username = settings.RequiredString("username");
        var password = settings.RequiredSecret("password");
        var clientId = settings.Has("clientId") ? (byte?)settings.Int32("clientId", 2, 0, 255) : null;
        var silence = settings.OptionalString("silenceWindow") is "off" or "none"
            ? null
            : (TimeSpan?)settings.Duration("silenceWindow", TimeSpan.FromMinutes(3), TimeSpan.FromSeconds(1));
        var defaults = ReconnectPolicy.Default;
        var options = new ErlangGatewayOptions(url ?? new Uri("ws://invalid"), username, password)
        {
            Role = (byte)settings.Int32("role", 0, 0, 255),
            ClientId = clientId,
            SelfId = settings.OptionalString("selfId"),
            Payload = settings.Enum("payload", PayloadFormat.Text),
            UnknownSenderId = settings.String("unknownSenderId", "unknown"),
            UnknownSenderName = settings.String("unknownSenderName", "erlang-gateway"),
            SendPath = settings.Enum("sendPath", SendPath.WebSocket),
            TcpHost = settings.OptionalString("tcpHost"),
            TcpPort = settings.Int32("tcpPort", 19095, 1, 65535),
            ConnectTimeout = settings.Duration("connectTimeout", TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100)),
            AckTimeout = settings.Duration("ackTimeout", TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100)),
            SilenceWindow = silence,
            MaxInFlight = settings.Int32("maxInFlight", 1024, 1, 100_000),
            MaxPayloadBytes = settings.Int32("maxPayloadBytes", ErlangCodec.MaxPayloadBytes, 1, ErlangCodec.MaxPayloadBytes),
            AllowUntrustedCertificate = settings.Bool("allowUntrustedCertificate", false),
            Reconnect = defaults with
            {
                InitialDelay = settings.Duration("reconnect.initialDelay", defaults.InitialDelay, TimeSpan.Zero),
                MaxDelay = settings.Duration("reconnect.maxDelay", defaults.MaxDelay, TimeSpan.Zero),
                BadCredentialsDelay = settings.Duration("reconnect.badCredentialsDelay", defaults.BadCredentialsDelay, TimeSpan.Zero),
                KickedDelay = settings.Duration("reconnect.kickedDelay", defaults.KickedDelay, TimeSpan.Zero),
            },
        };

        if (System.Text.Encoding.UTF8.GetByteCount(username) > ushort.MaxValue)
        {
            settings.Error("username", "must fit 65,535 bytes of UTF-8");
        }

        if (System.Text.Encoding.UTF8.GetByteCount(password.Reveal()) > ushort.MaxValue)
        {
            settings.Error("password", "must fit 65,535 bytes of UTF-8");
        }

        return url is null || username.Length == 0 || password.IsEmpty ? null : options;
    }

    protected override IConnector Create(ConnectorContext context, ErlangGatewayOptions options) =>
        new ErlangGatewayConnector(context, options);
}
