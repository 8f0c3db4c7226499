using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Runtime.ExceptionServices;
using System.Text;
using System.Threading.Channels;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Transport;
using Bridge.Contracts.V1;

namespace Bridge.Connectors.Xnest;

/// <summary>
/// One WebSocket connection to one room. The read loop decodes frames and calls the sink in
/// arrival order without waiting; an ordered completion loop awaits each sink call (bounded in
/// flight) and writes dedupe checkpoints only once everything before them is durable. A sink
/// failure ends the connection: the next one replays the newest history page from the last
/// checkpoint, with the same derived ids.
/// </summary>
internal sealed class XnestRoomConnection
{
    private const int MaxBufferedFrames = 10_000;

    private readonly XnestRoom _room;
    private readonly SessionContext _context;
    private readonly XnestSeenWindow _window;
    private readonly IInboundSink _sink;
    private readonly XnestOptions _options;
    private readonly ConcurrentDictionary<string, string> _members = new(StringComparer.Ordinal);
    private readonly XnestEchoWaiters _echoes;
    private readonly Channel<PipelineItem> _pipeline = Channel.CreateUnbounded<PipelineItem>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly SemaphoreSlim _slots;
    private readonly KeyValuePair<string, object?> _tag;
    private readonly List<XnestFrame> _early = [];
    private string? _ownPid;
    private bool _historySeen;
    private long _lastCheckpoint;
    private string? _sinkFailure;

    public XnestRoomConnection(XnestRoom room, SessionContext context, XnestSeenWindow window, IInboundSink sink)
    {
        _room = room;
        _context = context;
        _window = window;
        _sink = sink;
        _options = room.Options;
        _slots = new SemaphoreSlim(_options.MaxInFlight, _options.MaxInFlight);
        _tag = ConnectorDiagnostics.Tag(room.Connector);
        _lastCheckpoint = room.Time.GetTimestamp();
        _echoes = new XnestEchoWaiters(room.EchoDeadlines);
    }

    /// <summary>The bridge's pid on this connection.</summary>
    public string? OwnPid => Volatile.Read(ref _ownPid);

    /// <summary>pid → nickname of everyone in the room (robot and bridge included).</summary>
    public IReadOnlyDictionary<string, string> Members => _members;

    private IFrameConnection Connection => _context.Connection;

    public async Task<SessionEnd> RunAsync(CancellationToken cancellationToken)
    {
        using var session = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var completions = CompleteInOrderAsync(session);
        var probes = ProbeAsync(session.Token);
        SessionEnd? end = null;
        ExceptionDispatchInfo? error = null;
        try
        {
            end = await ReadAsync(session.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            error = ExceptionDispatchInfo.Capture(ex);
        }

        // Whatever ended the connection, the sink calls already made still complete, and the final
        // checkpoint is stored behind them before the next connection loads the window.
        if (_sinkFailure is null && _window.Initialized && _window.Dirty)
        {
            _pipeline.Writer.TryWrite(new PipelineItem(null, _window.Serialize()));
        }

        _pipeline.Writer.TryComplete();
        await completions.ConfigureAwait(false);
        await session.CancelAsync().ConfigureAwait(false);
        await probes.ConfigureAwait(false);
        if (_sinkFailure is not null)
        {
            return SessionEnd.Transient($"sink did not take a message ({_sinkFailure}); reconnecting to catch up from history");
        }

        error?.Throw();
        return end!;
    }

    private async Task<SessionEnd> ReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            XnestFrame frame = default;
            var decoded = false;
            string? error;
            using (var received = await Connection.ReceiveAsync(cancellationToken).ConfigureAwait(false))
            {
                _context.KeepaliveSeen();
                ConnectorDiagnostics.FramesReceived.Add(1, _tag);
                if (received.Kind == FrameKind.Close)
                {
                    return SessionEnd.Transient($"server closed the connection ({received.CloseStatus?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no status"} {received.CloseDescription})");
                }

                if (received.Kind != FrameKind.Text)
                {
                    error = "binary frame from the server";
                }
                else
                {
                    decoded = XnestCodec.TryDecode(received.Span, out frame, out error, _options.MaxFrameBytes, _room.Strings);
                }
            }

            if (!decoded)
            {
                ConnectorDiagnostics.Errors.Add(1, _tag);
                XnestLog.BadFrame(_room.Logger, _room.Connector, _room.Id, error ?? "unknown");
                continue;
            }

            await HandleAsync(frame, cancellationToken).ConfigureAwait(false);
            MaybeCheckpoint();
        }
    }

    private async Task HandleAsync(XnestFrame frame, CancellationToken cancellationToken)
    {
        if (_ownPid is null)
        {
            if (frame.Type != XnestFrameType.Self)
            {
                Buffer(frame);
                return;
            }

            Volatile.Write(ref _ownPid, frame.Text is { Length: > 0 } pid ? pid : frame.From);
            _window.Ignore(_ownPid);
            _room.SetLive(this);
            _context.MarkConnected();
            foreach (var early in Drain())
            {
                await HandleAsync(early, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        switch (frame.Type)
        {
            case XnestFrameType.Members:
                await OnMembersAsync(frame.Members!, cancellationToken).ConfigureAwait(false);
                break;
            case XnestFrameType.History when !_historySeen:
                _historySeen = true;
                if (_options.CatchUp)
                {
                    await CatchUpAsync(frame.History!, cancellationToken).ConfigureAwait(false);
                }

                foreach (var early in Drain())
                {
                    await HandleAsync(early, cancellationToken).ConfigureAwait(false);
                }

                break;
            case XnestFrameType.Normal or XnestFrameType.Private or XnestFrameType.Audio or XnestFrameType.Picture or XnestFrameType.File:
                if (_options.CatchUp && !_historySeen)
                {
                    // Counted only after the connect-time history page, so a live copy cannot hide a missed one.
                    Buffer(frame);
                }
                else
                {
                    await OnMessageAsync(frame, cancellationToken).ConfigureAwait(false);
                }

                break;
            case XnestFrameType.Join or XnestFrameType.Leave or XnestFrameType.ChangeName:
                await OnMembershipAsync(frame, cancellationToken).ConfigureAwait(false);
                break;
            case XnestFrameType.Error:
                ConnectorDiagnostics.Errors.Add(1, _tag);
                XnestLog.ServerError(_room.Logger, _room.Connector, _room.Id, frame.Text ?? string.Empty);
                break;
            default:
                // member_count, call, probe answers (later history pages), unknown types.
                XnestLog.Ignored(_room.Logger, _room.Connector, _room.Id, frame.TypeName ?? XnestCodec.TypeName(frame.Type));
                break;
        }
    }

    private void Buffer(XnestFrame frame)
    {
        if (_early.Count >= MaxBufferedFrames)
        {
            throw new ProtocolViolationException($"{MaxBufferedFrames} frames arrived before the connect sequence (self, history) completed");
        }

        _early.Add(frame);
    }

    private List<XnestFrame> Drain()
    {
        var frames = _early.ToList();
        _early.Clear();
        return frames;
    }

    private async Task OnMembersAsync(IReadOnlyList<XnestMember> members, CancellationToken cancellationToken)
    {
        _members.Clear();
        foreach (var m in members)
        {
            _members[m.Pid] = m.Nickname;
            if (m.Pid != _ownPid && m.Nickname == _options.RobotNickname)
            {
                _window.Ignore(m.Pid);
            }
        }

        XnestLog.Joined(_room.Logger, _room.Connector, _room.Id, _ownPid!, members.Count);
        if (_options.ChangeName && _members.TryGetValue(_ownPid!, out var current) && current != _options.Nickname)
        {
            XnestLog.Renaming(_room.Logger, _room.Connector, _room.Id, current, _options.Nickname);
            await SendFrameAsync(XnestClientFrames.ChangeName(_options.Nickname), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task OnMembershipAsync(XnestFrame frame, CancellationToken cancellationToken)
    {
        var pid = frame.From;
        _members.TryGetValue(pid, out var oldName);
        MembershipChange change;
        string? newName = null;
        switch (frame.Type)
        {
            case XnestFrameType.Join:
                _members[pid] = frame.Text ?? string.Empty;
                oldName = frame.Text;
                change = MembershipChange.Joined;
                break;
            case XnestFrameType.Leave:
                _members.TryRemove(pid, out _);
                change = MembershipChange.Left;
                break;
            default:
                newName = frame.Text ?? string.Empty;
                _members[pid] = newName;
                change = MembershipChange.Renamed;
                break;
        }

        if (pid == _ownPid || _window.IsIgnored(pid))
        {
            return;
        }

        var nativeKey = $"{_room.Id}/{XnestCodec.TypeName(frame.Type)}/{pid}/{frame.SendTime}/{frame.Text}";
        var evt = new MembershipChanged(
            EventIds.ForIngest(_room.Connector, nativeKey),
            _room.Endpoint,
            new Participant(_room.Connector, pid, oldName),
            change,
            newName,
            _room.Time.GetUtcNow());
        await EnqueueAsync(() => _sink.MembershipAsync(evt, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    private async Task OnMessageAsync(XnestFrame frame, CancellationToken cancellationToken)
    {
        var isPrivate = frame.Type == XnestFrameType.Private;
        var payload = frame.Text!;
        var key = XnestMessageKey.For(isPrivate, frame.From, frame.SendTime, payload);
        var occurrence = _window.Next(key);
        var nativeId = key.NativeId(_room.Id, occurrence);
        if (frame.From == _ownPid)
        {
            if (frame.Type == XnestFrameType.Normal)
            {
                _echoes.Complete(payload, nativeId);
            }

            return;
        }

        if (_window.IsIgnored(frame.From))
        {
            return;
        }

        var conversation = isPrivate ? new EndpointRef(_room.Connector, EndpointKind.User, $"{_room.Id}/{frame.From}") : _room.Endpoint;
        var body = frame.Type switch
        {
            XnestFrameType.Audio => MessageBody.Media(BodyKind.Audio, payload),
            XnestFrameType.Picture => MessageBody.Media(BodyKind.Image, payload),
            XnestFrameType.File => MessageBody.Media(BodyKind.File, payload),
            _ => MessageBody.FromText(payload),
        };
        await PostAsync(conversation, frame.From, body, nativeId, XnestCodec.TypeName(frame.Type), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The connect-time history page (oldest first). On the first visit of a room it only seeds the
    /// window. Later, the k-th item with a given (sender, payload, date) in the page is new when the
    /// window has seen fewer than k such messages; it is relayed with the same id its live copy had.
    /// </summary>
    private async Task CatchUpAsync(IReadOnlyList<XnestHistoryItem> items, CancellationToken cancellationToken)
    {
        var inPage = new Dictionary<XnestMessageKey, int>();
        var seeding = !_window.Initialized;
        var relayed = 0;
        foreach (var item in items)
        {
            var key = XnestMessageKey.For(false, item.From, item.SendTime, item.Payload);
            var occurrence = inPage[key] = inPage.GetValueOrDefault(key) + 1;
            if (occurrence <= _window.Seen(key))
            {
                continue;
            }

            _window.Set(key, occurrence);
            if (seeding || item.From == _ownPid || _window.IsIgnored(item.From))
            {
                continue;
            }

            var body = item.Type switch
            {
                "audio" => MessageBody.Media(BodyKind.Audio, item.Payload),
                "picture" => MessageBody.Media(BodyKind.Image, item.Payload),
                _ => MessageBody.FromText(item.Payload),
            };
            await PostAsync(_room.Endpoint, item.From, body, key.NativeId(_room.Id, occurrence), "history", cancellationToken).ConfigureAwait(false);
            relayed++;
        }

        if (seeding)
        {
            _window.Initialized = true;
            XnestLog.HistorySeeded(_room.Logger, _room.Connector, _room.Id, items.Count);
            Checkpoint();
        }
        else
        {
            XnestLog.CatchUp(_room.Logger, _room.Connector, _room.Id, relayed, items.Count);
        }
    }

    private Task PostAsync(EndpointRef conversation, string pid, MessageBody body, string nativeId, string type, CancellationToken cancellationToken)
    {
        var now = _room.Time.GetUtcNow();
        var sender = new Participant(_room.Connector, pid, _members.TryGetValue(pid, out var nickname) ? nickname : null);
        var posted = new MessagePosted(EventIds.ForIngest(_room.Connector, nativeId), conversation, sender, body, nativeId, now, now);
        return EnqueueAsync(
            () =>
            {
                using var activity = ConnectorDiagnostics.StartReceive(_room.Connector, type, conversation.ToString(), nativeId);
                return _sink.PostedAsync(posted, cancellationToken);
            },
            cancellationToken);
    }

    /// <summary>Takes an in-flight slot, starts the sink call (arrival order) and queues it for in-order completion.</summary>
    private async Task EnqueueAsync(Func<Task<IngestOutcome>> call, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        Task<IngestOutcome> task;
        try
        {
            task = call();
        }
        catch (Exception ex)
        {
            task = Task.FromException<IngestOutcome>(ex);
        }

        _pipeline.Writer.TryWrite(new PipelineItem(task, null));
    }

    private void MaybeCheckpoint()
    {
        if (_window.Initialized && _window.Dirty && _room.Time.GetElapsedTime(_lastCheckpoint) >= _window.CheckpointEvery(_options.CheckpointInterval))
        {
            Checkpoint();
        }
    }

    private void Checkpoint()
    {
        _lastCheckpoint = _room.Time.GetTimestamp();
        _pipeline.Writer.TryWrite(new PipelineItem(null, _window.Serialize()));
    }

    /// <summary>Awaits sink calls in the order they were made; stores a checkpoint once all before it are durable.</summary>
    private async Task CompleteInOrderAsync(CancellationTokenSource session)
    {
        await foreach (var item in _pipeline.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            if (_sinkFailure is not null)
            {
                item.Sink?.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
                continue;
            }

            if (item.Sink is { } call)
            {
                try
                {
                    await call.ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    _sinkFailure = ex is OperationCanceledException ? "cancelled" : ex.Message;
                    XnestLog.SinkFailed(_room.Logger, _room.Connector, _room.Id, _sinkFailure);
                    ConnectorDiagnostics.Errors.Add(1, _tag);
                    await session.CancelAsync().ConfigureAwait(false);
                    Connection.Abort();
                }
                finally
                {
                    _slots.Release();
                }
            }
            else if (item.Checkpoint is { } state)
            {
                await _room.CheckpointAsync(state).ConfigureAwait(false);
            }
        }
    }

    /// <summary>xnest has no heartbeat: <c>@history:-1</c> is answered (to us only) with an empty page.</summary>
    private async Task ProbeAsync(CancellationToken cancellationToken)
    {
        if (_options.ProbeInterval <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            while (true)
            {
                await Task.Delay(_options.ProbeInterval, _room.Time, cancellationToken).ConfigureAwait(false);
                if (_ownPid is not null)
                {
                    await SendFrameAsync(XnestClientFrames.HistoryRequest(-1), cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
            // Session over; the watchdog or the read loop reports why.
        }
    }

    private async Task SendFrameAsync(string text, CancellationToken cancellationToken)
    {
        var utf8 = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(text.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(text, utf8);
            await Connection.SendAsync(utf8.AsMemory(0, length), FrameKind.Text, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(utf8);
        }

        ConnectorDiagnostics.FramesSent.Add(1, _tag);
    }

    /// <summary>Posts text to the room and waits for its own echo, whose derived id is the native id.</summary>
    public async Task<SendResult> SendRoomTextAsync(string text, CancellationToken cancellationToken)
    {
        text = XnestClientFrames.Neutralize(ValidUtf16(text));
        if (text.Length == 0)
        {
            return SendResult.Rejected("xnest cannot post an empty message", "empty");
        }

        if (Encoding.UTF8.GetByteCount(text) > _options.MaxMessageBytes)
        {
            return SendResult.TooLarge($"message exceeds {_options.MaxMessageBytes} bytes");
        }

        var waiter = _echoes.Register(text);
        if (await TrySendAsync(text, cancellationToken).ConfigureAwait(false) is { } failed)
        {
            _echoes.Remove(waiter);
            return failed;
        }

        // A caller that gives up leaves the wait queued until its echo or its deadline: the echo of
        // a written frame still comes, and must not confirm a later send of the same text.
        _echoes.Watch(waiter, _options.SendTimeout);
        try
        {
            using (cancellationToken.UnsafeRegister(static (w, token) => ((EchoWaiter)w!).TrySetCanceled(token), waiter))
            {
                return SendResult.Sent(await waiter.Task.ConfigureAwait(false));
            }
        }
        catch (TimeoutException)
        {
            XnestLog.EchoTimeout(_room.Logger, _room.Connector, _room.Id, _options.SendTimeout.TotalSeconds);
            return SendResult.TimedOut($"no echo from room {_room.Id} within {_options.SendTimeout.TotalSeconds:0.###} s; the message may or may not have been posted");
        }
        catch (ConnectionLostException ex)
        {
            return SendResult.TimedOut($"{ex.Message} before the echo arrived; the message may or may not have been posted");
        }
    }

    /// <summary>A private message to a current member; xnest neither echoes nor acknowledges it.</summary>
    public async Task<SendResult> SendDirectAsync(string pid, string text, string idempotencyKey, CancellationToken cancellationToken)
    {
        if (!XnestClientFrames.IsPid(pid))
        {
            return SendResult.Rejected($"'{pid}' is not an xnest pid (<A.B.C>)", "bad-pid");
        }

        if (!_members.ContainsKey(pid))
        {
            return SendResult.Rejected($"no member {pid} in room {_room.Id} (pids change on every reconnect)", "unknown-pid");
        }

        text = ValidUtf16(text);
        if (text.Length == 0)
        {
            return SendResult.Rejected("xnest cannot post an empty message", "empty");
        }

        var frame = XnestClientFrames.DirectMessage(pid, text);
        if (Encoding.UTF8.GetByteCount(frame) > _options.MaxMessageBytes)
        {
            return SendResult.TooLarge($"message exceeds {_options.MaxMessageBytes} bytes");
        }

        return await TrySendAsync(frame, cancellationToken).ConfigureAwait(false)
            ?? SendResult.Sent($"{_room.Id}/to/{pid}/{idempotencyKey}");
    }

    private async Task<SendResult?> TrySendAsync(string text, CancellationToken cancellationToken)
    {
        try
        {
            await SendFrameAsync(text, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            ConnectorDiagnostics.Errors.Add(1, _tag);
            return SendResult.NotConnected($"room {_room.Id}: connection lost while sending ({ex.Message})");
        }
    }

    /// <summary>Lone surrogates would reach the server as U+FFFD, and the echo would no longer match.</summary>
    private static string ValidUtf16(string text) =>
        text.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF') ? Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text)) : text;

    public void FailPendingSends() => _echoes.FailAll(new ConnectionLostException($"room {_room.Id}: connection lost"));

    private readonly record struct PipelineItem(Task<IngestOutcome>? Sink, string? Checkpoint);
}
