namespace Bridge.Connectors.Transport;

/// <summary>How to open a WebSocket to a backend.</summary>
public sealed record WebSocketEndpointOptions(Uri Url)
{
    /// <summary>Largest whole message accepted; a bigger one closes the connection with 1009.</summary>
    public int MaxFrameBytes { get; init; } = 1 << 20;

    /// <summary>Interval of WebSocket-level pings from the client (null: runtime default).</summary>
    public TimeSpan? KeepAliveInterval { get; init; }

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Accept any server certificate (test rigs with self-signed certificates only).</summary>
    public bool AllowUntrustedCertificate { get; init; }

    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>The URL without user info or query, for logs.</summary>
    public string SafeDescription => $"{Url.Scheme}://{Url.Host}:{Url.Port}{Url.AbsolutePath}";
}
