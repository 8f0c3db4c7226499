using System.Buffers;

namespace Bridge.Connectors.Transport;

/// <summary>
/// The stream under a client WebSocket. Writes are serialized: the WebSocket's own frames (pongs,
/// the close frame) and the batches of data frames <see cref="FrameWriteQueue"/> writes go through
/// the same lock, so whole frames never interleave on the wire. Reads are buffered: the WebSocket
/// reads a frame's header into a buffer of its own of about 125 bytes and then exactly the rest of
/// the payload, so unbuffered every frame cost two or three socket reads (the wait for data, the
/// header, the remainder) even when dozens were waiting in the socket. Here a read smaller than
/// <see cref="ReadChunkBytes"/> takes whatever the socket holds, up to that much, into a pooled
/// buffer and the reads after it are served from there. No buffer is held while waiting: a socket
/// read is preceded by a zero-byte read (which waits for data without a buffer) unless one just
/// completed or the last read filled its chunk, and the buffer goes back to the pool once drained,
/// so an idle connection (one per xnest room) holds none. A zero-byte read, the WebSocket's wait
/// for the next frame, completes at once while buffered bytes remain.
/// </summary>
internal sealed class WebSocketWireStream(Stream inner) : Stream
{
    /// <summary>How much one socket read takes at most into the read buffer.</summary>
    internal const int ReadChunkBytes = 16 * 1024;

    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private byte[]? _readBuffer;
    private int _readStart;
    private int _readEnd;

    /// <summary>The stream underneath has data waiting, as far as this stream knows: a zero-byte read just completed, or the last read filled its chunk.</summary>
    private bool _dataWaiting;

    /// <summary>Reads of the stream underneath so far: for tests and figures.</summary>
    internal long InnerReads { get; private set; }

    /// <summary>Bytes read from the stream underneath and not yet handed out.</summary>
    internal int BufferedBytes => _readEnd - _readStart;

    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <summary>Served from the buffer while it holds anything, otherwise straight from the stream underneath (the WebSocket reads only asynchronously).</summary>
    public override int Read(Span<byte> buffer)
    {
        if (TryReadBuffered(buffer, out var count))
        {
            return count;
        }

        InnerReads++;
        _dataWaiting = false;
        return inner.Read(buffer);
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (TryReadBuffered(buffer.Span, out var count))
        {
            return new ValueTask<int>(count);
        }

        if (buffer.Length == 0)
        {
            return WaitForDataAsync(cancellationToken);
        }

        if (buffer.Length >= ReadChunkBytes)
        {
            InnerReads++;
            _dataWaiting = false;
            return inner.ReadAsync(buffer, cancellationToken);
        }

        return ReadChunkAsync(buffer, cancellationToken);
    }

    private async ValueTask<int> WaitForDataAsync(CancellationToken cancellationToken)
    {
        InnerReads++;
        var read = await inner.ReadAsync(Memory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        _dataWaiting = true;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private async ValueTask<int> ReadChunkAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (!_dataWaiting)
        {
            await WaitForDataAsync(cancellationToken).ConfigureAwait(false);
        }

        InnerReads++;
        var chunk = ArrayPool<byte>.Shared.Rent(ReadChunkBytes);
        int read;
        try
        {
            read = await inner.ReadAsync(chunk.AsMemory(0, ReadChunkBytes), cancellationToken).ConfigureAwait(false);
            _dataWaiting = read == ReadChunkBytes;
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(chunk);
            throw;
        }

        return Keep(chunk, read, buffer.Span);
    }

    /// <summary>Serves a read from the buffer if it holds anything (a zero-byte read then completes with 0 at once).</summary>
    private bool TryReadBuffered(Span<byte> destination, out int count)
    {
        if (_readBuffer is not { } held)
        {
            count = 0;
            return false;
        }

        count = Math.Min(_readEnd - _readStart, destination.Length);
        held.AsSpan(_readStart, count).CopyTo(destination);
        _readStart += count;
        if (_readStart == _readEnd)
        {
            _readBuffer = null;
            ArrayPool<byte>.Shared.Return(held);
        }

        return true;
    }

    /// <summary>Hands the first bytes of a chunk just read to the caller and keeps the rest (or returns the chunk when nothing is left).</summary>
    private int Keep(byte[] chunk, int read, Span<byte> destination)
    {
        var count = Math.Min(read, destination.Length);
        chunk.AsSpan(0, count).CopyTo(destination);
        if (count == read)
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
        else
        {
            _readBuffer = chunk;
            _readStart = count;
            _readEnd = read;
        }

        return count;
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        _writeLock.Wait();
        try
        {
            inner.Write(buffer, offset, count);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>
    /// The lock is deliberately not disposed: a write waiting on it would otherwise never finish;
    /// it fails on the disposed inner stream instead. A read buffer still held is left to the
    /// collector rather than returned, since a read may be copying from it as the WebSocket aborts.
    /// </summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
