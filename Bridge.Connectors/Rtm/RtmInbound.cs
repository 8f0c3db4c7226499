using System.Threading.Channels;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Rtm.Fpnn;
using Microsoft.Extensions.Logging;

namespace Bridge.Connectors.Rtm;

/// <summary>
/// Hands one session's pushes to the sink in arrival order with a bounded number in flight, and
/// answers each push (its FPNN ack) only when its own sink call completed. Cursors advance in
/// arrival order, only for endpoints this session's catch-up has completed (see <see cref="CaughtUp"/>),
/// and stop at the first push that did not become durable; such a failure ends the
/// session (RTM does not resend unanswered pushes, so the reconnect catches up from history).
/// </summary>
internal sealed class RtmInbound : IAsyncDisposable
{
    private readonly string _connector;
    private readonly RtmOptions _options;
    private readonly IInboundSink _sink;
    private readonly RtmLink _link;
    private readonly RtmCursorBook _cursors;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Action<string> _fail;
    private readonly SemaphoreSlim _inFlight;
    private readonly Channel<(Task Durable, string Path, long MTime)> _order = Channel.CreateUnbounded<(Task, string, long)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _cursorLoop;
    private readonly object _cursorGate = new();
    private readonly HashSet<string> _caughtUp = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _heldBack = new(StringComparer.Ordinal);

    public RtmInbound(string connector, RtmOptions options, IInboundSink sink, RtmLink link, RtmCursorBook cursors, TimeProvider time, ILogger logger, Action<string> fail)
    {
        _connector = connector;
        _options = options;
        _sink = sink;
        _link = link;
        _cursors = cursors;
        _time = time;
        _logger = logger;
        _fail = fail;
        _inFlight = new SemaphoreSlim(options.MaxInFlight, options.MaxInFlight);
        _cursorLoop = AdvanceCursorsAsync();
    }

    /// <summary>Starts the sink call for a push (waiting while too many are in flight); the ack follows durability.</summary>
    public async Task AcceptAsync(string method, uint seq, RtmPush push, CancellationToken cancellationToken)
    {
        var posted = RtmNormalizer.ToPosted(_connector, push, _options, _time.GetUtcNow(), out var dropReason);
        if (posted is null)
        {
            RtmLog.Dropped(_logger, _connector, push.Mid, push.From, dropReason!);
            await AnswerAsync(seq, cancellationToken).ConfigureAwait(false);
            return;
        }

        await _inFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
        var activity = ConnectorDiagnostics.StartReceive(_connector, method, posted.Conversation.Path, posted.NativeMessageId);
        Task durable;
        try
        {
            durable = _sink.PostedAsync(posted, _stop.Token);
        }
        catch (Exception ex)
        {
            durable = Task.FromException(ex);
        }

        _order.Writer.TryWrite((durable, posted.Conversation.Path, push.MTime));
        _ = AckWhenDurableAsync(durable, method, seq, activity);
    }

    public Task AnswerAsync(uint seq, CancellationToken cancellationToken) =>
        _link.SendAsync(FpnnPacketWriter.EmptyAnswer(seq), cancellationToken).AsTask();

    private async Task AckWhenDurableAsync(Task durable, string method, uint seq, System.Diagnostics.Activity? activity)
    {
        try
        {
            await durable.ConfigureAwait(false);
            await AnswerAsync(seq, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            if (!_stop.IsCancellationRequested)
            {
                ConnectorDiagnostics.Errors.Add(1, ConnectorDiagnostics.Tag(_connector));
                activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, ex.Message);
                RtmLog.SinkFailed(_logger, _connector, method, ex.Message);
                _fail($"push not durable: {ex.Message}");
            }
        }
        finally
        {
            activity?.Dispose();
            _inFlight.Release();
        }
    }

    private async Task AdvanceCursorsAsync()
    {
        var reader = _order.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                while (reader.TryRead(out var item))
                {
                    try
                    {
                        await item.Durable.ConfigureAwait(false);
                    }
                    catch (Exception)
                    {
                        return; // nothing after a failed push may move the cursor
                    }

                    AdvanceOrHold(item.Path, item.MTime);
                }

                await _cursors.FlushAsync(_stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Session over.
        }
    }

    /// <summary>
    /// This session's catch-up reached the end of the endpoint's history: from now on durable live
    /// pushes move its cursor, starting with the furthest one held back so far.
    /// </summary>
    public void CaughtUp(string path)
    {
        long held;
        lock (_cursorGate)
        {
            _caughtUp.Add(path);
            if (!_heldBack.Remove(path, out held))
            {
                return;
            }
        }

        _cursors.Advance(path, held);
    }

    /// <summary>
    /// Until the session's catch-up of the endpoint is complete, a live push must not move its
    /// cursor: the catch-up may still be short of older messages, and if the session dropped then,
    /// the next catch-up would start after them.
    /// </summary>
    private void AdvanceOrHold(string path, long mtime)
    {
        lock (_cursorGate)
        {
            if (!_caughtUp.Contains(path))
            {
                _heldBack[path] = Math.Max(_heldBack.GetValueOrDefault(path), mtime);
                return;
            }
        }

        _cursors.Advance(path, mtime);
    }

    /// <summary>Lets in-flight sink calls finish (briefly), flushes cursors, and stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _order.Writer.TryComplete();
        try
        {
            await _cursorLoop.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A slow sink; the session is over anyway.
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _cursorLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }

        _stop.Dispose();
    }
}
