namespace Bridge.Contracts.V1;

/// <summary>The lifecycle of one connector's backend session.</summary>
public enum SessionState
{
    Starting,
    Connecting,
    Connected,
    TransientDisconnect,
    BadCredentials,
    Kicked,
    Stopped,
}

/// <summary>A connector's session changed state; <see cref="Reason"/> says why in words an operator can act on.</summary>
public sealed record ConnectorStateChanged(string Connector, SessionState State, string? Reason, DateTimeOffset At);
