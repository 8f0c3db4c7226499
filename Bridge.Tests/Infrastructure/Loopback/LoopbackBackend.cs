using System.Collections.Concurrent;
using System.Threading.Channels;
using Bridge.Contracts.V1;

namespace Bridge.Tests.Infrastructure.Loopback;

/// <summary>A message a simulated user posted on a loopback backend, pushed to the bridge until acknowledged.</summary>
public sealed record LoopbackPush(string Conversation, string SenderId, string? SenderName, MessageBody Body, string NativeId, Guid? OriginMarker = null, string? ReplyTo = null, string? DeletesNativeId = null);

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
    private long _nextId;

    private LoopbackBackend(string name) => Name = name;

    public string Name { get; }

    public bool Down { get; set; }

    public bool EchoDeliveries { get; set; }

    /// <summary>Sends whose text contains this are rejected for good (a poison message).</summary>
    public string? RejectContaining { get; set; }

    public int Acked;

    public IReadOnlyList<LoopbackDelivery> Delivered => _delivered.ToArray();

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

    /// <summary>Texts delivered to one conversation, in arrival order.</summary>
    public IReadOnlyList<string> TextsIn(string conversation) =>
        Delivered.Where(d => d.Conversation == conversation).Select(d => d.Body.Text ?? string.Empty).ToArray();
}
