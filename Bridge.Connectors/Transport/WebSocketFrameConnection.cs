using System.Buffers;
using System.Net.WebSockets;

namespace Bridge.Connectors.Transport;

/// <summary>
/// A client WebSocket (see <see cref="WebSocketUpgrade"/>) that reads whole messages into pooled
/// buffers. Data frames are written by <see cref="FrameWriteQueue"/>, which gathers the frames of
/// concurrent senders into one write; the WebSocket itself still answers pings and closes.
/// </summary>
public sealed class WebSocketFrameConnection : IFrameConnection
{
    private const int InitialBufferBytes = 4096;

    private readonly WebSocket _socket;
    private readonly WebSocketEndpointOptions _options;
    private readonly TimeProvider _time;
    private readonly FrameWriteQueue _writes;
    private long _lastReceived;

    internal WebSocketFrameConnection(WebSocket socket, WebSocketWireStream stream, WebSocketEndpointOptions options, TimeProvider time)
    {
        _socket = socket;
        _options = options;
        _time = time;
        _lastReceived = time.GetTimestamp();
        _writes = new FrameWriteQueue(stream, socket.Abort);
    }

    /// <summary>Socket writes of data frames so far (each carries one or more frames).</summary>
    internal long DataWrites => _writes.Writes;

    public string Description => _options.SafeDescription;

    public long LastReceivedTimestamp => Volatile.Read(ref _lastReceived);

    public WebSocketState State => _socket.State;

    public static async Task<WebSocketFrameConnection> ConnectAsync(WebSocketEndpointOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        try
        {
            var (socket, stream) = await WebSocketUpgrade.ConnectAsync(options, timeout.Token).ConfigureAwait(false);
            return new WebSocketFrameConnection(socket, stream, options, time);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"connecting to {options.SafeDescription} timed out after {options.ConnectTimeout.TotalSeconds:0.#} s");
        }
    }

    public ValueTask SendAsync(ReadOnlyMemory<byte> payload, FrameKind kind, CancellationToken cancellationToken) =>
        _socket.State is WebSocketState.Open or WebSocketState.CloseReceived
            ? _writes.SendAsync(payload, kind, cancellationToken)
            : ValueTask.FromException(new WebSocketException(WebSocketError.InvalidState, $"the WebSocket is {_socket.State}; nothing can be sent"));

    /// <summary>
    /// The next whole message. Throws <see cref="OperationCanceledException"/> only when
    /// <paramref name="cancellationToken"/> was cancelled: the WebSocket reports a local abort (a
    /// failed write aborts the connection, see <see cref="FrameWriteQueue"/>) as a cancellation too,
    /// and a reader that takes that for its own stop would never report the connection lost.
    /// </summary>
    public async ValueTask<ReceivedFrame> ReceiveAsync(CancellationToken cancellationToken)
    {
        try
        {
            // Read up to one byte past the limit: a message of exactly MaxFrameBytes is accepted even
            // when its last fragment is empty or ends exactly at the end of the buffer; only a byte
            // beyond the limit proves the message too large.
            var limit = _options.MaxFrameBytes;
            var capacity = limit >= Array.MaxLength ? Array.MaxLength : limit + 1;

            // A zero-byte receive waits for the next frame without holding a buffer, so an idle
            // session (one per xnest room) keeps none. It consumes at most an empty frame or a close.
            var first = await _socket.ReceiveAsync(Memory<byte>.Empty, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _lastReceived, _time.GetTimestamp());
            if (first.MessageType == WebSocketMessageType.Close)
            {
                return ReceivedFrame.Closed((int?)_socket.CloseStatus, _socket.CloseStatusDescription);
            }

            if (first.EndOfMessage)
            {
                var kind = first.MessageType == WebSocketMessageType.Text ? FrameKind.Text : FrameKind.Binary;
                return new ReceivedFrame(kind, ArrayPool<byte>.Shared.Rent(1), 0);
            }

            var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(InitialBufferBytes, capacity));
            var length = 0;
            try
            {
                while (true)
                {
                    if (length == buffer.Length)
                    {
                        var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(buffer.Length * 2L, capacity));
                        buffer.AsSpan(0, length).CopyTo(bigger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = bigger;
                    }

                    var room = Math.Min(buffer.Length, capacity) - length;
                    var result = await _socket.ReceiveAsync(buffer.AsMemory(length, room), cancellationToken).ConfigureAwait(false);
                    Volatile.Write(ref _lastReceived, _time.GetTimestamp());
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        return ReceivedFrame.Closed((int?)_socket.CloseStatus, _socket.CloseStatusDescription);
                    }

                    length += result.Count;
                    if (length > limit)
                    {
                        await CloseTooLargeAsync().ConfigureAwait(false);
                        throw new FrameTooLargeException(length, limit);
                    }

                    if (result.EndOfMessage)
                    {
                        var kind = result.MessageType == WebSocketMessageType.Text ? FrameKind.Text : FrameKind.Binary;
                        return new ReceivedFrame(kind, buffer, length);
                    }
                }
            }
            catch
            {
                ArrayPool<byte>.Shared.Return(buffer);
                throw;
            }
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new WebSocketException(WebSocketError.ConnectionClosedPrematurely, "the connection was aborted on this side (a write on it failed, or the session is ending)", ex);
        }
    }

    private async Task CloseTooLargeAsync()
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await _writes.CloseAsync(cts.Token).ConfigureAwait(false);
            await _socket.CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, "frame too large", cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException or IOException)
        {
            // The peer may already be gone; the caller aborts the session anyway.
        }

        _socket.Abort();
    }

    public async Task CloseAsync(string reason, CancellationToken cancellationToken)
    {
        try
        {
            // The close frame goes after the data frames already queued, and nothing after it.
            await _writes.CloseAsync(cancellationToken).ConfigureAwait(false);
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, reason, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException or IOException)
        {
            _socket.Abort();
        }
    }

    public void Abort() => _socket.Abort();

    /// <summary>Disposes the socket (and the stream under it); safe to call more than once. A write in flight fails.</summary>
    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
