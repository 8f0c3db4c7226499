using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Transport;
using Bridge.Contracts.V1;

namespace Bridge.Connectors.Glide;

/// <summary>A decoded push: the event for the sink (null: own message, acknowledge only) and what its ack needs.</summary>
internal sealed record GlidePush(MessagePosted? Event, bool IsChat, string Sender, bool HasCliMid, long Mid, long Seq, string NativeId)
{
    /// <summary>The cliMid, read back from the native id (<c>sender:cliMid</c>); empty when the push had none.</summary>
    public ReadOnlySpan<char> CliMid => HasCliMid ? NativeId.AsSpan(Sender.Length + 1) : default;
}

/// <summary>
/// Turns chat and group pushes into <see cref="MessagePosted"/> and hands them to the sink in
/// arrival order with a bounded number in flight. A chat push is acknowledged (<c>ack.request</c>)
/// only when its own sink call completed. A sink failure is not acknowledged and ends the session.
/// Identity is (sender, cliMid): the server's mid is not unique. The bridge's own messages (its
/// uid as sender, e.g. the channel's echo of its group sends) never reach the sink.
/// </summary>
internal sealed class GlideInbound(GlideConnector connector, IFrameConnection connection, CancellationTokenSource sessionCts)
{
    private const int PresenceOnline = 100;
    private const int PresenceOffline = 101;

    private readonly SemaphoreSlim _slots = new(connector.Options.MaxInFlight, connector.Options.MaxInFlight);
    private string? _fault;

    /// <summary>Why the session must end (a sink call failed), or null.</summary>
    public string? Fault => Volatile.Read(ref _fault);

    public GlidePush? Prepare(in GlideEnvelope envelope, ReadOnlySpan<byte> frame)
    {
        if (envelope.DataKind != GlideDataKind.Object)
        {
            return null;
        }

        GlideChatMessage chat;
        string? origin;
        Range cliMidAt;
        var data = envelope.Data(frame);
        try
        {
            chat = GlideDecoder.ReadChat(data, connector.Strings, out cliMidAt);
            origin = envelope.HasExtra ? GlideDecoder.ReadExtraValue(envelope.Extra(frame), "bridgeOrigin"u8) : null;
        }
        catch (GlideDecodeException ex)
        {
            GlideLog.UndecodableFrame(connector.Logger, connector.Name, ex.Message);
            return null;
        }

        var isChat = envelope.Action == GlideActions.Chat;
        var sender = isChat ? chat.From : envelope.From;
        var conversationId = isChat ? sender : envelope.To ?? chat.To;
        if (string.IsNullOrEmpty(sender) || string.IsNullOrEmpty(conversationId) || sender == "system" || chat.Type is PresenceOnline or PresenceOffline)
        {
            return null;
        }

        var cliMidBytes = data[cliMidAt];
        var (nativeId, hasCliMid) = chat.CliMid is { Length: > 0 } cliMid ? ($"{sender}:{cliMid}", true)
            : !cliMidBytes.IsEmpty ? (NativeId(sender, cliMidBytes), true)
            : ($"{sender}:mid-{chat.Mid}-{chat.Seq}", false);
        if (sender == connector.Options.Uid)
        {
            if (connector.Logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Debug))
            {
                GlideLog.OwnEcho(connector.Logger, connector.Name, hasCliMid ? nativeId[(sender.Length + 1)..] : null, conversationId);
            }

            return isChat ? new GlidePush(null, true, sender, hasCliMid, chat.Mid, chat.Seq, nativeId) : null;
        }

        var name = connector.Name;
        var eventId = OriginMarker.TryParse(origin, out var marked)
            ? marked
            : EventIds.ForIngest(name, isChat ? "chat:" + nativeId : $"group:{conversationId}:{nativeId}");
        var conversation = new EndpointRef(name, isChat ? EndpointKind.User : EndpointKind.Group, conversationId);
        var now = connector.Context.Time.GetUtcNow();
        var posted = new MessagePosted(
            eventId,
            conversation,
            new Participant(name, sender),
            MessageBody.FromText(chat.Content ?? string.Empty),
            nativeId,
            SentAt(chat.SendAt, now),
            now);
        return new GlidePush(posted, isChat, sender, hasCliMid, chat.Mid, chat.Seq, nativeId);
    }

    /// <summary><c>sender:cliMid</c> in one string, straight from the cliMid's bytes (valid UTF-8, checked by the decoder).</summary>
    private static string NativeId(string sender, ReadOnlySpan<byte> cliMid)
    {
        if (cliMid.Length > 128)
        {
            return $"{sender}:{System.Text.Encoding.UTF8.GetString(cliMid)}";
        }

        Span<char> chars = stackalloc char[128];
        var length = System.Text.Encoding.UTF8.GetChars(cliMid, chars);
        return string.Concat(sender.AsSpan(), ":", chars[..length]);
    }

    public async ValueTask DispatchAsync(GlidePush push, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        _ = ProcessAsync(push);
    }

    private async Task ProcessAsync(GlidePush push)
    {
        try
        {
            if (push.Event is { } posted)
            {
                using var activity = ConnectorDiagnostics.StartReceive(connector.Name, push.IsChat ? GlideActions.Chat : GlideActions.Group, posted.Conversation.ToString(), push.NativeId);
                await connector.Sink!.PostedAsync(posted, connector.Stopping).ConfigureAwait(false);
            }

            if (push.IsChat)
            {
                await AcknowledgeAsync(push).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (connector.Stopping.IsCancellationRequested)
        {
            // Shutting down: not durable, not acknowledged.
        }
        catch (Exception ex)
        {
            ConnectorDiagnostics.Errors.Add(1, ConnectorDiagnostics.Tag(connector.Name));
            GlideLog.SinkFailed(connector.Logger, connector.Name, push.NativeId, ex.Message);
            Interlocked.CompareExchange(ref _fault, $"the sink failed (not durable, not acknowledged): {ex.Message}", null);
            try
            {
                await sessionCts.CancelAsync().ConfigureAwait(false);
                connection.Abort();
            }
            catch (ObjectDisposedException)
            {
                // The session already ended.
            }
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task AcknowledgeAsync(GlidePush push)
    {
        using var frame = new PooledBufferWriter(256);
        GlideEncoder.AckRequest(frame, push.Sender, push.CliMid, push.Mid, push.Seq);
        try
        {
            await connection.SendAsync(frame.WrittenMemory, FrameKind.Text, connector.Stopping).ConfigureAwait(false);
            ConnectorDiagnostics.FramesSent.Add(1, ConnectorDiagnostics.Tag(connector.Name));
        }
        catch (Exception ex) when (ex is IOException or System.Net.WebSockets.WebSocketException or ObjectDisposedException or InvalidOperationException)
        {
            GlideLog.AckFailed(connector.Logger, connector.Name, push.NativeId, ex.Message);
        }
    }

    private static DateTimeOffset SentAt(long sendAt, DateTimeOffset now) => sendAt switch
    {
        > 100_000_000_000 and < 10_000_000_000_000 => DateTimeOffset.FromUnixTimeMilliseconds(sendAt),
        > 0 and < 100_000_000_000 => DateTimeOffset.FromUnixTimeSeconds(sendAt),
        _ => now,
    };
}
