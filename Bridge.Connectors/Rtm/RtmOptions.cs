using Bridge.Connectors.Configuration;
using Bridge.Connectors.Transport;

namespace Bridge.Connectors.Rtm;

/// <summary>What to do with an inbound mtype that is neither chat (30 / the configured text mtype) nor a file (31, 40..50).</summary>
public enum RtmOtherMtypes
{
    Drop,
    Relay,
}

/// <summary>Settings of one <c>type: rtm</c> connector (see docs/connectors/rtm.md).</summary>
public sealed record RtmOptions
{
    /// <summary>The gate: <c>ws[s]://host:port/service/websocket</c> (null when <see cref="Dispatch"/> is used).</summary>
    public Uri? Endpoint { get; init; }

    /// <summary>A dispatch address (<c>ws[s]://host:port/service/websocket</c>) asked with <c>which</c> on every connect.</summary>
    public Uri? Dispatch { get; init; }

    /// <summary>Optional proxy (<c>wss://proxy/service/websocket</c>); every outgoing packet is wrapped as <c>{endpoint, data}</c>.</summary>
    public Uri? ProxyEndpoint { get; init; }

    public required long Pid { get; init; }

    public required long Uid { get; init; }

    public required Secret Token { get; init; }

    /// <summary>The <c>version</c> sent in <c>auth</c>.</summary>
    public string Version { get; init; } = "WebSocket_2.7.6";

    public IReadOnlyDictionary<string, string> AuthAttrs { get; init; } = new Dictionary<string, string>();

    /// <summary><c>addrType</c> in <c>which</c>.</summary>
    public string AddrType { get; init; } = "ipv4";

    /// <summary>mtype of relayed text: 30 (chat) or a custom type 51..127.</summary>
    public int TextMtype { get; init; } = RtmMtypes.Chat;

    public RtmOtherMtypes OtherMtypes { get; init; } = RtmOtherMtypes.Drop;

    /// <summary>No gate <c>ping</c> for this long means the connection is dead (the SDKs use 60 s).</summary>
    public TimeSpan PingTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a quest (send, auth, history) waits for its answer.</summary>
    public TimeSpan QuestTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Pushes handed to the sink and not yet durable, at most.</summary>
    public int MaxInFlight { get; init; } = 256;

    /// <summary>History messages fetched per endpoint after a (re)connect, at most.</summary>
    public int CatchUpLimit { get; init; } = 500;

    /// <summary>Largest relayed msg in UTF-8 bytes; bigger sends fail as too large.</summary>
    public int MaxMessageBytes { get; init; } = 32 * 1024;

    /// <summary>Largest FPNN packet accepted from the gate.</summary>
    public int MaxPacketBytes { get; init; } = 1 << 20;

    public bool AllowUntrustedCertificate { get; init; }

    public ReconnectPolicy Reconnect { get; init; } = ReconnectPolicy.Default;

    /// <summary>The transport options for a WebSocket URL.</summary>
    internal WebSocketEndpointOptions Socket(Uri url) => new(url)
    {
        MaxFrameBytes = MaxPacketBytes + 64,
        AllowUntrustedCertificate = AllowUntrustedCertificate,
        KeepAliveInterval = TimeSpan.Zero,
    };
}
