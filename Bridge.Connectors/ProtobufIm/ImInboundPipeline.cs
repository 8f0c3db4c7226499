using Bridge.Connectors.Abstractions;
using Bridge.Connectors.ProtobufIm.Wire;
using Bridge.Connectors.Transport;
using Microsoft.Extensions.Logging;

namespace Bridge.Connectors.ProtobufIm;

/// <summary>
/// Inbound messages of one session on their way to the sink. Sink calls start in arrival order and
/// up to <c>maxInFlight</c> run at once, so the read loop never waits for one call before reading
/// the next frame; each push is acknowledged (MSG_ACK) when its own sink call completed. While the
/// catch-up runs, live pushes are held and released after it, so a conversation's older synced
/// messages reach the sink before newer live ones. The bridge account's own messages and ids
/// already handed over are acknowledged and skipped. A sink failure leaves the push unacknowledged
/// and ends the session: the v1 server never redelivers, so the reconnect's catch-up fetches it
/// (the cursor moves only past messages durable in hand-over order, see <see cref="AdvanceCursor"/>).
/// When a live push has to wait for a free slot the read loop stops reading, the server's buffer
/// may overflow and drop pushes: that is reported (<c>onPressure</c>) so a live fill can look for them.
/// </summary>
internal sealed class ImInboundPipeline
{
    private readonly string _connector;
    private readonly string _self;
    private readonly IInboundSink _sink;
    private readonly RecentSet<ImWireId> _recent;
    private readonly ImLink _link;
    private readonly SemaphoreSlim _slots;
    private readonly int _maxInFlight;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Action<SessionEnd> _endSession;
    private readonly Action<string, long> _durable;
    private readonly Action? _onPressure;
    private readonly object _gate = new();
    private readonly Queue<(string Sender, long Seq, Task Call)> _handedOver = new();
    private List<ImPush>? _held = [];
    private volatile bool _sinkFailed;
    private bool _cursorStopped;

    public ImInboundPipeline(string connector, string self, IInboundSink sink, RecentSet<ImWireId> recent, ImLink link, int maxInFlight,
        TimeProvider time, ILogger logger, Action<SessionEnd> endSession, Action<string, long> durable, Action? onPressure = null)
    {
        _connector = connector;
        _self = self;
        _sink = sink;
        _recent = recent;
        _link = link;
        _maxInFlight = maxInFlight;
        _slots = new SemaphoreSlim(maxInFlight, maxInFlight);
        _time = time;
        _logger = logger;
        _endSession = endSession;
        _durable = durable;
        _onPressure = onPressure;
    }

    /// <summary>A sink call of this session failed (the session is ending; its cursor stays put).</summary>
    public bool SinkFailed => _sinkFailed;

    /// <summary>Holds live pushes from now on until <see cref="ReleaseHeldAsync"/> (a live fill is running).</summary>
    public void Hold()
    {
        lock (_gate)
        {
            _held ??= [];
        }
    }

    /// <summary>A live push from the read loop: held during catch-up, else handed over now.</summary>
    public ValueTask OnLivePushAsync(ImPush message, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_held is not null)
            {
                _held.Add(message);
                return ValueTask.CompletedTask;
            }
        }

        return HandOverAsync(message, acknowledge: true, cancellationToken);
    }

    /// <summary>Catch-up is over: releases the held live pushes (in order) and passes later ones straight through.</summary>
    public async Task ReleaseHeldAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            List<ImPush> batch;
            lock (_gate)
            {
                if (_held is null || _held.Count == 0)
                {
                    _held = null;
                    return;
                }

                batch = _held;
                _held = [];
            }

            foreach (var message in batch)
            {
                await HandOverAsync(message, acknowledge: true, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Waits until every sink call started so far has completed.</summary>
    public async Task WhenIdleAsync(CancellationToken cancellationToken)
    {
        for (var i = 0; i < _maxInFlight; i++)
        {
            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        _slots.Release(_maxInFlight);
    }

    /// <summary>Starts the sink call for one message (after waiting for a free slot); returns once it started.</summary>
    public async ValueTask HandOverAsync(ImPush message, bool acknowledge, CancellationToken cancellationToken)
    {
        if (message.SenderId == _self || _recent.Contains(message.MessageId))
        {
            if (acknowledge)
            {
                await AcknowledgeAsync(message.MessageId.ToString(), message.Seq).ConfigureAwait(false);
            }

            return;
        }

        if (!_slots.Wait(0, cancellationToken))
        {
            if (acknowledge)
            {
                _onPressure?.Invoke();
            }

            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        _recent.Add(message.MessageId);
        var posted = ImMessageMapper.ToPosted(_connector, message, _self, _time.GetUtcNow());
        var activity = ConnectorDiagnostics.StartReceive(_connector, "message", message.ConversationId, posted.NativeMessageId);
        activity?.SetTag("bridge.event_id", posted.EventId);
        activity?.SetTag("bridge.protobuf_im.seq", message.Seq);
        Task<IngestOutcome> call;
        try
        {
            call = _sink.PostedAsync(posted, cancellationToken);
        }
        catch (Exception ex)
        {
            call = Task.FromException<IngestOutcome>(ex);
        }

        lock (_gate)
        {
            _handedOver.Enqueue((message.SenderId, message.Seq, call));
        }

        _ = CompleteAsync(message.MessageId, posted.NativeMessageId, message.Seq, call, acknowledge, activity);
    }

    /// <param name="id">The push's id, <paramref name="nativeId"/> its string (the event's native id).</param>
    private async Task CompleteAsync(ImWireId id, string nativeId, long seq, Task<IngestOutcome> call, bool acknowledge, System.Diagnostics.Activity? activity)
    {
        try
        {
            await call.ConfigureAwait(false);
            AdvanceCursor();
            if (acknowledge)
            {
                await AcknowledgeAsync(nativeId, seq).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            _sinkFailed = true;
            AdvanceCursor();
            _recent.Remove(id);
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, ex.Message);
            ConnectorDiagnostics.Errors.Add(1, ConnectorDiagnostics.Tag(_connector));
            ProtobufImLog.SinkFailed(_logger, _connector, nativeId, ex.Message);
            _endSession(SessionEnd.Transient($"the sink could not make message {nativeId} durable; reconnecting to catch up"));
        }
        finally
        {
            activity?.Dispose();
            _slots.Release();
        }
    }

    /// <summary>
    /// Reports messages durable in the order they were handed over, up to the first one still in
    /// flight, and none after a failed one for the rest of the session: sink calls finish in any
    /// order, and a later seq of a sender counted as handled while an earlier one failed would
    /// make the reconnect's catch-up skip the earlier one.
    /// </summary>
    private void AdvanceCursor()
    {
        while (true)
        {
            (string Sender, long Seq) durable;
            lock (_gate)
            {
                if (_cursorStopped || !_handedOver.TryPeek(out var head) || !head.Call.IsCompleted)
                {
                    return;
                }

                _handedOver.Dequeue();
                if (!head.Call.IsCompletedSuccessfully)
                {
                    _cursorStopped = true;
                    _handedOver.Clear();
                    return;
                }

                durable = (head.Sender, head.Seq);
            }

            _durable(durable.Sender, durable.Seq);
        }
    }

    private async ValueTask AcknowledgeAsync(string messageId, long seq)
    {
        try
        {
            await _link.SendOneWayAsync(CommandType.CmdMsgAck, new MessageAck { MessageId = messageId, Seq = seq }, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or System.Net.WebSockets.WebSocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // The connection is gone; the server only logs acks anyway and never redelivers.
        }
    }
}
