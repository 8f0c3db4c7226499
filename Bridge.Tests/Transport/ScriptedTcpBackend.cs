using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;

namespace Bridge.Tests.Transport;

/// <summary>
/// <see cref="ScriptedBackend"/>'s text protocol over length-prefixed TCP frames (what a binary
/// backend's session looks like to the supervisor): "auth &lt;password&gt;" → "ok" | "denied",
/// then "tick" frames; records what the client sends and whether it ended the stream cleanly.
/// </summary>
internal sealed class ScriptedTcpBackend : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _received = new();
    private readonly TcpScriptServer _server;
    private int _connections;
    private int _cleanEnds;

    public ScriptedTcpBackend() => _server = new TcpScriptServer(SessionAsync);

    public int Port => _server.Port;

    public TimeSpan TickInterval { get; set; } = TimeSpan.FromMilliseconds(30);

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Clients that ended their stream with a FIN at a frame boundary.</summary>
    public int CleanEnds => Volatile.Read(ref _cleanEnds);

    public IReadOnlyList<string> Received => [.. _received];

    private async Task SessionAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _connections);
        using var writeLock = new SemaphoreSlim(1, 1);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task? ticker = null;
        try
        {
            if (await ReadFrameAsync(stream, stop.Token) != "auth secret")
            {
                await WriteFrameAsync(stream, writeLock, "denied", stop.Token);
                return;
            }

            await WriteFrameAsync(stream, writeLock, "ok", stop.Token);
            ticker = TickAsync(stream, writeLock, stop.Token);
            while (await ReadFrameAsync(stream, stop.Token) is { } text)
            {
                _received.Enqueue(text);
            }

            Interlocked.Increment(ref _cleanEnds);
        }
        finally
        {
            await stop.CancelAsync();
            if (ticker is not null)
            {
                await ticker;
            }
        }
    }

    private async Task TickAsync(NetworkStream stream, SemaphoreSlim writeLock, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(TickInterval, cancellationToken);
                await WriteFrameAsync(stream, writeLock, "tick", cancellationToken);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The session ended.
        }
    }

    /// <summary>One frame as text; null at a clean end of stream.</summary>
    private static async Task<string?> ReadFrameAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var header = new byte[4];
        if (await stream.ReadAtLeastAsync(header, 4, throwOnEndOfStream: false, cancellationToken) < 4)
        {
            return null;
        }

        var payload = new byte[BinaryPrimitives.ReadUInt32BigEndian(header)];
        await stream.ReadExactlyAsync(payload, cancellationToken);
        return Encoding.UTF8.GetString(payload);
    }

    private static async Task WriteFrameAsync(NetworkStream stream, SemaphoreSlim writeLock, string text, CancellationToken cancellationToken)
    {
        var payload = Encoding.UTF8.GetBytes(text);
        var frame = new byte[payload.Length + 4];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)payload.Length);
        payload.CopyTo(frame, 4);
        await writeLock.WaitAsync(cancellationToken);
        try
        {
            await stream.WriteAsync(frame, cancellationToken);
        }
        finally
        {
            writeLock.Release();
        }
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
