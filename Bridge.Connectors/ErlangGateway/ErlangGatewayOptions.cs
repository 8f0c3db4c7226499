using Bridge.Connectors.Configuration;
using Bridge.Connectors.Transport;

namespace Bridge.Connectors.ErlangGateway;

/// <summary>How the application payload of a message is written.</summary>
public enum PayloadFormat
{
    /// <summary>The payload is the UTF-8 text itself; the sender is unknown (shown as a configured name).</summary>
    Text,
    /// <summary>The vendor's JSON envelope <c>{"from","to","content"}</c>.</summary>
    XywyJson,
}

/// <summary>Which connection carries 1:1 PUBLISH sends.</summary>
public enum SendPath
{
    /// <summary>The authenticated WebSocket session (default).</summary>
    WebSocket,
    /// <summary>The TCP interface (port 19095, 4-byte length prefix, PUBLISH/PUB_ACK only); group sends stay on the WebSocket.</summary>
    Tcp,
}

/// <summary>The settings of one <c>erlang-gateway</c> connector (see docs/connectors/erlang-gateway.md).</summary>
public sealed record ErlangGatewayOptions(Uri Url, string Username, Secret Password)
{
    /// <summary>CONNECT Role byte (README default 0).</summary>
    public byte Role { get; init; }

    /// <summary>Optional trailing ClientId byte of the newer SDK (1 pc, 2 app, 3 3g); null: not sent.</summary>
    public byte? ClientId { get; init; }

    /// <summary>The bridge account as it appears in the JSON envelope's <c>from</c> (default: the username).</summary>
    public string? SelfId { get; init; }

    public string Self => string.IsNullOrEmpty(SelfId) ? Username : SelfId;

    public PayloadFormat Payload { get; init; } = PayloadFormat.Text;

    /// <summary>Text mode (or a JSON push without <c>from</c>): the sender's id and display name.</summary>
    public string UnknownSenderId { get; init; } = "unknown";

    public string UnknownSenderName { get; init; } = "erlang-gateway";

    public SendPath SendPath { get; init; } = SendPath.WebSocket;

    /// <summary>The TCP interface; host defaults to the WebSocket URL's host.</summary>
    public string? TcpHost { get; init; }

    public int TcpPort { get; init; } = 19095;

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a send waits for its PUB_ACK / GROUP_PUB_ACK / GROUP_PART_PUB_ACK.</summary>
    public TimeSpan AckTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Nothing received (not even a PING) for this long: reconnect. Null: off. The real ping interval is unknown.</summary>
    public TimeSpan? SilenceWindow { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>Pushes handed to the sink and not yet durable, at most.</summary>
    public int MaxInFlight { get; init; } = 1024;

    /// <summary>Largest payload sent (65,535 by format; 32,767 for the vendor's Android clients).</summary>
    public int MaxPayloadBytes { get; init; } = ErlangCodec.MaxPayloadBytes;

    /// <summary>How many recently sent and recently acknowledged MsgIds are remembered (own echoes, resends).</summary>
    public int RecentIdCapacity { get; init; } = 20_000;

    public bool AllowUntrustedCertificate { get; init; }

    public ReconnectPolicy Reconnect { get; init; } = ReconnectPolicy.Default;

    public string EffectiveTcpHost => string.IsNullOrEmpty(TcpHost) ? Url.Host : TcpHost;

    public ReconnectPolicy EffectiveReconnect => Reconnect with { SilenceWindow = SilenceWindow };
}
