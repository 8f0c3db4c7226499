using Bridge.Connectors.Transport;

namespace Bridge.Connectors.ProtobufIm;

/// <summary>
/// Tells a kick by a second login from a network drop, as far as the v1 server allows. That server
/// sends no KICK_OUT: it closes the older connection at TCP level without a WebSocket close frame,
/// which looks exactly like a dropped connection or a crashed server. So the first abrupt close of
/// an authenticated session counts as transient (reconnect soon: a blip or a restart); a second
/// abrupt close of an authenticated session within <c>window</c> means the reconnect succeeded and
/// was taken over again, the signature of another client logging in as the same account: that is
/// reported as kicked and backs off long instead of fighting the other client. After a reported
/// kick, the next abrupt close within <c>memory</c> (the kicked back-off plus the window) is a kick
/// at once: the other client is evidently still there, so the bridge yields after one takeover.
/// </summary>
internal sealed class ImKickDetector(TimeSpan window, TimeSpan memory, TimeProvider time)
{
    private long? _lastAbruptClose;
    private long? _lastKick;

    public SessionEnd OnAbruptClose(bool wasAuthenticated, string userId, string detail)
    {
        if (!wasAuthenticated)
        {
            return SessionEnd.Transient($"connection closed before authentication completed: {detail}");
        }

        var now = time.GetTimestamp();
        var previous = _lastAbruptClose;
        _lastAbruptClose = now;
        var recentlyKicked = _lastKick is { } k && time.GetElapsedTime(k, now) <= memory;
        if (recentlyKicked || (previous is { } p && time.GetElapsedTime(p, now) <= window))
        {
            _lastKick = now;
            return SessionEnd.Kicked(
                $"the server closed the session abruptly {(recentlyKicked ? "again after an earlier takeover" : $"twice within {window.TotalSeconds:0.#} s")} right after successful logins: " +
                $"another client is logging in as '{userId}' (the v1 server takes the account over without a kick frame)");
        }

        return SessionEnd.Transient($"the server closed the connection without a close frame ({detail}); a network drop, a restart or another login of this account");
    }
}
