namespace Bridge.Connectors.ProtobufIm;

/// <summary>
/// Sends whose reply never came: the v1 server may have stored them (a reply can be lost in its
/// 256-frame outbound buffer) and it does not dedupe, so before one is tried again the connector
/// asks SYNC whether it is there. Each is kept with the bridge's own sender seq at the time it was
/// sent (its seq, if stored, is above that). Bounded: the oldest are forgotten first.
/// </summary>
internal sealed class ImUnansweredSends(int capacity)
{
    private readonly ImRecentMap<long> _sends = new(capacity);
    private readonly object _gate = new();
    private long _ownSeq;

    /// <summary>The highest own sender seq known (from AUTH and from send replies).</summary>
    public long OwnSeq
    {
        get
        {
            lock (_gate)
            {
                return _ownSeq;
            }
        }
    }

    public void ObserveOwnSeq(long seq)
    {
        lock (_gate)
        {
            _ownSeq = Math.Max(_ownSeq, seq);
        }
    }

    /// <summary>A send with this client_msg_id timed out; stored, its seq is above <paramref name="ownSeqBefore"/>.</summary>
    public void Add(string clientMsgId, long ownSeqBefore) => _sends.Add(clientMsgId, ownSeqBefore);

    public bool TryGet(string clientMsgId, out long ownSeqBefore) => _sends.TryGet(clientMsgId, out ownSeqBefore);

    public void Remove(string clientMsgId) => _sends.Remove(clientMsgId);
}
