namespace Bridge.Connectors.Transport;

/// <summary>
/// How a session reconnects. Immutable; every connector's options carry one. Transient failures
/// back off exponentially with jitter up to <see cref="MaxDelay"/> and never give up. Bad
/// credentials back off long (<see cref="BadCredentialsDelay"/> doubling to
/// <see cref="BadCredentialsMaxDelay"/>) instead of hammering the backend; a kick by another login
/// waits <see cref="KickedDelay"/> so the bridge never fights the other session in a loop.
/// </summary>
public sealed record ReconnectPolicy
{
    public static ReconnectPolicy Default { get; } = new();

    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    public double Multiplier { get; init; } = 2.0;

    /// <summary>Each delay is scaled by a random factor in [1 - Jitter, 1 + Jitter].</summary>
    public double Jitter { get; init; } = 0.2;

    public TimeSpan BadCredentialsDelay { get; init; } = TimeSpan.FromMinutes(1);

    public TimeSpan BadCredentialsMaxDelay { get; init; } = TimeSpan.FromMinutes(15);

    public TimeSpan KickedDelay { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>A session that stayed connected this long resets the backoff to its start.</summary>
    public TimeSpan StableAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Reconnect when nothing at all arrived for this long (null: off).</summary>
    public TimeSpan? SilenceWindow { get; init; }

    /// <summary>Reconnect when the protocol's keepalive was not seen for this long (null: off).</summary>
    public TimeSpan? KeepaliveWindow { get; init; }

    /// <summary>How long a clean shutdown may take (goodbye frame, close handshake).</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>The delay before attempt <paramref name="failures"/> (1-based) after a session ended this way.</summary>
    public TimeSpan DelayFor(SessionEndKind kind, int failures, Random random)
    {
        var (start, cap) = kind switch
        {
            SessionEndKind.BadCredentials => (BadCredentialsDelay, BadCredentialsMaxDelay),
            SessionEndKind.Kicked => (KickedDelay, KickedDelay * 4),
            _ => (InitialDelay, MaxDelay),
        };

        var exponent = Math.Min(Math.Max(failures - 1, 0), 30);
        var raw = start.TotalMilliseconds * Math.Pow(Multiplier, exponent);
        var capped = Math.Min(raw, cap.TotalMilliseconds);
        var factor = 1 + (((random.NextDouble() * 2) - 1) * Jitter);
        return TimeSpan.FromMilliseconds(Math.Max(0, capped * factor));
    }
}
