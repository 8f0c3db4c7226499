using System.Globalization;
using Bridge.Connectors.ProtobufIm.Wire;
using Google.Protobuf;

namespace Bridge.Simulators.ProtobufIm;

/// <summary>
/// The simulated database: messages with per-sender seqs, server ids in the <c>GenerateID</c>
/// format (UnixMilli + a 3-digit per-millisecond counter), groups and members. It survives a
/// simulator restart, as the real database does. Thread-safe (one lock).
/// </summary>
internal sealed class ImServerState(TimeProvider time, Func<long> maxStoredContentBytes)
{
    private readonly object _gate = new();
    private readonly List<ImStoredMessage> _messages = [];
    private long _storedBytes;
    private readonly Dictionary<string, ImStoredMessage> _byServerId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _senderSeq = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _groups = new(StringComparer.Ordinal);
    private long _idMillis;
    private int _idCounter;

    public IReadOnlyList<ImStoredMessage> Messages
    {
        get
        {
            lock (_gate)
            {
                return _messages.ToArray();
            }
        }
    }

    public long SenderSeq(string user)
    {
        lock (_gate)
        {
            return _senderSeq.GetValueOrDefault(user);
        }
    }

    public void AddMembers(string group, IEnumerable<string> members)
    {
        lock (_gate)
        {
            if (!_groups.TryGetValue(group, out var set))
            {
                _groups[group] = set = new HashSet<string>(StringComparer.Ordinal);
            }

            set.UnionWith(members);
        }
    }

    public IReadOnlyList<string> Members(string group)
    {
        lock (_gate)
        {
            return _groups.TryGetValue(group, out var set) ? set.ToArray() : [];
        }
    }

    /// <summary>Stores a message as <c>SaveMessage</c> does; the sender comes from the session, not the request.</summary>
    public ImStoredMessage Store(string sender, SendMessageRequest request)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var seq = _senderSeq.GetValueOrDefault(sender) + 1;
            _senderSeq[sender] = seq;
            var message = new ImStoredMessage
            {
                ServerId = NextId(now),
                ClientMsgId = request.ClientMsgId,
                ConversationId = request.ConversationId,
                SenderId = sender,
                ReceiverId = request.ReceiverId,
                GroupId = request.GroupId,
                MessageType = request.MessageType,
                Content = request.Content ?? ByteString.Empty,
                SendTime = request.SendTime,
                ServerTime = now,
                Seq = seq,
            };
            _messages.Add(message);
            _byServerId[message.ServerId] = message;
            _storedBytes += message.Content.Length;
            ForgetOldestBeyond(maxStoredContentBytes());
            return message;
        }
    }

    /// <summary>Drops the oldest rows, down to three quarters of the limit, once the content exceeds it (in chunks: the list shifts once per chunk).</summary>
    private void ForgetOldestBeyond(long limit)
    {
        if (_storedBytes <= limit)
        {
            return;
        }

        var drop = 0;
        while (drop < _messages.Count - 1 && _storedBytes > limit - (limit / 4))
        {
            _storedBytes -= _messages[drop].Content.Length;
            _byServerId.Remove(_messages[drop].ServerId);
            drop++;
        }

        _messages.RemoveRange(0, drop);
    }

    public ImStoredMessage? Find(string serverId)
    {
        lock (_gate)
        {
            return _byServerId.GetValueOrDefault(serverId);
        }
    }

    public void Revoke(ImStoredMessage message)
    {
        lock (_gate)
        {
            message.Revoked = true;
        }
    }

    /// <summary>SYNC: (sender = me OR receiver = me) AND seq &gt; maxSeq AND not revoked, by seq, at most limit (min_seq ignored).</summary>
    public (List<ImStoredMessage> Page, long ServerMaxSeq) Sync(string user, long maxSeq, int limit)
    {
        lock (_gate)
        {
            var page = _messages
                .Where(m => !m.Revoked && m.Seq > maxSeq && (m.SenderId == user || m.ReceiverId == user))
                .OrderBy(m => m.Seq)
                .Take(limit)
                .ToList();
            return (page, _senderSeq.GetValueOrDefault(user));
        }
    }

    private string NextId(long nowMillis)
    {
        if (nowMillis > _idMillis)
        {
            _idMillis = nowMillis;
            _idCounter = 0;
        }
        else if (_idCounter >= 999)
        {
            _idMillis++;
            _idCounter = 0;
        }
        else
        {
            _idCounter++;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{_idMillis}{_idCounter:000}");
    }
}
