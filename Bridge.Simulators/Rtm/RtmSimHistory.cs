using Bridge.Connectors.Rtm;

namespace Bridge.Simulators.Rtm;

/// <summary>Stored messages per conversation, with the gate's forward/backward paging.</summary>
internal sealed class RtmSimHistory
{
    public const int MaxPage = 20;

    private readonly Dictionary<(RtmConversationType, long, long), List<RtmSimMessage>> _byConversation = [];
    private readonly object _gate = new();
    private long _ids;

    /// <summary>The conversation key: p2p by the unordered pair of uids; groups and rooms by id.</summary>
    private static (RtmConversationType, long, long) Key(RtmConversationType type, long a, long b) =>
        type == RtmConversationType.P2P ? (type, Math.Min(a, b), Math.Max(a, b)) : (type, a, 0);

    public RtmSimMessage Add(RtmConversationType type, long from, long target, long mid, int mtype, string msg, string attrs, long mtime)
    {
        lock (_gate)
        {
            var message = new RtmSimMessage(++_ids, type, from, target, mid, mtype, msg, attrs, mtime);
            var key = type == RtmConversationType.P2P ? Key(type, from, target) : Key(type, target, 0);
            if (!_byConversation.TryGetValue(key, out var list))
            {
                _byConversation[key] = list = [];
            }

            list.Add(message);
            return message;
        }
    }

    public IReadOnlyList<RtmSimMessage> All(RtmConversationType type, long a, long b)
    {
        lock (_gate)
        {
            return _byConversation.TryGetValue(Key(type, a, b), out var list) ? list.ToArray() : [];
        }
    }

    /// <summary><c>desc:false</c>: mtime ≥ begin, id &gt; lastid, oldest first; <c>desc:true</c>: mtime ≤ end, id &lt; lastid, newest first.</summary>
    public IReadOnlyList<RtmSimMessage> Page(RtmConversationType type, long a, long b, bool desc, int num, long begin, long end, long lastId)
    {
        var all = All(type, a, b);
        var inRange = all.Where(m => (begin <= 0 || m.MTime >= begin) && (end <= 0 || m.MTime <= end));
        var page = desc
            ? inRange.Where(m => lastId <= 0 || m.Id < lastId).OrderByDescending(m => m.Id)
            : inRange.Where(m => m.Id > lastId).OrderBy(m => m.Id);
        return page.Take(Math.Clamp(num, 1, MaxPage)).ToArray();
    }

    public RtmSimMessage? Find(RtmConversationType type, long from, long xid, long mid)
    {
        lock (_gate)
        {
            return _byConversation.Values.SelectMany(l => l)
                .FirstOrDefault(m => m.Type == type && m.From == from && m.Mid == mid && (m.Target == xid || (type == RtmConversationType.P2P && m.From == xid)));
        }
    }
}
