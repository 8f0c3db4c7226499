namespace Bridge.Connectors.Transport;

public enum SessionEndKind
{
    /// <summary>Dropped, timed out, protocol error: reconnect with backoff.</summary>
    Transient,
    /// <summary>The backend refused the credentials: report and back off long.</summary>
    BadCredentials,
    /// <summary>Another login took the account: report and do not fight it.</summary>
    Kicked,
    /// <summary>The bridge is shutting down.</summary>
    Stopped,
}

/// <summary>Why a session ended, in words an operator can act on.</summary>
public sealed record SessionEnd(SessionEndKind Kind, string Reason)
{
    public static SessionEnd Transient(string reason) => new(SessionEndKind.Transient, reason);

    public static SessionEnd BadCredentials(string reason) => new(SessionEndKind.BadCredentials, reason);

    public static SessionEnd Kicked(string reason) => new(SessionEndKind.Kicked, reason);

    public static SessionEnd Stopped(string reason = "stopped") => new(SessionEndKind.Stopped, reason);
}

/// <summary>Thrown from deep inside a session to end it with a given outcome.</summary>
public sealed class SessionEndException(SessionEnd end) : Exception(end.Reason)
{
    public SessionEnd End { get; } = end;
}
