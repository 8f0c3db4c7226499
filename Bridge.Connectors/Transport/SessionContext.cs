namespace Bridge.Connectors.Transport;

/// <summary>What a session handler gets for one connection.</summary>
public sealed class SessionContext
{
    private readonly Action _markConnected;
    private readonly TimeProvider _time;
    private long _lastKeepalive;

    internal SessionContext(IFrameConnection connection, int attempt, TimeProvider time, Action markConnected)
    {
        Connection = connection;
        Attempt = attempt;
        _time = time;
        _markConnected = markConnected;
        _lastKeepalive = time.GetTimestamp();
    }

    public IFrameConnection Connection { get; }

    /// <summary>How many connection attempts preceded this one since the last stable session.</summary>
    public int Attempt { get; }

    internal long LastKeepaliveTimestamp => Volatile.Read(ref _lastKeepalive);

    /// <summary>Authentication succeeded: the session is connected (resets backoff once stable).</summary>
    public void MarkConnected() => _markConnected();

    /// <summary>The protocol's keepalive was seen (feeds the keepalive watchdog).</summary>
    public void KeepaliveSeen() => Volatile.Write(ref _lastKeepalive, _time.GetTimestamp());
}
