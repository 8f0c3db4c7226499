using Bridge.Connectors.Glide;

namespace Bridge.Simulators.Glide;

/// <summary>message.chat (4.2), message.group (5), ack.request (4.3) and the ticket check (4.6).</summary>
public sealed partial class GlideSimulator
{
    private const long HandlerErrorSeq = -1;

    private void Chat(GlideSimClient client, string from, GlideEnvelope envelope, byte[] frame)
    {
        if (!TicketAccepted(client, envelope))
        {
            return;
        }

        if (envelope.DataKind is GlideDataKind.Absent or GlideDataKind.Null)
        {
            client.Deliver(Notify(HandlerErrorSeq, GlideActions.NotifyError, "data is nil"));
            return;
        }

        GlideChatMessage chat;
        try
        {
            chat = GlideDecoder.ReadChat(envelope.Data(frame));
        }
        catch (GlideDecodeException)
        {
            return; // the real server drops undecodable chat data silently
        }

        var to = envelope.To ?? string.Empty;
        var mid = chat.Mid != 0 ? chat.Mid : _options.UniqueMids ? Interlocked.Increment(ref _mid) : _time.GetUtcNow().ToUnixTimeSeconds();
        chat = chat with { From = from, To = to, Mid = mid };
        Interlocked.Increment(ref _chats);
        client.Deliver(Frame(b => GlideEncoder.AckMessage(b, !_options.V16Acks, chat.CliMid, mid, to, chat.Seq)));
        if (_clients.TryGetValue(to, out var recipient))
        {
            recipient.Deliver(Frame(b => GlideEncoder.Push(b, GlideActions.Chat, 0, null, null, chat, null, default)));
        }
        else if (_options.V16Acks)
        {
            client.Deliver(Frame(b => GlideEncoder.AckNotify(b, false, new GlideAck(null, mid, 0, null, null))));
        }
    }

    private void Group(GlideSimClient client, string from, GlideEnvelope envelope, byte[] frame)
    {
        if (!TicketAccepted(client, envelope))
        {
            return;
        }

        if (envelope.DataKind is GlideDataKind.Absent or GlideDataKind.Null)
        {
            client.Deliver(Notify(HandlerErrorSeq, GlideActions.NotifyError, "data is nil"));
            return;
        }

        GlideChatMessage chat;
        try
        {
            chat = GlideDecoder.ReadChat(envelope.Data(frame));
        }
        catch (GlideDecodeException ex)
        {
            client.Deliver(Notify(HandlerErrorSeq, GlideActions.NotifyError, ex.Message));
            return;
        }

        var channelId = envelope.To ?? string.Empty;
        if (!_channels.TryGetValue(channelId, out var channel))
        {
            client.Deliver(Notify(envelope.Seq, GlideActions.NotifyError, "channel does not exist"));
            return;
        }

        string[] readers;
        long seq;
        lock (channel)
        {
            var error = channel.Closed ? "channel closed"
                : !channel.Members.TryGetValue(from, out var perm) ? "not member of channel"
                : (perm & GlidePerm.Write) == 0 ? "permission denied: write"
                : channel.Muted ? "channel is muted"
                : channel.Blocked ? "channel is blocked"
                : channel.QueueFull ? "too many messages,the group message queue is full"
                : null;
            if (error is not null)
            {
                client.Deliver(Notify(envelope.Seq, GlideActions.NotifyError, error));
                return;
            }

            seq = ++channel.Seq;
            readers = [.. channel.Members.Where(m => (m.Value & GlidePerm.Read) != 0).Select(m => m.Key)];
        }

        Interlocked.Increment(ref _groups);
        var clientSeq = chat.Seq;
        client.Deliver(Frame(b => GlideEncoder.AckMessage(b, !_options.V16Acks, chat.CliMid, chat.Mid, channelId, clientSeq)));
        var pushed = chat with { Seq = seq };
        GroupMessageAccepted?.Invoke(new GlideGroupMessage(from, channelId, pushed));
        var push = Frame(b => GlideEncoder.Push(b, GlideActions.Group, envelope.Seq, from, channelId, pushed, envelope.Ticket, envelope.HasExtra ? envelope.Extra(frame) : default));
        foreach (var reader in readers)
        {
            if (_clients.TryGetValue(reader, out var member))
            {
                member.Deliver(push);
            }
        }
    }

    private void AckRequest(GlideEnvelope envelope, byte[] frame)
    {
        if (envelope.DataKind != GlideDataKind.Object)
        {
            return;
        }

        GlideAck ack;
        try
        {
            ack = GlideDecoder.ReadAck(envelope.Data(frame));
        }
        catch (GlideDecodeException)
        {
            return;
        }

        Interlocked.Increment(ref _ackRequests);
        var target = _options.V16Acks ? ack.From : ack.To;
        if (target is not null && _clients.TryGetValue(target, out var sender))
        {
            sender.Deliver(Frame(b => GlideEncoder.AckNotify(b, !_options.V16Acks, ack)));
        }
    }

    /// <summary>MessageInterceptor: authenticated senders need a valid ticket; temp connections and simulated users pass.</summary>
    private static bool TicketAccepted(GlideSimClient client, GlideEnvelope envelope)
    {
        if (client.IsVirtual || !client.IsAuthenticated)
        {
            return true;
        }

        var secret = client.DeliverSecret;
        var error = client.Credentials is null ? "no credentials"
            : string.IsNullOrEmpty(secret) ? "no message deliver secret"
            : envelope.Ticket?.Length != GlideTickets.Length ? "invalid ticket"
            : !string.Equals(envelope.Ticket, GlideTickets.Compute(secret, client.Id, envelope.To ?? string.Empty), StringComparison.OrdinalIgnoreCase) ? "ticket expired"
            : null;
        if (error is null)
        {
            return true;
        }

        client.Deliver(Notify(envelope.Seq, GlideActions.NotifyForbidden, error));
        return false;
    }
}
