using Bridge.Connectors.Configuration;
using Bridge.Connectors.Transport;

namespace Bridge.Connectors.Glide;

/// <summary>
/// Settings of one Glide connector. Credential sources, first match wins: <see cref="GatewaySecret"/>
/// (a fresh credential minted for every connect), <see cref="ApiToken"/> (a fresh one from the
/// business API's <c>/api/auth/token</c>), <see cref="Credential"/> (fixed; valid 25 minutes from when
/// it was issued). Tickets are computed from <see cref="DeliverSecret"/> when it is known (always when
/// minting), otherwise fetched from the business API per target.
/// </summary>
public sealed record GlideOptions
{
    public required Uri Url { get; init; }

    /// <summary>The bridge account's uid (a string on the WebSocket; must not contain '_').</summary>
    public required string Uid { get; init; }

    public Secret? Credential { get; init; }

    public Secret? GatewaySecret { get; init; }

    /// <summary>The credential's message_deliver_secret (ticket key). Minting without one uses a random secret per process.</summary>
    public Secret? DeliverSecret { get; init; }

    public string DeviceId { get; init; } = "1";

    public Uri? ApiUrl { get; init; }

    public Secret? ApiToken { get; init; }

    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Reconnect when nothing at all arrived for this long (the server heartbeats after 30 s idle).</summary>
    public TimeSpan SilenceWindow { get; init; } = TimeSpan.FromSeconds(75);

    public TimeSpan AuthTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Pushes handed to the sink and not yet durable, at most.</summary>
    public int MaxInFlight { get; init; } = 256;

    /// <summary>Largest frame sent or accepted.</summary>
    public int MaxFrameBytes { get; init; } = 1 << 20;

    /// <summary>Backoff; its silence window is replaced by <see cref="SilenceWindow"/>.</summary>
    public ReconnectPolicy Reconnect { get; init; } = ReconnectPolicy.Default;

    public bool HasLocalTickets => DeliverSecret is not null || GatewaySecret is not null;
}
