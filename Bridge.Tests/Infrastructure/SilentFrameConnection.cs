using Bridge.Connectors.Transport;

namespace Bridge.Tests.Infrastructure;

/// <summary>
/// A connection that takes every frame and never delivers one: for a component that needs a link
/// only to answer or acknowledge, when the answers are not what a test is about.
/// </summary>
public sealed class SilentFrameConnection : IFrameConnection
{
    public string Description => "silent";

    public long LastReceivedTimestamp => 0;

    public ValueTask SendAsync(ReadOnlyMemory<byte> payload, FrameKind kind, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask<ReceivedFrame> ReceiveAsync(CancellationToken cancellationToken) => throw new NotSupportedException("a silent connection delivers nothing");

    public Task CloseAsync(string reason, CancellationToken cancellationToken) => Task.CompletedTask;

    public void Abort()
    {
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
