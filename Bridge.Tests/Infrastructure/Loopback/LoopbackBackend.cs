using System.Collections.Concurrent;
using System.Threading.Channels;
using Bridge.Contracts.V1;

namespace Bridge.Tests.Infrastructure.Loopback;

/// <summary>A message a simulated user posted on a loopback backend, pushed to the bridge until acknowledged.</summary>
public sealed record LoopbackPush(string Conversation, string SenderId, string? SenderName, MessageBody Body, string NativeId, Guid? OriginMarker = null, string? ReplyTo = null, string? DeletesNativeId = null);

/// <summary>What becomes of one attempt of a pipelined send (<see cref="LoopbackBackend.Faults"/>).</summary>
public enum LoopbackFault
{
    /// <summary>Received, stored and answered.</summary>
    None,
    /// <summary>Received and stored, but its answer never comes: the sender times out.</summary>
    AnswerLost,
    /// <summary>Never written: the sender finds no session.</summary>
    NotSent,
    /// <summary>Never written: the connector's send throws (a defect in it).</summary>
    Throws,
}

/// <summary>What the bridge delivered to a loopback backend.</summary>
public sealed record LoopbackDelivery(string Conversation, MessageBody Body, string IdempotencyKey, string NativeId, string? ReplyTo, Guid EventId);

/// <summary>
/// An in-memory chat backend for host tests (the edge of the system, not a mock of the bridge):
/// it pushes posted messages to the connected bridge account and redelivers every push that was
/// not acknowledged; it stores what the bridge delivers, deduplicating on the client id like a
/// backend with idempotent sends; it can echo deliveries back (with the origin marker) and be
/// taken down.
/// </summary>
public sealed class LoopbackBackend
{
    private static readonly ConcurrentDictionary<string, LoopbackBackend> Backends = new(StringComparer.Ordinal);

    private readonly Channel<LoopbackPush> _pushes = Channel.CreateUnbounded<LoopbackPush>();
    private readonly ConcurrentDictionary<string, LoopbackDelivery> _byKey = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<LoopbackDelivery> _delivered = new();
    private readonly ConcurrentDictionary<string, byte> _deleted = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, LoopbackPush> _unacked = new(StringComparer.Ordinal);
    private readonly object _wire = new();
    private readonly List<string> _received = [];
    private readonly Dictionary<string, int> _attempts = new(StringComparer.Ordinal);
    private int _unanswered;
    private int _maxUnanswered;
    private long _nextId;

    private LoopbackBackend(string name) => Name = name;

    public string Name { get; }

    public bool Down { get; set; }

    public bool EchoDeliveries { get; set; }

    /// <summary>Sends whose text contains this are rejected for good (a poison message).</summary>
    public string? RejectContaining { get; set; }

    public int Acked;

    public IReadOnlyList<LoopbackDelivery> Delivered => _delivered.ToArray();

    /// <summary>For a connector with <c>pipelined: true</c>: how long after a send its answer comes.</summary>
    public TimeSpan AnswerDelay { get; set; }

    /// <summary>For a connector with <c>pipelined: true</c>: the fault of an attempt, by text and attempt number (from 1).</summary>
    public Func<string, int, LoopbackFault>? Faults { get; set; }

    /// <summary>Texts of the sends the backend received, in the order they arrived (retries too).</summary>
    public IReadOnlyList<string> Received
    {
        get
        {
            lock (_wire)
            {
                return _received.ToArray();
            }
        }
    }

    /// <summary>The most sends that were received and not yet answered at one time.</summary>
    public int MaxUnanswered
    {
        get
        {
            lock (_wire)
            {
                return _maxUnanswered;
            }
        }
    }

    public IReadOnlyCollection<string> Deleted => _deleted.Keys.ToArray();

    public int Unacked => _unacked.Count;

    public ChannelReader<LoopbackPush> Pushes => _pushes.Reader;

    public static LoopbackBackend Get(string name) => Backends.GetOrAdd(name, n => new LoopbackBackend(n));

    /// <summary>A simulated user posts; returns the native id.</summary>
    public string Post(string conversation, string senderId, string text, string? senderName = null, string? nativeId = null, string? replyTo = null) =>
        Post(conversation, senderId, MessageBody.FromText(text), senderName, nativeId, replyTo);

    public string Post(string conversation, string senderId, MessageBody body, string? senderName = null, string? nativeId = null, string? replyTo = null)
    {
        var push = new LoopbackPush(conversation, senderId, senderName, body, nativeId ?? $"n{Interlocked.Increment(ref _nextId)}", ReplyTo: replyTo);
        Push(push);
        return push.NativeId;
    }

    /// <summary>A simulated user deletes (revokes) a message.</summary>
    public void DeleteMessage(string conversation, string senderId, string nativeId) =>
        Push(new LoopbackPush(conversation, senderId, null, new MessageBody(BodyKind.System, null), $"del-{nativeId}", DeletesNativeId: nativeId));

    /// <summary>Pushes the same message again, as a backend does after a lost acknowledgement.</summary>
    public void Redeliver(LoopbackPush push) => _pushes.Writer.TryWrite(push);

    internal void Push(LoopbackPush push)
    {
        _unacked[push.NativeId] = push;
        _pushes.Writer.TryWrite(push);
    }

    internal void Ack(LoopbackPush push)
    {
        if (_unacked.TryRemove(push.NativeId, out _))
        {
            Interlocked.Increment(ref Acked);
        }
    }

    /// <summary>Pushes again everything not acknowledged (what a backend does on reconnect).</summary>
    internal void RedeliverUnacked()
    {
        foreach (var push in _unacked.Values)
        {
            _pushes.Writer.TryWrite(push);
        }
    }

    internal LoopbackDelivery Deliver(string conversation, MessageBody body, string idempotencyKey, string? replyTo, Guid eventId)
    {
        var delivery = _byKey.GetOrAdd(idempotencyKey, key =>
        {
            var d = new LoopbackDelivery(conversation, body, key, $"d{Interlocked.Increment(ref _nextId)}", replyTo, eventId);
            _delivered.Enqueue(d);
            return d;
        });
        if (EchoDeliveries)
        {
            Push(new LoopbackPush(conversation, "bridge", "bridge", body, delivery.NativeId, OriginMarker: eventId));
        }

        return delivery;
    }

    internal void Delete(string nativeId) => _deleted[nativeId] = 0;

    /// <summary>
    /// A pipelined send arrives: stored in arrival order (unless its fault is
    /// <see cref="LoopbackFault.NotSent"/>) and counted as unanswered until <see cref="Answered"/>.
    /// </summary>
    internal (LoopbackFault Fault, LoopbackDelivery? Delivery) Receive(string conversation, MessageBody body, string idempotencyKey, string? replyTo, Guid eventId)
    {
        lock (_wire)
        {
            var attempt = _attempts[idempotencyKey] = _attempts.GetValueOrDefault(idempotencyKey) + 1;
            var fault = Faults?.Invoke(body.Text ?? string.Empty, attempt) ?? LoopbackFault.None;
            if (fault is LoopbackFault.NotSent or LoopbackFault.Throws)
            {
                return (fault, null);
            }

            _received.Add(body.Text ?? string.Empty);
            _maxUnanswered = Math.Max(_maxUnanswered, ++_unanswered);
            return (fault, Deliver(conversation, body, idempotencyKey, replyTo, eventId));
        }
    }

    internal void Answered()
    {
        lock (_wire)
        {
            _unanswered--;
        }
    }

    /// <summary>Texts delivered to one conversation, in arrival order.</summary>
    public IReadOnlyList<string> TextsIn(string conversation) =>
        Delivered.Where(d => d.Conversation == conversation).Select(d => d.Body.Text ?? string.Empty).ToArray();
}
