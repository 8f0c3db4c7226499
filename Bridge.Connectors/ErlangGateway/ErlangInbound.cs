using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Transport;
using Bridge.Contracts.V1;
using Microsoft.Extensions.Logging;

namespace Bridge.Connectors.ErlangGateway;

/// <summary>
/// Turns pushes (PUBLISH 3, GROUP_PUBLISH 5, GROUP_PART_PUBLISH 11) into <see cref="MessagePosted"/>
/// events. The sink is called in arrival order without waiting for the previous call; each push is
/// acknowledged (4, 6 or 12 with its MsgId) only when its own sink call completed. A push whose
/// sink call failed is not acknowledged: the server resends it (every 2 s, 3 times, then it
/// disconnects and re-pushes after the reconnect). Resends are dropped by MsgId: while the first copy
/// is in flight nothing happens, after it was acknowledged the resend is acknowledged again.
/// </summary>
internal sealed class ErlangInbound
{
    private readonly string _name;
    private readonly ErlangGatewayOptions _options;
    private readonly RecentSet<ErlangMsgId> _sentByBridge;
    private readonly RecentSet<ErlangMsgId> _acknowledged;
    private readonly ConcurrentDictionary<ErlangMsgId, byte> _inFlight = new();
    private readonly SemaphoreSlim _slots;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly KeyValuePair<string, object?> _tag;
    private readonly Utf8StringCache _strings = new(256);
    private IInboundSink? _sink;
    private CancellationToken _stopping;

    public ErlangInbound(string name, ErlangGatewayOptions options, RecentSet<ErlangMsgId> sentByBridge, ILogger logger, TimeProvider time)
    {
        _name = name;
        _options = options;
        _sentByBridge = sentByBridge;
        _acknowledged = new RecentSet<ErlangMsgId>(options.RecentIdCapacity);
        _slots = new SemaphoreSlim(options.MaxInFlight, options.MaxInFlight);
        _logger = logger;
        _time = time;
        _tag = ConnectorDiagnostics.Tag(name);
    }

    public int InFlight => _inFlight.Count;

    public void Attach(IInboundSink sink, CancellationToken stopping)
    {
        _sink = sink;
        _stopping = stopping;
    }

    /// <summary>
    /// Handles one push. Reads everything it needs from the packet before its first await. The
    /// MsgId stays a value (dedupe, acks); its string is made once, as the event's native id.
    /// </summary>
    public async ValueTask OnPushAsync(ErlangPacket packet, IFrameConnection connection, CancellationToken cancellationToken)
    {
        var msgId = packet.Id;
        var ack = ErlangCodec.AckFor(packet.Command);
        if (_sentByBridge.Contains(msgId) || _acknowledged.Contains(msgId))
        {
            // Our own send coming back with the MsgId we chose, or a resend of a push already durable.
            ErlangGatewayLog.ResendDropped(_logger, _name, msgId);
            await AckAsync(connection, ack, msgId).ConfigureAwait(false);
            return;
        }

        if (!_inFlight.TryAdd(msgId, 0))
        {
            ErlangGatewayLog.ResendDropped(_logger, _name, msgId);
            return;
        }

        var content = ErlangPayload.Decode(packet.Payload.Span, _options.Payload, _strings);
        if (content.From is { } from && string.Equals(from, _options.Self, StringComparison.Ordinal))
        {
            ErlangGatewayLog.OwnMessage(_logger, _name, msgId);
            _acknowledged.Add(msgId);
            _inFlight.TryRemove(msgId, out _);
            await AckAsync(connection, ack, msgId).ConfigureAwait(false);
            return;
        }

        var message = ToEvent(packet, msgId, content);
        try
        {
            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _inFlight.TryRemove(msgId, out _);
            throw;
        }

        var activity = ConnectorDiagnostics.StartReceive(_name, ErlangCodec.Name(packet.Command), message.Conversation.Path, message.NativeMessageId);
        Task<IngestOutcome> ingest;
        try
        {
            ingest = _sink!.PostedAsync(message, _stopping);
        }
        catch (Exception ex)
        {
            ingest = Task.FromException<IngestOutcome>(ex);
        }

        _ = AckWhenDurableAsync(ingest, msgId, ack, connection, activity);
    }

    private async Task AckWhenDurableAsync(Task<IngestOutcome> ingest, ErlangMsgId msgId, ErlangCommand ack, IFrameConnection connection, Activity? activity)
    {
        try
        {
            IngestOutcome outcome;
            try
            {
                outcome = await ingest.ConfigureAwait(false);
            }
            finally
            {
                // The slot bounds sink calls, not acks: a slow ack write must not stall the read loop.
                _slots.Release();
            }

            activity?.SetTag("bridge.ingest", outcome.ToString());
            _acknowledged.Add(msgId);
            _inFlight.TryRemove(msgId, out _);
            await AckAsync(connection, ack, msgId).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _inFlight.TryRemove(msgId, out _);
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            ConnectorDiagnostics.Errors.Add(1, _tag);
            ErlangGatewayLog.PushNotDurable(_logger, _name, msgId, ex.Message);
        }
        finally
        {
            activity?.Dispose();
        }
    }

    private async ValueTask AckAsync(IFrameConnection connection, ErlangCommand ack, ErlangMsgId msgId)
    {
        var frame = ArrayPool<byte>.Shared.Rent(1 + ErlangCodec.MsgIdLength);
        try
        {
            frame[0] = (byte)ack;
            msgId.CopyTo(frame.AsSpan(1, ErlangCodec.MsgIdLength));
            await connection.SendAsync(frame.AsMemory(0, 1 + ErlangCodec.MsgIdLength), FrameKind.Binary, _stopping).ConfigureAwait(false);
            ConnectorDiagnostics.FramesSent.Add(1, _tag);
        }
        catch (Exception ex)
        {
            // The connection is gone; the server re-pushes after the reconnect and the resend is acknowledged then.
            ErlangGatewayLog.AckFailed(_logger, _name, msgId, ex.Message);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    private MessagePosted ToEvent(ErlangPacket packet, ErlangMsgId msgId, InboundContent content)
    {
        var senderId = content.From ?? _options.UnknownSenderId;
        var sender = new Participant(_name, senderId, content.From is null ? _options.UnknownSenderName : content.From);
        var conversation = packet.Command == ErlangCommand.Publish
            ? new EndpointRef(_name, EndpointKind.User, senderId)
            : new EndpointRef(_name, EndpointKind.Group, packet.TargetId.ToString(CultureInfo.InvariantCulture));
        IReadOnlyDictionary<string, string>? attributes = packet.Command == ErlangCommand.GroupPartPublish
            ? new Dictionary<string, string>(1) { ["toUids"] = string.Join(',', packet.Uids()) }
            : null;
        var now = _time.GetUtcNow();
        var nativeId = msgId.ToString();
        var eventId = content.Origin ?? EventIds.ForIngest(_name, nativeId);
        return new MessagePosted(eventId, conversation, sender, content.Body.ToMessageBody(), nativeId, now, now, Attributes: attributes);
    }
}
