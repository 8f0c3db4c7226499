using System.Buffers;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Transport;
using Microsoft.Extensions.Logging;

namespace Bridge.Connectors.ErlangGateway;

/// <summary>
/// Outbound sends: PUBLISH to a uid, GROUP_PUBLISH to a group, GROUP_PART_PUBLISH to chosen members
/// (<see cref="ErlangTarget"/>). The MsgId is the idempotency key, so a retried send is the same
/// message; each send waits for the ack with the same MsgId. A retry of a MsgId still in flight
/// joins the first wait instead of writing a second copy.
/// </summary>
internal sealed class ErlangSender(
    string name,
    ErlangGatewayOptions options,
    Func<IFrameConnection?> currentSession,
    PendingRequests<string, ErlangCommand> sessionPending,
    ErlangTcpPublisher? tcp,
    RecentSet<ErlangMsgId> sentByBridge,
    ILogger logger)
{
    private readonly KeyValuePair<string, object?> _tag = ConnectorDiagnostics.Tag(name);

    /// <summary>Sends and waits for the ack; <paramref name="written"/> is set once this call wrote the frame.</summary>
    public async Task<SendResult> SendAsync(OutboundMessage message, SendWritten? written, CancellationToken cancellationToken)
    {
        var target = ErlangTarget.TryParse(message.Target, out var targetError);
        if (target is null)
        {
            return message.Target.Kind == Contracts.V1.EndpointKind.Room
                ? SendResult.Unsupported(targetError!)
                : SendResult.Rejected(targetError!, "bad-target");
        }

        var to = target.Command == ErlangCommand.Publish ? message.Target.NativeId : null;
        var payload = ErlangPayload.Encode(options.Payload, options.Self, to, message.Body, message.EventId);
        if (payload.Length > options.MaxPayloadBytes)
        {
            return SendResult.TooLarge($"payload of {payload.Length} bytes exceeds the gateway's limit of {options.MaxPayloadBytes} bytes");
        }

        var msgId = ErlangMsgIds.FromIdempotencyKey(message.IdempotencyKey);
        using var activity = ConnectorDiagnostics.StartSend(name, ErlangCodec.Name(target.Command), message.Target.ToString(), message.IdempotencyKey);
        activity?.SetTag("bridge.native_message_id", msgId);
        sentByBridge.Add(ErlangMsgId.FromKey(msgId));

        var viaTcp = tcp is not null && target.Command == ErlangCommand.Publish;
        var result = viaTcp
            ? await SendAndAwaitAckAsync(target, msgId, payload, tcp!.Pending, tcp.GetConnectionAsync, tcp.Reset, written, cancellationToken).ConfigureAwait(false)
            : await SendAndAwaitAckAsync(target, msgId, payload, sessionPending, CurrentSessionAsync, static () => { }, written, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded && result.Failure != SendFailureKind.NotConnected) // held and logged once by the delivery consumer
        {
            ConnectorDiagnostics.Errors.Add(1, _tag);
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, result.ToString());
            ErlangGatewayLog.SendFailed(logger, name, msgId, message.Target.ToString(), result.ToString());
        }

        return result;
    }

    private ValueTask<IFrameConnection> CurrentSessionAsync(CancellationToken cancellationToken) =>
        currentSession() is { } connection
            ? ValueTask.FromResult(connection)
            : ValueTask.FromException<IFrameConnection>(new ConnectionLostException("no live session with the gateway"));

    private async Task<SendResult> SendAndAwaitAckAsync(
        ErlangTarget target,
        string msgId,
        byte[] payload,
        PendingRequests<string, ErlangCommand> pending,
        Func<CancellationToken, ValueTask<IFrameConnection>> connect,
        Action onWriteFailed,
        SendWritten? written,
        CancellationToken cancellationToken)
    {
        var answer = pending.Register(msgId, out var isNew);
        if (isNew)
        {
            var length = ErlangCodec.MessageLength(target.Command, PacketSource.Client, target.Uids.Length, payload.Length);
            var frame = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                ErlangCodec.WriteMessage(frame, target.Command, PacketSource.Client, target.Id, System.Text.Encoding.ASCII.GetBytes(msgId), target.Uids, payload);
                var connection = await connect(cancellationToken).ConfigureAwait(false);
                await connection.SendAsync(frame.AsMemory(0, length), FrameKind.Binary, cancellationToken).ConfigureAwait(false);
                written?.Set();
                ConnectorDiagnostics.FramesSent.Add(1, _tag);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                pending.Forget(msgId);
                onWriteFailed();
                return SendResult.NotConnected($"could not write {ErlangCodec.Name(target.Command)}: {ex.Message}");
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(frame);
            }
        }

        try
        {
            // Any ack command naming our MsgId means the gateway has the message.
            await pending.WaitAsync(msgId, answer, options.AckTimeout, cancellationToken).ConfigureAwait(false);
            return SendResult.Sent(msgId);
        }
        catch (TimeoutException ex)
        {
            return SendResult.TimedOut($"no {ErlangCodec.Name(ErlangCodec.AckFor(target.Command))} for {msgId}: {ex.Message}");
        }
        catch (ConnectionLostException ex)
        {
            return SendResult.NotConnected($"{ex.Message}; the message may or may not have reached the gateway");
        }
    }
}
