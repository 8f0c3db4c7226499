namespace Bridge.Connectors.Transport;

public enum FrameKind
{
    Binary,
    Text,
    /// <summary>The peer closed the connection; see <see cref="ReceivedFrame.CloseStatus"/>.</summary>
    Close,
}

/// <summary>
/// One live, framed connection to a backend: WebSocket messages or length-prefixed TCP frames.
/// Sends are serialized internally (safe to call from several tasks); receives are for one reader.
/// </summary>
public interface IFrameConnection : IAsyncDisposable
{
    /// <summary>A short description for logs: scheme, host and port, never credentials.</summary>
    string Description { get; }

    /// <summary><see cref="TimeProvider.GetTimestamp"/> of the last frame received (any kind).</summary>
    long LastReceivedTimestamp { get; }

    /// <summary>Sends one frame; the payload is the caller's again when the call returns (it is copied or encoded first).</summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> payload, FrameKind kind, CancellationToken cancellationToken);

    /// <summary>Receives the next whole frame. The caller must dispose it to return its buffer.</summary>
    ValueTask<ReceivedFrame> ReceiveAsync(CancellationToken cancellationToken);

    /// <summary>Closes gracefully (WebSocket close handshake where there is one), bounded by the token.</summary>
    Task CloseAsync(string reason, CancellationToken cancellationToken);

    /// <summary>Tears the connection down at once; a pending receive fails.</summary>
    void Abort();
}
