using System.Net;
using Microsoft.Extensions.Logging;

namespace Bridge.Simulators.Glide;

/// <summary>How the Glide simulator behaves. Defaults are the real server's (glide master a7b14ffb).</summary>
public sealed record GlideSimulatorOptions
{
    public int Port { get; init; }

    public IPAddress Bind { get; init; } = IPAddress.Loopback;

    /// <summary>The gateway secret (<c>[CommonConf] SecretKey</c>); credentials are encrypted with it.</summary>
    public string Secret { get; init; } = "secret_key";

    /// <summary>Server heartbeat period and client timer (3.3); the client is dropped after LostLimit+1 periods of silence.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(30);

    public int HeartbeatLostLimit { get; init; } = 3;

    /// <summary>The timing wheel's tick.</summary>
    public TimeSpan Tick { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Credentials older than this are refused with "credential expired".</summary>
    public TimeSpan CredentialLifetime { get; init; } = TimeSpan.FromMilliseconds(1_500_000);

    /// <summary>true: the v1.6.0 ack shapes (<c>cliMid</c> in ack.message, ack.request forwarded to data.from, offline ack.notify to the sender).</summary>
    public bool V16Acks { get; init; }

    /// <summary>Per-connection send queue; overflow is dropped silently like the real server.</summary>
    public int SendQueueCapacity { get; init; } = 100;

    /// <summary>false (the real default store): a first send gets mid = unix seconds (not unique); true: a counter.</summary>
    public bool UniqueMids { get; init; }

    /// <summary>Subscribe every authenticated user to <c>the_world_channel</c> (read+write) while online.</summary>
    public bool WorldChannel { get; init; }

    public int MaxFrameBytes { get; init; } = 16 << 20;

    public ILoggerFactory? LoggerFactory { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;
}
