using Bridge.Connectors.Transport;

namespace Bridge.Connectors.Xnest;

/// <summary>
/// Settings of an <c>xnest</c> connector. One WebSocket per room:
/// <c>{Url}/{room}?nickname={Nickname}[&amp;is_store_history={StoreHistory}]</c>.
/// </summary>
public sealed record XnestOptions
{
    /// <summary>The gateway base, e.g. <c>ws://xnest:8080/xgate/websocket</c> (or <c>wss://…:8443/…</c>).</summary>
    public required Uri Url { get; init; }

    /// <summary>The bridge's nickname in every room.</summary>
    public string Nickname { get; init; } = "bridge";

    /// <summary>Sent as <c>is_store_history</c> when set (it only matters to the first joiner of an idle room).</summary>
    public bool? StoreHistory { get; init; }

    /// <summary>Send <c>@changename:&lt;nickname&gt;</c> after connecting when the room shows another name.</summary>
    public bool ChangeName { get; init; }

    /// <summary>Relay what the connect-time history page holds that was not relayed before.</summary>
    public bool CatchUp { get; init; } = true;

    /// <summary>How long a room send waits for its own echo (xnest acknowledges nothing else).</summary>
    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Interval of the liveness probe (<c>@history:-1</c>, answered with an empty page); zero: off.</summary>
    public TimeSpan ProbeInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Reconnect when nothing (not even a probe answer) arrived for this long; zero: off.</summary>
    public TimeSpan Watchdog { get; init; } = TimeSpan.FromSeconds(75);

    /// <summary>Largest outgoing text in UTF-8 bytes (the server has no limit; the rooms' readers do).</summary>
    public int MaxMessageBytes { get; init; } = 64 * 1024;

    /// <summary>Largest incoming frame (a history page holds about 51 messages).</summary>
    public int MaxFrameBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>How many (sender, payload, date) entries each room remembers for dedupe.</summary>
    public int DedupeWindow { get; init; } = 4096;

    /// <summary>Sink calls in flight per room.</summary>
    public int MaxInFlight { get; init; } = 256;

    /// <summary>How often the dedupe window is written to the cursor store (when it changed).</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The room robot's nickname: its messages are never relayed.</summary>
    public string RobotNickname { get; init; } = "小M机器人";

    public bool AllowUntrustedCertificate { get; init; }

    public ReconnectPolicy Reconnect { get; init; } = ReconnectPolicy.Default;

    /// <summary>The WebSocket URL of one room.</summary>
    public Uri RoomUrl(string room)
    {
        var baseText = Url.ToString().TrimEnd('/');
        var query = "nickname=" + Uri.EscapeDataString(Nickname)
            + (StoreHistory is { } store ? "&is_store_history=" + (store ? "true" : "false") : string.Empty);
        return new Uri($"{baseText}/{Uri.EscapeDataString(room)}?{query}");
    }
}
