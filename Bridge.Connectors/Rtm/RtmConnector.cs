using System.Globalization;
using System.Text;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Transport;
using Bridge.Contracts.V1;
using Microsoft.Extensions.Logging;

namespace Bridge.Connectors.Rtm;

/// <summary>
/// The FPNN RTM gate connector: one gate session (auth as the bridge uid), pushes in, sends to
/// users (<c>sendmsg</c>), groups (<c>sendgroupmsg</c>) and rooms (<c>sendroommsg</c>) out with a mid
/// derived from the idempotency key, deletes through <c>delmsg</c>.
/// </summary>
public sealed class RtmConnector : IConnector
{
    private readonly RtmDialer _dialer;
    private readonly SessionSupervisor _supervisor;
    private IInboundSink? _sink;
    private RtmLink? _link;

    public RtmConnector(ConnectorContext context, RtmOptions options)
    {
        Context = context;
        Options = options;
        Logger = context.LoggerFactory.CreateLogger($"Bridge.Connectors.Rtm.{context.Name}");
        Cursors = new RtmCursorBook(context.Name, context.Cursors, context.Endpoints.Select(e => e.Path));
        _dialer = new RtmDialer(context.Name, options, context.Time, Logger);
        _supervisor = new SessionSupervisor(context.Name, _dialer.Description, _dialer.ConnectAsync, new RtmSession(this), options.Reconnect, Logger, context.Time);
        _supervisor.StatusChanged += status => StatusChanged?.Invoke(status);
    }

    public string Name => Context.Name;

    /// <summary>Pipelined: one gate connection answers in order, and a resent mid is answered 200053 (already delivered).</summary>
    public ConnectorCapabilities Capabilities { get; } = new(
        ConnectorCapabilities.Kinds(EndpointKind.User, EndpointKind.Group, EndpointKind.Room),
        Deletes: true,
        PipelinedSends: true);

    public ConnectorStatus Status => _supervisor.Status;

    public event Action<ConnectorStatus>? StatusChanged;

    /// <summary>How many times the session ended and was started again.</summary>
    public int Reconnects => _supervisor.Reconnects;

    internal ConnectorContext Context { get; }

    internal RtmOptions Options { get; }

    internal ILogger Logger { get; }

    internal TimeProvider Time => Context.Time;

    internal RtmCursorBook Cursors { get; }

    private long _firstSessionStartMs;

    /// <summary>
    /// When this connector's first session began (<paramref name="nowMs"/> for the first caller):
    /// where the catch-up of an endpoint without a cursor starts. Not each session's own start: a
    /// session that ended before its catch-up reached an endpoint (a push it could not make durable
    /// ends it) would otherwise leave that endpoint to start after the unacknowledged message.
    /// </summary>
    internal long FirstSessionStart(long nowMs)
    {
        Interlocked.CompareExchange(ref _firstSessionStartMs, nowMs, 0);
        return Interlocked.Read(ref _firstSessionStartMs);
    }

    internal IInboundSink Sink => _sink ?? throw new InvalidOperationException("RunAsync has not started");

    internal RtmLink? CurrentLink => Volatile.Read(ref _link);

    public async Task RunAsync(IInboundSink sink, CancellationToken stoppingToken)
    {
        _sink = sink;
        await _supervisor.RunAsync(stoppingToken).ConfigureAwait(false);
    }

    public Task<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken) => PostAsync(message, null, cancellationToken);

    /// <summary>
    /// A pipelined send (<paramref name="written"/> set) does not enter the room and send again on
    /// "not in room": that answer is its failure, and the delivery consumer sends it again in turn.
    /// </summary>
    public Task<SendResult> SendAsync(OutboundMessage message, SendWritten written, CancellationToken cancellationToken) => PostAsync(message, written, cancellationToken);

    private async Task<SendResult> PostAsync(OutboundMessage message, SendWritten? written, CancellationToken cancellationToken)
    {
        var type = message.Target.Kind switch
        {
            EndpointKind.User => RtmConversationType.P2P,
            EndpointKind.Group => RtmConversationType.Group,
            _ => RtmConversationType.Room,
        };
        if (!TryParseId(message.Target.NativeId, out var target))
        {
            return SendResult.Rejected($"'{message.Target.NativeId}' is not a numeric RTM {EndpointRef.KindName(message.Target.Kind)} id");
        }

        var text = OutboundText.PlainOf(message.Body);
        if (text.ByteCount > Options.MaxMessageBytes)
        {
            return SendResult.TooLarge($"message of {text.ByteCount} bytes exceeds maxMessageBytes {Options.MaxMessageBytes}");
        }

        var mid = EventIds.ToPositiveInt64(message.IdempotencyKey);
        var attrs = RtmNormalizer.OriginAttrs(message.EventId);
        using var activity = ConnectorDiagnostics.StartSend(Name, RtmMethods.Send(type), message.Target.Path, message.IdempotencyKey);
        activity?.SetTag("rtm.mid", mid);
        var result = await CallAsync(message.Target.Path, link => link.CallAsync(seq => RtmQuests.Send(seq, type, target, mid, Options.TextMtype, text, attrs), cancellationToken, written), type == RtmConversationType.Room && written is null ? target : null, cancellationToken).ConfigureAwait(false);
        if (result.Answer is { } answer)
        {
            if (!answer.IsError || answer.ErrorCode == RtmErrorCodes.DuplicatedMid)
            {
                if (answer.IsError)
                {
                    RtmLog.AlreadyDelivered(Logger, Name, mid);
                }

                var sent = SendResult.Sent(new RtmNativeId(type, target, Options.Uid, mid).ToString());
                activity?.SetTag("bridge.native_message_id", sent.NativeMessageId);
                return sent;
            }

            result = (null, SendResult.Rejected(answer.ErrorText, answer.ErrorCode.ToString(CultureInfo.InvariantCulture)));
        }

        var failure = result.Failure!;
        activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, failure.Reason);
        if (failure.Failure != SendFailureKind.NotConnected)
        {
            // Not connected is no error: the delivery consumer holds the message (logged once) and polls.
            ConnectorDiagnostics.Errors.Add(1, ConnectorDiagnostics.Tag(Name));
            RtmLog.SendFailed(Logger, Name, message.Target.Path, failure.ToString());
        }

        return failure;
    }

    public async Task<SendResult> DeleteAsync(OutboundDelete request, CancellationToken cancellationToken)
    {
        if (!RtmNativeId.TryParse(request.NativeMessageId, out var id))
        {
            return SendResult.Rejected($"'{request.NativeMessageId}' is not an RTM message id (type:xid:from:mid)");
        }

        var result = await CallAsync(request.Target.Path, link => link.CallAsync(seq => RtmQuests.DelMsg(seq, id.From, id.Mid, id.Xid, id.Type), cancellationToken), null, cancellationToken).ConfigureAwait(false);
        return result.Answer switch
        {
            null => result.Failure!,
            { IsError: false } => SendResult.Sent(id.ToString()),
            var error => SendResult.Rejected(error.ErrorText, error.ErrorCode.ToString(CultureInfo.InvariantCulture)),
        };
    }

    /// <summary>Runs a quest on the live link; a room send refused with 200040 enters the room and tries once more.</summary>
    private async Task<(RtmAnswer? Answer, SendResult? Failure)> CallAsync(string target, Func<RtmLink, Task<RtmAnswer>> call, long? room, CancellationToken cancellationToken)
    {
        var link = CurrentLink;
        if (link is null)
        {
            return (null, SendResult.NotConnected($"{Name} is not logged in to the RTM gate ({Status.State})"));
        }

        try
        {
            var answer = await call(link).ConfigureAwait(false);
            if (answer.IsError && answer.ErrorCode == RtmErrorCodes.NotInRoom && room is { } rid
                && await EnterRoomAsync(link, rid, cancellationToken).ConfigureAwait(false))
            {
                answer = await call(link).ConfigureAwait(false);
            }

            return (answer, null);
        }
        catch (TimeoutException ex)
        {
            return (null, SendResult.TimedOut($"no answer from the gate for {target}: {ex.Message}"));
        }
        catch (Exception ex) when (ex is IOException or System.Net.WebSockets.WebSocketException or ObjectDisposedException)
        {
            return (null, SendResult.NotConnected($"connection lost: {ex.Message}"));
        }
    }

    internal async Task<bool> EnterRoomAsync(RtmLink link, long rid, CancellationToken cancellationToken)
    {
        try
        {
            var answer = await link.CallAsync(seq => RtmQuests.EnterRoom(seq, rid), cancellationToken).ConfigureAwait(false);
            if (answer.IsError)
            {
                RtmLog.EnterRoomFailed(Logger, Name, rid, answer.ToString());
                return false;
            }

            link.EnteredRooms[rid] = 0;
            return true;
        }
        catch (TimeoutException ex)
        {
            RtmLog.EnterRoomFailed(Logger, Name, rid, ex.Message);
            return false;
        }
    }

    /// <summary><c>kickoutroom</c>: forget the room on this connection and report the bridge account as having left it.</summary>
    internal async Task OnKickedOutOfRoomAsync(RtmLink link, long rid, CancellationToken cancellationToken)
    {
        link.EnteredRooms.TryRemove(rid, out _);
        RtmLog.KickedOutOfRoom(Logger, Name, rid);
        var room = new EndpointRef(Name, EndpointKind.Room, rid.ToString(CultureInfo.InvariantCulture));
        var now = Time.GetUtcNow();
        var change = new MembershipChanged(
            EventIds.ForIngest(Name, $"kickoutroom/{rid}/{now.ToUnixTimeMilliseconds()}"),
            room,
            new Participant(Name, Options.Uid.ToString(CultureInfo.InvariantCulture)),
            MembershipChange.Left,
            null,
            now);
        try
        {
            await Sink.MembershipAsync(change, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            RtmLog.SinkFailed(Logger, Name, RtmMethods.KickoutRoom, ex.Message);
        }
    }

    internal void SetLink(RtmLink link) => Volatile.Write(ref _link, link);

    internal void ClearLink(RtmLink link) => Interlocked.CompareExchange(ref _link, null, link);

    private static bool TryParseId(string text, out long id) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out id) && id > 0;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
