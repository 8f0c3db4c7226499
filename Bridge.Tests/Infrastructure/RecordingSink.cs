using System.Collections.Concurrent;
using Bridge.Connectors.Abstractions;
using Bridge.Contracts.V1;

namespace Bridge.Tests.Infrastructure;

/// <summary>
/// An inbound sink for connector and session tests: records what arrives, dedupes on event id like
/// the real sink, and can be told to be slow or to fail (not durable) so tests can check that a
/// connector acknowledges only after durability.
/// </summary>
public sealed class RecordingSink : IInboundSink
{
    private readonly ConcurrentDictionary<Guid, byte> _seen = new();
    private readonly ConcurrentQueue<object> _events = new();
    private readonly SemaphoreSlim _changed = new(0, int.MaxValue);

    /// <summary>Delay before an event counts as durable.</summary>
    public TimeSpan DurableDelay { get; set; }

    /// <summary>While true, every call throws (the bus is down: nothing is durable).</summary>
    public bool FailAll { get; set; }

    public int Calls;

    public IReadOnlyList<object> Events => _events.ToArray();

    public IReadOnlyList<MessagePosted> Posted => _events.OfType<MessagePosted>().ToArray();

    public Task<IngestOutcome> PostedAsync(MessagePosted message, CancellationToken cancellationToken) => Record(message.EventId, message, cancellationToken);

    public Task<IngestOutcome> EditedAsync(MessageEdited message, CancellationToken cancellationToken) => Record(message.EventId, message, cancellationToken);

    public Task<IngestOutcome> DeletedAsync(MessageDeleted message, CancellationToken cancellationToken) => Record(message.EventId, message, cancellationToken);

    public Task<IngestOutcome> MembershipAsync(MembershipChanged change, CancellationToken cancellationToken) => Record(change.EventId, change, cancellationToken);

    private async Task<IngestOutcome> Record(Guid id, object evt, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Calls);
        if (DurableDelay > TimeSpan.Zero)
        {
            await Task.Delay(DurableDelay, cancellationToken);
        }

        if (FailAll)
        {
            throw new InvalidOperationException("sink unavailable (test)");
        }

        if (!_seen.TryAdd(id, 0))
        {
            return IngestOutcome.Duplicate;
        }

        _events.Enqueue(evt);
        _changed.Release();
        return IngestOutcome.Accepted;
    }

    /// <summary>Waits until at least <paramref name="count"/> events of type T were accepted.</summary>
    public async Task<IReadOnlyList<T>> WaitForAsync<T>(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + TestTimeouts.Scale(timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var items = _events.OfType<T>().ToArray();
            if (items.Length >= count)
            {
                return items;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"expected {count} {typeof(T).Name}, got {items.Length}");
            }

            await _changed.WaitAsync(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
        }
    }
}
