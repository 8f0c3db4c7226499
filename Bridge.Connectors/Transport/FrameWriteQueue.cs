using System.Buffers;
using System.Net.WebSockets;

namespace Bridge.Connectors.Transport;

/// <summary>
/// Sends a WebSocket connection's data frames, gathering what callers queue into one socket write.
/// A sender encodes its frame at once (so its payload buffer is free when the call returns or is
/// cancelled) and queues it; if no write is running it starts one as a thread-pool work item, which
/// writes everything queued by then in one socket write, and again for what queued meanwhile, until
/// the queue is empty. A delivery batch starts the sends of its conversations one after another on
/// one thread: written inline, each frame was a system call (and a TCP segment) of its own; as a
/// work item of its own the write takes the whole loop's frames. Frames keep the order they were
/// queued in.
/// </summary>
internal sealed class FrameWriteQueue(WebSocketWireStream stream, Action onWriteFailed)
{
    /// <summary>How many bytes of frames one write gathers at most.</summary>
    internal const int MaxGatherBytes = 64 * 1024;

    private readonly object _gate = new();
    private List<QueuedFrame> _queued = [];
    private List<QueuedFrame> _spare = [];
    private TaskCompletionSource? _drained;
    private bool _writerActive;
    private bool _closed;

    /// <summary>Writes performed so far (each carried one or more frames): for tests and figures.</summary>
    internal long Writes { get; private set; }

    /// <summary>
    /// Completes once the frame is written. A caller that stops waiting (its token) takes the
    /// frame back if it has not been picked up for a write yet; otherwise it may still go out.
    /// </summary>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> payload, FrameKind kind, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var (buffer, length) = ClientFrameEncoder.Encode(payload.Span, kind);
        var frame = new QueuedFrame(buffer, length);
        bool lead;
        lock (_gate)
        {
            if (_closed)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                throw new WebSocketException(WebSocketError.InvalidState, "the WebSocket is closing or closed; nothing more can be sent");
            }

            _queued.Add(frame);
            lead = !_writerActive;
            _writerActive = true;
        }

        if (lead)
        {
            // On the global queue, behind the work already waiting: the continuations of a batch's
            // other senders queue their frames before the write picks them up.
            ThreadPool.UnsafeQueueUserWorkItem(static queue => _ = queue.WriteQueuedAsync(), this, preferLocal: false);
        }

        if (frame.Task.IsCompleted)
        {
            await frame.Task.ConfigureAwait(false);
            return;
        }

        try
        {
            await frame.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            frame.Withdraw();
            throw;
        }
    }

    /// <summary>Refuses further frames and waits until the ones queued are written (or failed).</summary>
    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        Task drained;
        lock (_gate)
        {
            _closed = true;
            drained = _writerActive ? (_drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task : Task.CompletedTask;
        }

        await drained.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes what is queued, in batches, until nothing is; never throws (failures go to the frames).</summary>
    private async Task WriteQueuedAsync()
    {
        while (true)
        {
            List<QueuedFrame> batch;
            lock (_gate)
            {
                if (_queued.Count == 0)
                {
                    _writerActive = false;
                    _drained?.TrySetResult();
                    return;
                }

                batch = _queued;
                _queued = _spare;
                _spare = batch;
            }

            await WriteBatchAsync(batch).ConfigureAwait(false);
            batch.Clear();
        }
    }

    /// <summary>Writes a batch's frames in order, as many per write as fit in <see cref="MaxGatherBytes"/> (a larger frame goes alone).</summary>
    private async Task WriteBatchAsync(List<QueuedFrame> batch)
    {
        for (var start = 0; start < batch.Count;)
        {
            var end = start;
            var total = 0;
            var picked = 0;
            QueuedFrame? only = null;
            for (; end < batch.Count; end++)
            {
                var frame = batch[end];
                if (picked > 0 && total + frame.Length > MaxGatherBytes)
                {
                    break;
                }

                if (frame.Take())
                {
                    total += frame.Length;
                    picked++;
                    only = frame;
                }
            }

            var failure = picked == 0 ? null : await WriteAsync(batch, start, end, picked == 1 ? only : null, total).ConfigureAwait(false);
            for (var i = start; i < end; i++)
            {
                batch[i].Finish(failure);
            }

            start = end;
        }
    }

    /// <summary>Writes the picked frames of <c>batch[start..end)</c> in one write (the frame's own buffer when only one was picked); returns the failure, if any.</summary>
    private async Task<Exception?> WriteAsync(List<QueuedFrame> batch, int start, int end, QueuedFrame? only, int total)
    {
        var gathered = only?.Buffer ?? ArrayPool<byte>.Shared.Rent(total);
        if (only is null)
        {
            var at = 0;
            for (var i = start; i < end; i++)
            {
                if (batch[i].Taken)
                {
                    batch[i].Buffer.AsSpan(0, batch[i].Length).CopyTo(gathered.AsSpan(at));
                    at += batch[i].Length;
                }
            }
        }

        try
        {
            Writes++;
            await stream.WriteAsync(gathered.AsMemory(0, total)).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex)
        {
            // The connection is broken mid-stream: the session ends, and every frame of the batch fails.
            onWriteFailed();
            return ex is IOException or ObjectDisposedException or WebSocketException
                ? ex
                : new WebSocketException(WebSocketError.Faulted, ex.Message, ex);
        }
        finally
        {
            if (only is null)
            {
                ArrayPool<byte>.Shared.Return(gathered);
            }
        }
    }

    /// <summary>
    /// One encoded frame waiting to be written; its buffer goes back to the pool once it is settled.
    /// Its sender resumes on the writer's thread as the frame is settled, as it did when its own call
    /// wrote the frame: a sender only goes on to wait for its answer (or queues its next frame,
    /// which the running write picks up), and a work item per frame was a thread-pool hop per
    /// delivery for that.
    /// </summary>
    private sealed class QueuedFrame(byte[] buffer, int length) : TaskCompletionSource
    {
        private const int Queued = 0;
        private const int Picked = 1;
        private const int Withdrawn = 2;
        private int _state;

        public byte[] Buffer => buffer;

        public int Length => length;

        public bool Taken => Volatile.Read(ref _state) == Picked;

        /// <summary>Picks the frame for a write unless its sender withdrew it.</summary>
        public bool Take() => Interlocked.CompareExchange(ref _state, Picked, Queued) == Queued;

        /// <summary>The sender stopped waiting: the frame is not written unless a write already picked it.</summary>
        public void Withdraw() => Interlocked.CompareExchange(ref _state, Withdrawn, Queued);

        public void Finish(Exception? failure)
        {
            var picked = Taken;
            ArrayPool<byte>.Shared.Return(buffer);
            if (!picked)
            {
                TrySetCanceled();
            }
            else if (failure is null)
            {
                TrySetResult();
            }
            else
            {
                TrySetException(failure);
            }
        }
    }
}
