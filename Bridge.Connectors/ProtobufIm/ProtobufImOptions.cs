using Bridge.Connectors.Configuration;
using Bridge.Connectors.Transport;

namespace Bridge.Connectors.ProtobufIm;

/// <summary>Settings of one protobuf-IM account (see docs/connectors/protobuf-im.md).</summary>
public sealed record ProtobufImOptions(Uri Url, string UserId, Secret Token)
{
    /// <summary>The only server version this connector speaks (v2/v3 are wire-incompatible).</summary>
    public const string SupportedProtocolVersion = "v1";

    public string Platform { get; init; } = "Bridge";

    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long auth, send, revoke, sync and heartbeat requests wait for their reply.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Reconnect when no frame at all arrived for this long (heartbeat replies keep it fed).</summary>
    public TimeSpan SilenceWindow { get; init; } = TimeSpan.FromSeconds(75);

    /// <summary>A second abrupt close of a healthy session within this window is reported as a kick.</summary>
    public TimeSpan KickDetectionWindow { get; init; } = TimeSpan.FromMinutes(2);

    public int SyncPageSize { get; init; } = 100;

    /// <summary>Catch-up starts this many seqs below the lowest handled seq of any known sender (seqs are per sender).</summary>
    public long SyncLookback { get; init; } = 100;

    public int SyncMaxPages { get; init; } = 200;

    /// <summary>On the very first start (no cursor yet): relay the account's history (true) or only what arrives from now on.</summary>
    public bool SyncHistoryOnFirstStart { get; init; }

    /// <summary>Inbound messages handed to the sink and not yet durable, at most.</summary>
    public int MaxInFlight { get; init; } = 256;

    /// <summary>Largest outbound content in UTF-8 bytes (the v1 server has no limit; this keeps frames sane).</summary>
    public int MaxContentBytes { get; init; } = 64 * 1024;

    public int MaxFrameBytes { get; init; } = 8 * 1024 * 1024;

    public ReconnectPolicy Reconnect { get; init; } = ReconnectPolicy.Default;

    public WebSocketEndpointOptions Endpoint => new(Url) { MaxFrameBytes = MaxFrameBytes, ConnectTimeout = RequestTimeout };
}
