using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Configuration;
using Bridge.Contracts.V1;

namespace Bridge.Tests.Infrastructure.Loopback;

/// <summary><paramref name="Pipelined"/>: sends are answered after the backend's <c>AnswerDelay</c>, and may be pipelined.</summary>
public sealed record LoopbackOptions(string Backend, int MaxInFlight, bool Pipelined = false);

/// <summary>The connector type <c>loopback</c>: a real connector over an in-memory <see cref="LoopbackBackend"/>.</summary>
public sealed class LoopbackConnectorFactory : ConnectorFactory<LoopbackOptions>
{
    public override string Type => "loopback";

    protected override LoopbackOptions? Bind(SettingsReader settings) =>
        new(settings.RequiredString("backend"), settings.Int32("maxInFlight", 64, 1, 10000), settings.Bool("pipelined", false));

    protected override IConnector Create(ConnectorContext context, LoopbackOptions options) => new LoopbackConnector(context, options);
}

public sealed class LoopbackConnector(ConnectorContext context, LoopbackOptions options) : IConnector
{
    private readonly LoopbackBackend _backend = LoopbackBackend.Get(options.Backend);
    private ConnectorStatus _status = ConnectorStatus.Initial(context.Time);

    public string Name => context.Name;

    public ConnectorCapabilities Capabilities { get; } = new(ConnectorCapabilities.Kinds(EndpointKind.Room, EndpointKind.Group, EndpointKind.User), Deletes: true, Replies: true, PipelinedSends: options.Pipelined);

    /// <summary>Connected while the backend is up; a down backend reads as a transient disconnect.</summary>
    public ConnectorStatus Status => _backend.Down && _status.State == SessionState.Connected
        ? new ConnectorStatus(SessionState.TransientDisconnect, "backend is down", _status.Since)
        : _status;

    public event Action<ConnectorStatus>? StatusChanged;

    public async Task RunAsync(IInboundSink sink, CancellationToken stoppingToken)
    {
        SetStatus(SessionState.Connected);
        _backend.RedeliverUnacked();
        using var inFlight = new SemaphoreSlim(options.MaxInFlight);
        try
        {
            await foreach (var push in _backend.Pushes.ReadAllAsync(stoppingToken))
            {
                await inFlight.WaitAsync(stoppingToken);
                var task = push.DeletesNativeId is null
                    ? sink.PostedAsync(ToEvent(push), stoppingToken)
                    : sink.DeletedAsync(ToDelete(push), stoppingToken);
                _ = task.ContinueWith(
                    t =>
                    {
                        inFlight.Release();
                        if (t.IsCompletedSuccessfully)
                        {
                            _backend.Ack(push);
                        }
                        else
                        {
                            _ = RedeliverLaterAsync(push);
                        }
                    },
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        SetStatus(SessionState.Stopped);
    }

    private async Task RedeliverLaterAsync(LoopbackPush push)
    {
        await Task.Delay(100);
        _backend.Redeliver(push);
    }

    private MessagePosted ToEvent(LoopbackPush push)
    {
        var conversation = EndpointRef.TryParsePath(Name, push.Conversation, out _) ?? throw new InvalidOperationException(push.Conversation);
        var eventId = push.OriginMarker ?? EventIds.ForIngest(Name, $"{push.Conversation}/{push.NativeId}");
        var now = context.Time.GetUtcNow();
        return new MessagePosted(eventId, conversation, new Participant(Name, push.SenderId, push.SenderName), push.Body, push.NativeId, now, now, push.ReplyTo);
    }

    private MessageDeleted ToDelete(LoopbackPush push)
    {
        var conversation = EndpointRef.TryParsePath(Name, push.Conversation, out _) ?? throw new InvalidOperationException(push.Conversation);
        return new MessageDeleted(EventIds.ForIngest(Name, $"{push.Conversation}/{push.NativeId}"), conversation, new Participant(Name, push.SenderId), push.DeletesNativeId!, context.Time.GetUtcNow());
    }

    public Task<SendResult> SendAsync(OutboundMessage message, SendWritten written, CancellationToken cancellationToken) =>
        options.Pipelined ? SendOverWireAsync(message, written, cancellationToken) : SendAsync(message, cancellationToken);

    public Task<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        if (options.Pipelined)
        {
            return SendOverWireAsync(message, null, cancellationToken);
        }

        if (_backend.Down)
        {
            return Task.FromResult(SendResult.NotConnected($"{Name} backend is down"));
        }

        if (_backend.RejectContaining is { } poison && message.Body.Text?.Contains(poison, StringComparison.Ordinal) == true)
        {
            return Task.FromResult(SendResult.Rejected($"{Name} refuses text containing '{poison}'", "POISON"));
        }

        // Kept past the send, so detached from the bridge's buffer (see OutboundMessage).
        var delivery = _backend.Deliver(message.Target.Path, message.Body.Detached(), message.IdempotencyKey, message.ReplyToNativeId, message.EventId);
        return Task.FromResult(SendResult.Sent(delivery.NativeId));
    }

    /// <summary>A backend across a wire: received (stored) in the order sent, answered after the backend's delay.</summary>
    private async Task<SendResult> SendOverWireAsync(OutboundMessage message, SendWritten? written, CancellationToken cancellationToken)
    {
        if (_backend.Down)
        {
            return SendResult.NotConnected($"{Name} backend is down");
        }

        var (fault, delivery) = _backend.Receive(message.Target.Path, message.Body.Detached(), message.IdempotencyKey, message.ReplyToNativeId, message.EventId);
        if (delivery is null)
        {
            return fault == LoopbackFault.Throws
                ? throw new InvalidOperationException($"{Name}: the send threw (test)")
                : SendResult.NotConnected($"{Name}: not sent ({fault})");
        }

        written?.Set();
        try
        {
            await Task.Delay(_backend.AnswerDelay, cancellationToken);
        }
        finally
        {
            _backend.Answered();
        }

        return fault == LoopbackFault.AnswerLost ? SendResult.TimedOut($"{Name}: the answer was lost") : SendResult.Sent(delivery.NativeId);
    }

    public Task<SendResult> DeleteAsync(OutboundDelete request, CancellationToken cancellationToken)
    {
        _backend.Delete(request.NativeMessageId);
        return Task.FromResult(SendResult.Sent(request.NativeMessageId));
    }

    private void SetStatus(SessionState state)
    {
        _status = new ConnectorStatus(state, null, context.Time.GetUtcNow());
        StatusChanged?.Invoke(_status);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
