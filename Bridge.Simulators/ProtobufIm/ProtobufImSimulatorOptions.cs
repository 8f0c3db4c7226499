namespace Bridge.Simulators.ProtobufIm;

/// <summary>Timings and switches of the protobuf-IM simulator (defaults = the v1 server).</summary>
public sealed class ProtobufImSimulatorOptions
{
    /// <summary><c>auth.jwt_secret</c>; the server ships this default.</summary>
    public string JwtSecret { get; set; } = "your-secret-key-change-in-production";

    /// <summary>WebSocket Ping interval (v1: 30 s).</summary>
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Read deadline (v1: 60 s), kept alive by any inbound frame, ping or pong.</summary>
    public TimeSpan ReadDeadline { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Frames buffered per connection; when full, further frames are dropped (v1: 256).</summary>
    public int WriteBufferFrames { get; set; } = 256;

    /// <summary>Push group messages to the members (a newer server's fan-out; v1: off).</summary>
    public bool GroupPush { get; set; }

    /// <summary>Send CMD_REVOKE_MSG_PUSH (207) to the receiver after a revoke (never in v1; for connector tests).</summary>
    public bool RevokePush { get; set; }

    /// <summary>Send CMD_KICK_OUT (104) before closing the older connection on a second login (never in v1; for tests).</summary>
    public bool KickOutFrame { get; set; }

    /// <summary>Every save fails, as when the database is down: SEND answers {1, "Failed to save message"}.</summary>
    public bool FailSaves { get; set; }

    /// <summary>Keep every push per user for <see cref="ProtobufImSimulator.Received"/> (off for long benchmarks).</summary>
    public bool RecordPushes { get; set; } = true;

    /// <summary>
    /// The messages table keeps at most about this many bytes of content; beyond it the oldest
    /// rows are forgotten (SYNC no longer finds them). The real table is on disk; a long benchmark
    /// would otherwise hold every payload in this process.
    /// </summary>
    public long MaxStoredContentBytes { get; set; } = long.MaxValue;
}
