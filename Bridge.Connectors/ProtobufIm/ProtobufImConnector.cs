using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.ProtobufIm.Wire;
using Bridge.Connectors.Transport;
using Bridge.Contracts.V1;
using Microsoft.Extensions.Logging;

namespace Bridge.Connectors.ProtobufIm;

/// <summary>
/// One protobuf-IM (Arwen-7/IM-Server v1) account. Inbound: direct messages pushed to the account
/// (and, after every (re)connect, a SYNC catch-up from the stored cursor) become
/// <see cref="MessagePosted"/>, acknowledged with MSG_ACK once durable; the account's own messages
/// are skipped. Pushes the server may have dropped while live (a sender's seq gap, or the
/// connector falling behind) are fetched by a live fill through SYNC (<see cref="ImLiveGaps"/>).
/// Outbound: SEND_MSG_REQ to a user or a group with the idempotency key as <c>client_msg_id</c>;
/// deletes revoke by server id, found through SYNC.
/// </summary>
public sealed class ProtobufImConnector : IConnector, IImSessionEvents
{
    private const string CursorKey = "sync";

    /// <summary>How many SYNC pages (of 100) a check for an unanswered send reads before it gives up for now.</summary>
    private const int MaxUnansweredSyncPages = 50;

    /// <summary>How often the session looks for a due live fill.</summary>
    internal static readonly TimeSpan FillCheckInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>After pressure, a fill waits until reading has gone on this long without waiting (no SYNC load during an overload).</summary>
    internal static readonly TimeSpan PressureCalm = TimeSpan.FromMilliseconds(250);

    private readonly ConnectorContext _context;
    private readonly ProtobufImOptions _options;
    private readonly SessionSupervisor _supervisor;
    private readonly ProtobufImSession _session;
    private readonly ILogger _logger;
    private readonly RecentSet<ImWireId> _recent = new(20_000); // server ids handed to the sink: one seen again in a catch-up is not handed over twice
    private readonly Utf8StringCache _strings = new(256);
    private readonly ImSyncCursor _cursor = new();
    private readonly ImLiveGaps _gaps;
    private readonly ConcurrentDictionary<string, Lazy<Task<SendResult>>> _sendsInFlight = new(StringComparer.Ordinal);
    private readonly ImRecentMap<SendResult> _sent = new(10_000);
    private readonly ImUnansweredSends _unanswered = new(10_000);
    private readonly RecentSet<string> _revoked = new(10_000);
    private readonly object _pipelineGate = new();
    private readonly SemaphoreSlim _cursorSave = new(1, 1);
    private IInboundSink? _sink;
    private (ImLink Link, ImInboundPipeline Pipeline)? _pipeline;
    private bool _cursorLoaded;
    private bool _hasCursor;
    private long _savedVersion;
    private long _lastSaveTimestamp;
    private int _completedCatchUps;
    private int _completedFills;

    public ProtobufImConnector(ConnectorContext context, ProtobufImOptions options)
    {
        _context = context;
        _options = options;
        _logger = context.LoggerFactory.CreateLogger($"Bridge.Connectors.ProtobufIm.{context.Name}");
        _gaps = new ImLiveGaps(_cursor, context.Time);
        _session = new ProtobufImSession(context.Name, options, this, context.Time, _logger);
        _supervisor = new SessionSupervisor(
            context.Name,
            options.Endpoint.SafeDescription,
            async ct => await WebSocketFrameConnection.ConnectAsync(options.Endpoint, context.Time, ct).ConfigureAwait(false),
            _session,
            options.Reconnect with { SilenceWindow = options.SilenceWindow },
            _logger,
            context.Time);
        _supervisor.StatusChanged += s => StatusChanged?.Invoke(s);
    }

    public string Name => _context.Name;

    /// <summary>
    /// Pipelined: one connection's requests are answered in order, and a send retried after a
    /// missing reply is first looked up through SYNC by its client_msg_id, so it is not stored twice.
    /// </summary>
    public ConnectorCapabilities Capabilities { get; } = new(ConnectorCapabilities.Kinds(EndpointKind.User, EndpointKind.Group), Deletes: true, PipelinedSends: true);

    public ConnectorStatus Status => _supervisor.Status;

    /// <summary>How many times the session ended and was started again.</summary>
    public int Reconnects => _supervisor.Reconnects;

    /// <summary>Catch-ups completed (one per authenticated session), for tests and diagnostics.</summary>
    internal int CompletedCatchUps => Volatile.Read(ref _completedCatchUps);

    /// <summary>Live fills completed, for tests and diagnostics.</summary>
    internal int CompletedFills => Volatile.Read(ref _completedFills);

    /// <summary>The authenticated session's link, or null between sessions (for tests).</summary>
    internal ImLink? CurrentLink => _session.Current;

    public event Action<ConnectorStatus>? StatusChanged;

    public async Task RunAsync(IInboundSink sink, CancellationToken stoppingToken)
    {
        _sink = sink;
        foreach (var group in _context.EndpointsOfKind(EndpointKind.Group))
        {
            ProtobufImLog.GroupSendOnly(_logger, Name, group.NativeId);
        }

        await _supervisor.RunAsync(stoppingToken).ConfigureAwait(false);
        await SaveCursorAsync(force: true).ConfigureAwait(false);
    }

    async Task IImSessionEvents.OnAuthenticatedAsync(ImLink link, CancellationToken cancellationToken)
    {
        _unanswered.ObserveOwnSeq(link.OwnSeqAtAuth);
        var pipeline = PipelineFor(link);
        _gaps.NewSession();
        if (!_cursorLoaded)
        {
            _hasCursor = _cursor.Load(await _context.Cursors.GetCursorAsync(Name, CursorKey, cancellationToken).ConfigureAwait(false));
            _cursorLoaded = true;
            _savedVersion = _cursor.Version;
        }

        if (!_hasCursor && !_options.SyncHistoryOnFirstStart)
        {
            // First start: what the account holds already is history, not news; remember it as handled.
            var (pages, messages, _, _) = await ImCatchUp.PageAsync(link, _options, 0, _options.SyncMaxPages * 10, m =>
            {
                if (m.SenderId != _options.UserId)
                {
                    _cursor.Observe(m.SenderId, m.Seq);
                }

                return ValueTask.CompletedTask;
            }, Name, _logger, cancellationToken).ConfigureAwait(false);
            ProtobufImLog.CatchUpDone(_logger, Name, 0, pages, messages, 0);
        }
        else
        {
            var posted = new StrongBox<int>();
            var handOver = SyncedHandOver(pipeline, posted, cancellationToken);

            // Seqs are per sender: a new sender's messages start low, a known sender's continue above
            // what was handled. Page from 0; when the budget runs out first, jump to just below the
            // low-water mark, then to just below the high-water mark, so those ranges are covered.
            long[] starts = [0, Math.Max(0, _cursor.LowWater - _options.SyncLookback), Math.Max(0, _cursor.HighWater - _options.SyncLookback)];
            var (pages, messages, reached) = (0, 0, -1L);
            foreach (var start in starts)
            {
                if (start <= reached)
                {
                    continue;
                }

                var pass = await ImCatchUp.PageAsync(link, _options, start, _options.SyncMaxPages, handOver, Name, _logger, cancellationToken).ConfigureAwait(false);
                (pages, messages, reached) = (pages + pass.Pages, messages + pass.Messages, pass.Reached);
                if (pass.Complete)
                {
                    break;
                }
            }

            var from = starts[0];
            await pipeline.WhenIdleAsync(cancellationToken).ConfigureAwait(false);
            ProtobufImLog.CatchUpDone(_logger, Name, from, pages, messages, posted.Value);
        }

        _hasCursor = true;
        await SaveCursorAsync(force: true).ConfigureAwait(false);
        await pipeline.ReleaseHeldAsync(cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _completedCatchUps);
        await RunLiveFillsAsync(link, pipeline, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>For the rest of the session: runs each live fill when it is due (see <see cref="ImLiveGaps"/>).</summary>
    private async Task RunLiveFillsAsync(ImLink link, ImInboundPipeline pipeline, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(FillCheckInterval, _context.Time);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_gaps.TakeDue(PressureCalm) is not { } fill)
            {
                continue;
            }

            var next = fill;
            var done = false;
            try
            {
                (done, next) = await LiveFillAsync(link, pipeline, fill, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or IOException)
            {
                // The reply may itself have been dropped; the fill stays pending and runs again.
                ProtobufImLog.CatchUpStopped(_logger, Name, $"live fill from seq {fill.Floor}: {ex.Message}");
            }
            finally
            {
                _gaps.Finish(next, done);
            }

            if (done)
            {
                Interlocked.Increment(ref _completedFills);
                await SaveCursorAsync(force: false).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// One live fill: holds live pushes, pages SYNC from the floor and hands over what this process
    /// has not seen, waits until it is durable, releases the held pushes. Returns whether it is done
    /// and, if the page budget ran out first, where the next pass continues.
    /// </summary>
    private async Task<(bool Done, (long Floor, long Top) Next)> LiveFillAsync(ImLink link, ImInboundPipeline pipeline, (long Floor, long Top) fill, CancellationToken cancellationToken)
    {
        pipeline.Hold();
        try
        {
            var posted = new StrongBox<int>();
            var handOver = SyncedHandOver(pipeline, posted, cancellationToken);
            var pass = await ImCatchUp.PageAsync(link, _options, fill.Floor, _options.SyncMaxPages, handOver, Name, _logger, cancellationToken, fill.Top).ConfigureAwait(false);
            await pipeline.WhenIdleAsync(cancellationToken).ConfigureAwait(false);
            ProtobufImLog.LiveFillDone(_logger, Name, fill.Floor, pass.Pages, pass.Messages, posted.Value);
            if (pipeline.SinkFailed)
            {
                return (false, fill);
            }

            return pass.Complete ? (true, fill) : (false, (pass.Reached, fill.Top));
        }
        finally
        {
            await pipeline.ReleaseHeldAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Hands a message a SYNC pass found to the pipeline (not acknowledged: v1 only logs acks), unless
    /// it is the account's own, the cursor counts it as handled, or this process handed it over
    /// already; counts what it hands over. During a live fill the cursor counts nothing above the
    /// fill's floor as handled, so only the other two checks apply there.
    /// </summary>
    private Func<PushMessage, ValueTask> SyncedHandOver(ImInboundPipeline pipeline, StrongBox<int> posted, CancellationToken cancellationToken) => m =>
    {
        if (m.SenderId == _options.UserId || _cursor.Handled(m.SenderId, m.Seq) || _recent.Contains(ImWireId.From(m.MessageId)))
        {
            return ValueTask.CompletedTask;
        }

        posted.Value++;
        return pipeline.HandOverAsync(ImPush.From(m), acknowledge: false, cancellationToken);
    };

    async ValueTask IImSessionEvents.OnPushAsync(ImLink link, ImEnvelope push, CancellationToken cancellationToken)
    {
        if (push.Command == CommandType.CmdPushMsg)
        {
            if (!ImPushDecoder.TryDecode(push.Body.Span, _strings, out var message, out var error))
            {
                ConnectorDiagnostics.Errors.Add(1, ConnectorDiagnostics.Tag(Name));
                ProtobufImLog.MalformedFrame(_logger, Name, error!);
                return;
            }

            var pipeline = PipelineFor(link);
            if (message.SenderId != _options.UserId && _gaps.Observe(message.SenderId, message.Seq))
            {
                // This push and later ones wait for the fill, so what was dropped before them goes first.
                ProtobufImLog.FillOpened(_logger, Name, $"seq {message.Seq} from {message.SenderId} skips past the last one seen");
                pipeline.Hold();
            }

            await pipeline.OnLivePushAsync(message, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (ImCodec.TryParse(RevokeMessagePush.Parser, push.Body, out var revoke, out var revokeError) && _sink is { } sink)
        {
            var deleted = ImMessageMapper.ToDeleted(Name, revoke, _options.UserId, _context.Time.GetUtcNow());
            _ = DeliverRevokeAsync(sink, deleted, cancellationToken);
        }
        else if (revokeError is not null)
        {
            ProtobufImLog.MalformedFrame(_logger, Name, revokeError);
        }
    }

    private async Task DeliverRevokeAsync(IInboundSink sink, MessageDeleted deleted, CancellationToken cancellationToken)
    {
        try
        {
            await sink.DeletedAsync(deleted, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // No redelivery and no catch-up exist for revokes (revoked messages just vanish from SYNC).
            ProtobufImLog.SinkFailed(_logger, Name, deleted.TargetNativeMessageId, ex.Message);
        }
    }

    private ImInboundPipeline PipelineFor(ImLink link)
    {
        lock (_pipelineGate)
        {
            if (_pipeline is { } current && ReferenceEquals(current.Link, link))
            {
                return current.Pipeline;
            }

            var sink = _sink ?? throw new InvalidOperationException("RunAsync was not called");
            var pipeline = new ImInboundPipeline(Name, _options.UserId, sink, _recent, link, _options.MaxInFlight, _context.Time, _logger,
                link.End, OnDurable, OnPressure);
            _pipeline = (link, pipeline);
            return pipeline;
        }
    }

    private void OnPressure()
    {
        if (!_gaps.Pending)
        {
            ProtobufImLog.FillOpened(_logger, Name, $"all {_options.MaxInFlight} in-flight slots busy, reading paused");
        }

        _gaps.UnderPressure();
    }

    private void OnDurable(string sender, long seq)
    {
        _cursor.Observe(sender, seq);
        if (_context.Time.GetElapsedTime(Interlocked.Read(ref _lastSaveTimestamp)) > TimeSpan.FromSeconds(1))
        {
            _ = SaveCursorAsync(force: false);
        }
    }

    private async Task SaveCursorAsync(bool force)
    {
        if (!_hasCursor || (!force && !_cursorSave.Wait(0)))
        {
            return;
        }

        if (force)
        {
            await _cursorSave.WaitAsync().ConfigureAwait(false);
        }

        try
        {
            var version = _cursor.Version;
            if (version == _savedVersion && _savedVersion != 0)
            {
                return;
            }

            Interlocked.Exchange(ref _lastSaveTimestamp, _context.Time.GetTimestamp());
            await _context.Cursors.SetCursorAsync(Name, CursorKey, _cursor.Serialize(), CancellationToken.None).ConfigureAwait(false);
            _savedVersion = version;
        }
        catch (Exception ex)
        {
            ProtobufImLog.CursorSaveFailed(_logger, Name, ex.Message);
        }
        finally
        {
            _cursorSave.Release();
        }
    }

    public Task<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken) => PostAsync(message, null, cancellationToken);

    public Task<SendResult> SendAsync(OutboundMessage message, SendWritten written, CancellationToken cancellationToken) => PostAsync(message, written, cancellationToken);

    /// <summary><paramref name="written"/> is set once this call wrote SEND_MSG_REQ (not when it joins a send in flight).</summary>
    private Task<SendResult> PostAsync(OutboundMessage message, SendWritten? written, CancellationToken cancellationToken)
    {
        // The v1 server stores every copy of a send: a retry of one that already succeeded gets the first result.
        if (_sent.TryGet(message.IdempotencyKey, out var earlier))
        {
            return Task.FromResult(earlier);
        }

        if (_session.Current is null)
        {
            return Task.FromResult(SendResult.NotConnected($"{Name} is not connected ({Status.State})"));
        }

        // A retry of a send still waiting for its reply joins it instead of storing a second copy.
        var send = _sendsInFlight.GetOrAdd(message.IdempotencyKey, _ => new Lazy<Task<SendResult>>(() => SendOnceAsync(message, written, cancellationToken)));
        return CompleteSendAsync(message.IdempotencyKey, send);
    }

    private async Task<SendResult> CompleteSendAsync(string key, Lazy<Task<SendResult>> send)
    {
        try
        {
            var result = await send.Value.ConfigureAwait(false);
            if (result.Succeeded)
            {
                _sent.Add(key, result);
            }

            return result;
        }
        finally
        {
            _sendsInFlight.TryRemove(new KeyValuePair<string, Lazy<Task<SendResult>>>(key, send));
        }
    }

    private async Task<SendResult> SendOnceAsync(OutboundMessage message, SendWritten? written, CancellationToken cancellationToken)
    {
        await Task.Yield();
        using var activity = ConnectorDiagnostics.StartSend(Name, message.Body.Kind.ToString(), message.Target.ToString(), message.IdempotencyKey);
        var request = ImMessageMapper.ToSendRequest(message, _options.UserId, _context.Time.GetUtcNow().ToUnixTimeMilliseconds());
        var ownSeqBefore = _unanswered.OwnSeq;
        var result = request is not { } send
            ? SendResult.Unsupported($"protobuf-im has no {EndpointRef.KindName(message.Target.Kind)} conversations (user and group only)")
            : send.ContentBytes > _options.MaxContentBytes
                ? SendResult.TooLarge($"content of {send.ContentBytes} bytes exceeds maxContentBytes ({_options.MaxContentBytes})")
                : await StoredEarlierAsync(message.IdempotencyKey, cancellationToken).ConfigureAwait(false)
                    ?? await RequestAsync(CommandType.CmdSendMsgReq, send, "send", reply => reply is SendMessageResponse r
                        ? (r.ErrorCode, r.ErrorMsg, SentId(message.IdempotencyKey, r))
                        : null, cancellationToken, written).ConfigureAwait(false);
        if (result.Failure == SendFailureKind.Timeout)
        {
            _unanswered.Add(message.IdempotencyKey, ownSeqBefore);
        }

        if (!result.Succeeded && result.Failure != SendFailureKind.NotConnected) // held and logged once by the delivery consumer
        {
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, result.Reason);
            ConnectorDiagnostics.Errors.Add(1, ConnectorDiagnostics.Tag(Name));
            ProtobufImLog.SendFailed(_logger, Name, message.IdempotencyKey, message.Target.ToString(), result.ToString());
        }
        else
        {
            activity?.SetTag("bridge.native_message_id", result.NativeMessageId);
        }

        return result;
    }

    public async Task<SendResult> DeleteAsync(OutboundDelete request, CancellationToken cancellationToken)
    {
        if (_session.Current is not { } link)
        {
            return SendResult.NotConnected($"{Name} is not connected ({Status.State})");
        }

        if (_revoked.Contains(request.NativeMessageId))
        {
            return SendResult.Sent(request.NativeMessageId);
        }

        var serverId = request.NativeMessageId;
        if (ImSentMessageId.TryParse(request.NativeMessageId, out var sent))
        {
            try
            {
                serverId = await FindServerIdAsync(link, sent, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or IOException)
            {
                return SendResult.TimedOut($"looking up the server id of {request.NativeMessageId}: {ex.Message}");
            }

            if (serverId is null)
            {
                return SendResult.Rejected($"message {request.NativeMessageId} was not found through SYNC (already revoked, or never stored)", "NOT_FOUND");
            }
        }

        var conversation = request.Target.Kind == EndpointKind.Group
            ? ImConversationIds.Group(request.Target.NativeId)
            : ImConversationIds.Single(_options.UserId, request.Target.NativeId);
        var revoke = new RevokeMessageRequest { MessageId = serverId, ConversationId = conversation };
        var result = await RequestAsync(CommandType.CmdRevokeMsgReq, revoke, "revoke", reply => reply is RevokeMessageResponse r
            ? (r.ErrorCode, r.ErrorMsg, request.NativeMessageId)
            : null, cancellationToken).ConfigureAwait(false);
        if (result.Succeeded)
        {
            _revoked.Add(request.NativeMessageId);
        }

        return result;
    }

    private string SentId(string clientMsgId, SendMessageResponse reply)
    {
        if (reply.ErrorCode == ErrorCode.ErrSuccess)
        {
            _unanswered.ObserveOwnSeq(reply.Seq);
        }

        return new ImSentMessageId(clientMsgId, reply.Seq).ToString();
    }

    /// <summary>
    /// For a send tried before without an answer: whether the server stored it after all (its
    /// result, found through SYNC by client_msg_id above the own seq it was sent at), or a timeout
    /// when SYNC does not answer either; null when it is not there and must be sent.
    /// </summary>
    private async Task<SendResult?> StoredEarlierAsync(string clientMsgId, CancellationToken cancellationToken)
    {
        if (!_unanswered.TryGet(clientMsgId, out var ownSeqBefore) || _session.Current is not { } link)
        {
            return null;
        }

        try
        {
            // Frames of one connection are handled in order, so an earlier send on this link is stored before this SYNC is answered.
            var found = await FindOwnSendAsync(link, clientMsgId, ownSeqBefore, cancellationToken).ConfigureAwait(false);
            _unanswered.Remove(clientMsgId);
            ProtobufImLog.UnansweredSendChecked(_logger, Name, clientMsgId, found is not null);
            return found is { } seq ? SendResult.Sent(new ImSentMessageId(clientMsgId, seq).ToString()) : null;
        }
        catch (Exception ex) when (ex is TimeoutException or IOException)
        {
            return SendResult.TimedOut($"checking through SYNC whether an unanswered send was stored: {ex.Message}");
        }
    }

    /// <summary>The seq of the bridge's own message with this client_msg_id, paging SYNC up from <paramref name="ownSeqBefore"/>; null when it is not there.</summary>
    private async Task<long?> FindOwnSendAsync(ImLink link, string clientMsgId, long ownSeqBefore, CancellationToken cancellationToken)
    {
        var search = await SearchOwnMessageAsync(link, clientMsgId, ownSeqBefore, MaxUnansweredSyncPages, long.MaxValue, cancellationToken).ConfigureAwait(false);
        return search.Match?.Seq ?? (search.Unfinished is { } why ? throw new TimeoutException(why) : null);
    }

    /// <summary>The server id of a message the bridge sent: one SYNC page from just below its seq, matched by client_msg_id.</summary>
    private async Task<string?> FindServerIdAsync(ImLink link, ImSentMessageId sent, CancellationToken cancellationToken) =>
        (await SearchOwnMessageAsync(link, sent.ClientMsgId, sent.Seq - 1, 5, sent.Seq, cancellationToken).ConfigureAwait(false)).Match?.MessageId;

    /// <summary>
    /// Pages SYNC up from <paramref name="fromSeq"/> (next page from the page's highest seq − 1) for
    /// the bridge's own message with this client_msg_id, until it is found, the pages end, a page
    /// starts above <paramref name="stopAboveSeq"/>, or <paramref name="maxPages"/> were read.
    /// <see cref="OwnMessageSearch.Unfinished"/> says why the search stopped short of an answer.
    /// </summary>
    private async Task<OwnMessageSearch> SearchOwnMessageAsync(ImLink link, string clientMsgId, long fromSeq, int maxPages, long stopAboveSeq, CancellationToken cancellationToken)
    {
        var maxSeq = fromSeq;
        for (var page = 0; page < maxPages; page++)
        {
            var reply = await link.RequestAsync(CommandType.CmdSyncReq, new SyncRequest { MaxSeq = maxSeq, Limit = 100 }, _options.RequestTimeout, cancellationToken).ConfigureAwait(false);
            if (reply.Message is not SyncResponse { ErrorCode: ErrorCode.ErrSuccess } result)
            {
                return new OwnMessageSearch(null, $"SYNC answered {reply.Command}");
            }

            var match = result.Messages.FirstOrDefault(m => m.SenderId == _options.UserId && m.ClientMsgId == clientMsgId);
            if (match is not null)
            {
                return new OwnMessageSearch(match, null);
            }

            if (!result.HasMore || result.Messages.Count == 0 || result.Messages.Min(m => m.Seq) > stopAboveSeq)
            {
                return new OwnMessageSearch(null, null);
            }

            maxSeq = Math.Max(maxSeq + 1, result.Messages.Max(m => m.Seq) - 1);
        }

        return new OwnMessageSearch(null, $"not found in {maxPages} SYNC pages");
    }

    private Task<SendResult> RequestAsync(CommandType command, Google.Protobuf.IMessage body, string operation,
        Func<Google.Protobuf.IMessage, (ErrorCode Code, string Message, string NativeId)?> interpret, CancellationToken cancellationToken) =>
        RequestAsync(command, new ImMessageBody(body), operation, interpret, cancellationToken);

    private async Task<SendResult> RequestAsync<TBody>(CommandType command, TBody body, string operation,
        Func<Google.Protobuf.IMessage, (ErrorCode Code, string Message, string NativeId)?> interpret, CancellationToken cancellationToken, SendWritten? written = null)
        where TBody : IImFrameBody
    {
        if (_session.Current is not { } link)
        {
            return SendResult.NotConnected($"{Name} is not connected ({Status.State})");
        }

        try
        {
            var reply = await link.RequestAsync(command, body, _options.RequestTimeout, cancellationToken, written).ConfigureAwait(false);
            if (interpret(reply.Message) is not { } answer)
            {
                return SendResult.Rejected($"unexpected reply {reply.Command} to {command}", "PROTOCOL");
            }

            return answer.Code == ErrorCode.ErrSuccess
                ? SendResult.Sent(answer.NativeId)
                : ImErrorCodes.ToFailure(answer.Code, answer.Message, operation);
        }
        catch (TimeoutException ex)
        {
            return SendResult.TimedOut($"{operation}: {ex.Message}");
        }
        catch (ImNotSentException ex)
        {
            return SendResult.NotConnected($"{operation}: {ex.Message}");
        }
        catch (ConnectionLostException ex)
        {
            return SendResult.TimedOut($"{operation}: the connection dropped before the reply ({ex.Message}); the server may have stored it");
        }
    }

    public ValueTask DisposeAsync()
    {
        _cursorSave.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>What a SYNC search for an own message found; <see cref="Unfinished"/>: why it stopped without an answer (null: it looked everywhere it had to).</summary>
    private readonly record struct OwnMessageSearch(PushMessage? Match, string? Unfinished);
}
