namespace Bridge.Connectors.Transport;

/// <summary>A frame larger than the configured limit arrived; the connection is closed.</summary>
public sealed class FrameTooLargeException(long size, int limit)
    : IOException($"frame of {size} bytes exceeds the limit of {limit} bytes")
{
    public long Size { get; } = size;

    public int Limit { get; } = limit;
}

/// <summary>The peer broke the wire protocol (bad magic, impossible length, …); the session reconnects.</summary>
public sealed class ProtocolViolationException(string message) : IOException(message);
