using System.Collections.Concurrent;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Transport;
using Bridge.Contracts.V1;
using Microsoft.Extensions.Logging;

namespace Bridge.Connectors.Glide;

/// <summary>What the server answered to one send.</summary>
internal readonly record struct GlideSendOutcome(string Action, long Mid, string? Text);

/// <summary>
/// A Glide IM account: one WebSocket session (hello, authenticate, heartbeats), chat and group
/// pushes to the sink (chat acknowledged with <c>ack.request</c> once durable), sends to a uid
/// (<c>message.chat</c>) or a channel (<c>message.group</c>) with a ticket and cliMid = idempotency key.
/// </summary>
public sealed class GlideConnector : IConnector
{
    private readonly GlideOptions _options;
    private readonly ILogger _logger;
    private readonly SessionSupervisor _supervisor;
    private readonly HttpClient? _http;
    private readonly PendingRequests<string, GlideSendOutcome> _pending = new();
    private readonly ConcurrentDictionary<long, string> _sendsBySeq = new();
    private long _seq;
    private long _dataSeq;

    public GlideConnector(ConnectorContext context, GlideOptions options, HttpMessageHandler? apiHandler = null)
    {
        Context = context;
        _options = options;
        _logger = context.LoggerFactory.CreateLogger<GlideConnector>();
        GlideApiClient? api = null;
        if (options.ApiUrl is { } apiUrl && options.ApiToken is { } token)
        {
            _http = apiHandler is null ? new HttpClient() : new HttpClient(apiHandler, disposeHandler: false);
            _http.Timeout = options.SendTimeout;
            api = new GlideApiClient(_http, apiUrl, token);
        }

        Credentials = new GlideCredentialSource(options, api, context.Time);
        Tickets = new GlideTicketSource(options.Uid, () => Credentials.DeliverSecret, api);
        var endpoint = new WebSocketEndpointOptions(options.Url) { MaxFrameBytes = options.MaxFrameBytes };
        var session = new GlideSession(this);
        _supervisor = new SessionSupervisor(
            context.Name,
            endpoint.SafeDescription,
            async ct => await WebSocketFrameConnection.ConnectAsync(endpoint, context.Time, ct).ConfigureAwait(false),
            session,
            options.Reconnect with { SilenceWindow = options.SilenceWindow },
            _logger,
            context.Time);
        _supervisor.StatusChanged += s => StatusChanged?.Invoke(s);
    }

    public string Name => Context.Name;

    /// <summary>
    /// Pipelined: one connection's sends are acked in order, and receivers drop a (from, cliMid)
    /// they have (the server itself never de-duplicates). A pipelined send refused for its ticket
    /// renews the ticket and returns the refusal; the delivery consumer sends it again in turn.
    /// </summary>
    public ConnectorCapabilities Capabilities { get; } = new(ConnectorCapabilities.Kinds(EndpointKind.User, EndpointKind.Group), PipelinedSends: true);

    public ConnectorStatus Status => _supervisor.Status;

    public event Action<ConnectorStatus>? StatusChanged;

    /// <summary>How many sessions ended and were started again.</summary>
    public int Reconnects => _supervisor.Reconnects;

    internal ConnectorContext Context { get; }

    internal GlideOptions Options => _options;

    /// <summary>Decoded values that repeat across pushes (uids, channel ids).</summary>
    internal Utf8StringCache Strings { get; } = new(256);

    internal ILogger Logger => _logger;

    internal GlideCredentialSource Credentials { get; }

    internal GlideTicketSource Tickets { get; }

    internal GlideOwnMessages OwnMessages { get; } = new();

    internal IInboundSink? Sink { get; private set; }

    internal CancellationToken Stopping { get; private set; }

    internal long NextSeq() => Interlocked.Increment(ref _seq);

    public async Task RunAsync(IInboundSink sink, CancellationToken stoppingToken)
    {
        Sink = sink;
        Stopping = stoppingToken;
        await _supervisor.RunAsync(stoppingToken).ConfigureAwait(false);
    }

    public Task<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken) => PostAsync(message, null, cancellationToken);

    public Task<SendResult> SendAsync(OutboundMessage message, SendWritten written, CancellationToken cancellationToken) => PostAsync(message, written, cancellationToken);

    private async Task<SendResult> PostAsync(OutboundMessage message, SendWritten? written, CancellationToken cancellationToken)
    {
        var target = message.Target;
        var action = target.Kind switch
        {
            EndpointKind.User => GlideActions.Chat,
            EndpointKind.Group => GlideActions.Group,
            _ => null,
        };
        if (action is null)
        {
            return SendResult.Unsupported($"Glide has no {EndpointRef.KindName(target.Kind)} endpoints (use user/<uid> or group/<channel>)");
        }

        using var activity = ConnectorDiagnostics.StartSend(Name, action, target.NativeId, message.IdempotencyKey);
        var result = await SendCoreAsync(action, message, written, cancellationToken).ConfigureAwait(false);
        activity?.SetTag("bridge.result", result.ToString());
        activity?.SetTag("bridge.native_message_id", result.NativeMessageId);
        if (!result.Succeeded && result.Failure != SendFailureKind.NotConnected)
        {
            // Not connected is no error: the delivery consumer holds the message (logged once) and polls.
            ConnectorDiagnostics.Errors.Add(1, ConnectorDiagnostics.Tag(Name));
            GlideLog.SendFailed(_logger, Name, target.ToString(), result.ToString());
        }

        return result;
    }

    private async Task<SendResult> SendCoreAsync(string action, OutboundMessage message, SendWritten? written, CancellationToken cancellationToken)
    {
        var to = message.Target.NativeId;
        var cliMid = message.IdempotencyKey;
        var content = OutboundText.PlainOf(message.Body); // UTF-8 goes into the frame as it is
        var data = new GlideChatMessage(cliMid, 0, Interlocked.Increment(ref _dataSeq), _options.Uid, to, 1, content.IsUtf8 ? null : content.ToString(), Context.Time.GetUtcNow().ToUnixTimeMilliseconds());
        OwnMessages.Add(cliMid);
        for (var attempt = 0; ; attempt++)
        {
            if (_supervisor.Current is not { } connection)
            {
                return SendResult.NotConnected("the Glide session is not connected");
            }

            string ticket;
            try
            {
                ticket = await Tickets.GetAsync(to, cancellationToken).ConfigureAwait(false);
            }
            catch (GlideApiException ex)
            {
                return SendResult.Rejected($"no ticket for {to}: {ex.Message}", "ticket");
            }
            catch (HttpRequestException ex)
            {
                return SendResult.NotConnected($"the business API is unreachable for a ticket: {ex.Message}");
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return SendResult.TimedOut("the business API did not answer the ticket request in time");
            }

            var outcome = await SendOnceAsync(connection, action, to, ticket, data, content, message.EventId, written, cancellationToken).ConfigureAwait(false);
            if (outcome.Result is { } final)
            {
                return final;
            }

            var reply = outcome.Reply;
            if (reply.Action == GlideActions.AckMessage)
            {
                var native = $"{_options.Uid}:{cliMid}";
                System.Diagnostics.Activity.Current?.SetTag("glide.mid", reply.Mid);
                return SendResult.Sent(native);
            }

            if (reply.Action == GlideActions.NotifyForbidden && attempt == 0)
            {
                GlideLog.TicketRefused(_logger, Name, to, reply.Text);
                Tickets.Invalidate(to);
                if (written is null)
                {
                    continue;
                }
            }

            return SendResult.Rejected(reply.Text ?? reply.Action, reply.Action);
        }
    }

    private async Task<(SendResult? Result, GlideSendOutcome Reply)> SendOnceAsync(
        IFrameConnection connection, string action, string to, string ticket, GlideChatMessage data, OutboundText content, Guid eventId, SendWritten? written, CancellationToken cancellationToken)
    {
        var cliMid = data.CliMid!;
        var seq = NextSeq();
        using var frame = new PooledBufferWriter(512);
        try
        {
            GlideEncoder.Send(frame, action, seq, to, ticket, data, content, OriginMarker.Key, OriginMarker.Format(eventId));
        }
        catch (ArgumentException ex)
        {
            return (SendResult.Rejected($"the text cannot be encoded: {ex.Message}", "encoding"), default);
        }

        if (frame.WrittenCount > _options.MaxFrameBytes)
        {
            return (SendResult.TooLarge($"the message encodes to {frame.WrittenCount} bytes; the limit is {_options.MaxFrameBytes}"), default);
        }

        var answer = _pending.Register(cliMid, out var isNew);
        if (isNew)
        {
            _sendsBySeq[seq] = cliMid;
            try
            {
                await connection.SendAsync(frame.WrittenMemory, FrameKind.Text, cancellationToken).ConfigureAwait(false);
                written?.Set();
                ConnectorDiagnostics.FramesSent.Add(1, ConnectorDiagnostics.Tag(Name));
            }
            catch (Exception ex) when (ex is IOException or System.Net.WebSockets.WebSocketException or ObjectDisposedException or InvalidOperationException)
            {
                _sendsBySeq.TryRemove(seq, out _);
                _pending.Forget(cliMid);
                return (SendResult.NotConnected($"the connection dropped while sending: {ex.Message}"), default);
            }
        }

        try
        {
            var reply = await _pending.WaitAsync(cliMid, answer, _options.SendTimeout, cancellationToken).ConfigureAwait(false);
            return (null, reply);
        }
        catch (TimeoutException)
        {
            return (SendResult.TimedOut($"no ack.message for {cliMid} within {_options.SendTimeout.TotalSeconds:0.###} s"), default);
        }
        catch (ConnectionLostException ex)
        {
            return (SendResult.NotConnected(ex.Message), default);
        }
        finally
        {
            _sendsBySeq.TryRemove(seq, out _);
        }
    }

    /// <summary>An <c>ack.message</c> arrived (cli_mid [HEAD] or cliMid [v1.6]).</summary>
    internal void OnAckMessage(in GlideAck ack)
    {
        if (ack.CliMid is { } cliMid)
        {
            _pending.TryComplete(cliMid, new GlideSendOutcome(GlideActions.AckMessage, ack.Mid, null));
        }
    }

    /// <summary>A <c>notify.error</c>/<c>notify.forbidden</c>; true when it answered a pending send.</summary>
    internal bool OnSendFailure(string action, long seq, string? text) =>
        seq > 0 && _sendsBySeq.TryGetValue(seq, out var cliMid)
        && _pending.TryComplete(cliMid, new GlideSendOutcome(action, 0, text));

    internal void OnSessionEnded(string reason) => _pending.FailAll(new ConnectionLostException($"the Glide session ended: {reason}"));

    public ValueTask DisposeAsync()
    {
        _http?.Dispose();
        return ValueTask.CompletedTask;
    }
}
