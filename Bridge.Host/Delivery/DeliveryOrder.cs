using Bridge.Contracts.V1;

namespace Bridge.Host.Delivery;

/// <summary>
/// Lets one delivery queue work on more than one batch at a time while every target conversation
/// still gets its instructions in queue order. Batches are admitted in the order the broker
/// delivered them (the channel's delivery tags count up from 1); on admission each of the batch's
/// conversations is chained after the same conversation in the batches admitted before it. A tag
/// that never reaches the consumer (a message moved to <c>_skipped</c> or <c>_error</c> by the
/// transport) holds the next ones back for at most <see cref="GapTimeout"/>. A new consumer tag
/// means a new channel: its tags start again from 1.
/// </summary>
internal sealed class DeliveryOrder(TimeSpan gapTimeout, TimeProvider time)
{
    private const int RetiredConsumersKept = 16;

    private readonly object _gate = new();
    private readonly Dictionary<EndpointRef, Task> _tails = [];
    private readonly Dictionary<(Guid EventId, EndpointRef Target), Task> _unsettled = [];
    private readonly Dictionary<ulong, TaskCompletionSource> _waiting = [];
    private readonly Queue<string> _retired = new();
    private string? _consumer;
    private ulong _next = 1;

    public TimeSpan GapTimeout => gapTimeout;

    /// <summary>Conversations with work admitted and not finished (for tests).</summary>
    internal int OpenConversations
    {
        get
        {
            lock (_gate)
            {
                return _tails.Count;
            }
        }
    }

    /// <summary>
    /// Waits for this delivery's turn, then chains its conversations after the earlier batches'.
    /// The caller must <see cref="Admission.Dispose"/> the result when the batch is done, whatever happened.
    /// </summary>
    public async Task<Admission> AdmitAsync(string consumerTag, ulong deliveryTag, IReadOnlyList<DeliverMessage> deliveries, CancellationToken cancellationToken)
    {
        var afterGap = false;
        while (true)
        {
            Task? turn;
            lock (_gate)
            {
                turn = WaitingFor(consumerTag, deliveryTag);
            }

            if (turn is null)
            {
                break;
            }

            try
            {
                await turn.WaitAsync(gapTimeout, time, cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (TimeoutException)
            {
                afterGap |= SkipGap(consumerTag);
            }
            catch (OperationCanceledException)
            {
                lock (_gate)
                {
                    if (_waiting.TryGetValue(deliveryTag, out var waiter) && waiter.Task == turn)
                    {
                        _waiting.Remove(deliveryTag);
                    }
                }

                throw;
            }
        }

        lock (_gate)
        {
            var admission = new Admission(this, deliveries, afterGap);
            if (consumerTag == _consumer && deliveryTag >= _next)
            {
                _next = deliveryTag + 1;
                ReleaseNext();
            }

            return admission;
        }
    }

    /// <summary>
    /// A waiting batch gave up on the tags before it: the earliest batch waiting goes next, so the
    /// ones that did arrive still go in tag order. True when a gap was skipped.
    /// </summary>
    private bool SkipGap(string consumerTag)
    {
        lock (_gate)
        {
            if (consumerTag != _consumer || _waiting.Count == 0)
            {
                return false;
            }

            var first = _waiting.Keys.Min();
            if (first <= _next)
            {
                return false;
            }

            _next = first;
            ReleaseNext();
            return true;
        }
    }

    /// <summary>Null: admitted now; otherwise the task that completes when the earlier tags are in.</summary>
    private Task? WaitingFor(string consumerTag, ulong deliveryTag)
    {
        if (consumerTag != _consumer)
        {
            if (_retired.Contains(consumerTag))
            {
                // A late batch of a channel already replaced: it cannot be acknowledged, so its order does not matter.
                return null;
            }

            if (_consumer is not null)
            {
                _retired.Enqueue(_consumer);
                if (_retired.Count > RetiredConsumersKept)
                {
                    _retired.Dequeue();
                }
            }

            _consumer = consumerTag;
            _next = 1;
            foreach (var waiter in _waiting.Values)
            {
                waiter.TrySetResult();
            }

            _waiting.Clear();
        }

        if (deliveryTag <= _next)
        {
            return null;
        }

        if (!_waiting.TryGetValue(deliveryTag, out var turn))
        {
            _waiting[deliveryTag] = turn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        return turn.Task;
    }

    /// <summary>Under the lock: wakes the batch whose tag is next, if it is waiting.</summary>
    private void ReleaseNext()
    {
        if (_waiting.Remove(_next, out var waiter))
        {
            waiter.TrySetResult();
        }
    }

    /// <summary>One admitted batch's place in its conversations' chains.</summary>
    internal sealed class Admission : IDisposable
    {
        private readonly DeliveryOrder _order;
        private readonly Dictionary<EndpointRef, Turn> _turns;
        private readonly Dictionary<(Guid, EndpointRef), Settle> _settles;
        private readonly Dictionary<(Guid, EndpointRef), Task> _recheck = [];

        /// <summary>Under the order's lock.</summary>
        internal Admission(DeliveryOrder order, IReadOnlyList<DeliverMessage> deliveries, bool afterGap)
        {
            _order = order;
            _turns = new Dictionary<EndpointRef, Turn>(deliveries.Count);
            _settles = new Dictionary<(Guid, EndpointRef), Settle>(deliveries.Count);
            AfterGap = afterGap;
            foreach (var d in deliveries)
            {
                if (!_turns.ContainsKey(d.Target))
                {
                    var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    _turns[d.Target] = new Turn(order._tails.GetValueOrDefault(d.Target) ?? Task.CompletedTask, done);
                    order._tails[d.Target] = done.Task;
                }

                var key = (d.EventId, d.Target);
                if (_settles.ContainsKey(key))
                {
                    continue;
                }

                if (order._unsettled.TryGetValue(key, out var earlier))
                {
                    _recheck[key] = earlier;
                }

                var settled = new Settle();
                _settles[key] = settled;
                order._unsettled[key] = settled.Task;
            }
        }

        /// <summary>True when this batch was admitted after waiting out a gap in the delivery tags.</summary>
        public bool AfterGap { get; }

        /// <summary>Completes when the earlier batches are done with this conversation.</summary>
        public Task PreviousIn(EndpointRef conversation) => _turns[conversation].Previous;

        /// <summary>
        /// When an earlier batch, still working, holds the same instruction: completes once that one's
        /// outcome (and id-map record) is in, so the caller looks it up again before sending. Null otherwise.
        /// </summary>
        public Task? EarlierCopyOf(Guid eventId, EndpointRef target) => _recheck.GetValueOrDefault((eventId, target));

        /// <summary>This batch's sends to <paramref name="conversation"/> are done: the next batch's may start.</summary>
        public void Finished(EndpointRef conversation)
        {
            if (_turns.TryGetValue(conversation, out var turn))
            {
                Complete(conversation, turn.Done);
            }
        }

        /// <summary>This instruction's outcome is final and its id-map record written (or it failed).</summary>
        public void Settled(Guid eventId, EndpointRef target)
        {
            if (_settles.TryGetValue((eventId, target), out var settled))
            {
                settled.TrySetResult();
            }
        }

        /// <summary>
        /// The completion that settles this instruction, for its id-map record to complete once the
        /// record is in (written or failed): the record's own completion, so settling costs nothing
        /// more. Null when it was handed out already (a second copy of the instruction in this
        /// batch, whose first copy settles it) or the instruction is settled.
        /// </summary>
        public TaskCompletionSource? SettleOnRecord(Guid eventId, EndpointRef target)
        {
            if (!_settles.TryGetValue((eventId, target), out var settled) || settled.Claimed || settled.Task.IsCompleted)
            {
                return null;
            }

            settled.Claimed = true;
            return settled;
        }

        /// <summary>Completes whatever this batch has not completed yet, so nothing after it waits forever.</summary>
        public void Dispose()
        {
            foreach (var (conversation, turn) in _turns)
            {
                Complete(conversation, turn.Done);
            }

            foreach (var settled in _settles.Values)
            {
                settled.TrySetResult();
            }

            lock (_order._gate)
            {
                foreach (var (key, settled) in _settles)
                {
                    ForgetIfLast(_order._unsettled, key, settled.Task);
                }
            }
        }

        /// <summary>Completes this batch's turn in a conversation; the next batch's may start.</summary>
        private void Complete(EndpointRef conversation, TaskCompletionSource done)
        {
            if (!done.TrySetResult())
            {
                return;
            }

            lock (_order._gate)
            {
                ForgetIfLast(_order._tails, conversation, done.Task);
            }
        }

        /// <summary>Under the order's lock: drops the chain's entry if it is still <paramref name="task"/> (a later batch may have chained after it).</summary>
        private static void ForgetIfLast<TKey>(Dictionary<TKey, Task> chains, TKey key, Task task)
            where TKey : notnull
        {
            if (chains.TryGetValue(key, out var last) && ReferenceEquals(last, task))
            {
                chains.Remove(key);
            }
        }

        private readonly record struct Turn(Task Previous, TaskCompletionSource Done);

        /// <summary>One instruction's settling; faulted when its id-map record failed (which settles it as well).</summary>
        private sealed class Settle() : TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
        {
            public bool Claimed { get; set; }
        }
    }
}
