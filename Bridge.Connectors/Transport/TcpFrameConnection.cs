using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;

namespace Bridge.Connectors.Transport;

/// <summary>A TCP connection carrying frames behind a 4-byte big-endian length prefix.</summary>
public sealed class TcpFrameConnection : IFrameConnection
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly int _maxFrameBytes;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly byte[] _header = new byte[4];
    private long _lastReceived;

    private TcpFrameConnection(Socket socket, string description, int maxFrameBytes, TimeProvider time)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        Description = description;
        _maxFrameBytes = maxFrameBytes;
        _time = time;
        _lastReceived = time.GetTimestamp();
    }

    public string Description { get; }

    public long LastReceivedTimestamp => Volatile.Read(ref _lastReceived);

    public static async Task<TcpFrameConnection> ConnectAsync(string host, int port, int maxFrameBytes, TimeSpan connectTimeout, TimeProvider time, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(connectTimeout);
            try
            {
                await socket.ConnectAsync(host, port, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"connecting to tcp://{host}:{port} timed out after {connectTimeout.TotalSeconds:0.#} s");
            }

            return new TcpFrameConnection(socket, $"tcp://{host}:{port}", maxFrameBytes, time);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> payload, FrameKind kind, CancellationToken cancellationToken)
    {
        var frame = ArrayPool<byte>.Shared.Rent(payload.Length + 4);
        try
        {
            BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)payload.Length);
            payload.Span.CopyTo(frame.AsSpan(4));
            await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await _stream.WriteAsync(frame.AsMemory(0, payload.Length + 4), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _sendLock.Release();
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    public async ValueTask<ReceivedFrame> ReceiveAsync(CancellationToken cancellationToken)
    {
        var headerRead = await ReadUpToAsync(_header, cancellationToken).ConfigureAwait(false);
        if (headerRead == 0)
        {
            return ReceivedFrame.Closed(null, "connection closed by peer");
        }

        if (headerRead < _header.Length)
        {
            throw new IOException($"connection closed in the middle of a frame header ({headerRead} of {_header.Length} length bytes)");
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(_header);
        if (length > (uint)_maxFrameBytes)
        {
            Abort();
            throw new FrameTooLargeException(length, _maxFrameBytes);
        }

        if (length == 0)
        {
            Volatile.Write(ref _lastReceived, _time.GetTimestamp());
            return new ReceivedFrame(FrameKind.Binary, null, 0);
        }

        var buffer = ArrayPool<byte>.Shared.Rent((int)length);
        try
        {
            var read = await ReadUpToAsync(buffer.AsMemory(0, (int)length), cancellationToken).ConfigureAwait(false);
            if (read < length)
            {
                throw new IOException($"connection closed in the middle of a frame ({read} of {length} payload bytes)");
            }

            Volatile.Write(ref _lastReceived, _time.GetTimestamp());
            return new ReceivedFrame(FrameKind.Binary, buffer, (int)length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    /// <summary>Fills the buffer unless the stream ends first; returns how many bytes were read.</summary>
    private async ValueTask<int> ReadUpToAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await _stream.ReadAsync(buffer[read..], cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            read += n;
            Volatile.Write(ref _lastReceived, _time.GetTimestamp());
        }

        return read;
    }

    public Task CloseAsync(string reason, CancellationToken cancellationToken)
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already gone.
        }
        catch (ObjectDisposedException)
        {
            // Already gone.
        }

        return Task.CompletedTask;
    }

    public void Abort() => _socket.Close();

    /// <summary>
    /// Closes the socket; safe to call more than once. The send lock is deliberately not disposed:
    /// a send waiting on it would otherwise never complete. It fails on the closed stream instead.
    /// </summary>
    public async ValueTask DisposeAsync() => await _stream.DisposeAsync().ConfigureAwait(false);
}
