using System.Buffers;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.ProtobufIm.Wire;
using Bridge.Connectors.Transport;
using Google.Protobuf;

namespace Bridge.Connectors.ProtobufIm;

/// <summary>A request could not even be written: the connection is gone and nothing reached the server.</summary>
internal sealed class ImNotSentException(string message) : IOException(message);

/// <summary>A reply the read loop matched to a request by its echoed sequence.</summary>
internal readonly record struct ImReply(CommandType Command, IMessage Message);

/// <summary>
/// One live connection seen from the protocol: numbered requests (sequence 1..2^32-1, wrapping to
/// 1, never 0) matched with their replies, and fire-and-forget frames (MSG_ACK). At most
/// <see cref="MaxUnanswered"/> requests wait for their replies at once: the server queues its
/// replies and pushes in a 256-frame buffer per connection and drops what does not fit, so more
/// requests in flight than that could lose replies even when nothing else is wrong.
/// </summary>
internal sealed class ImLink(IFrameConnection connection, string connector, TimeProvider time)
{
    internal const int MaxUnanswered = 128;

    private readonly PendingRequests<uint, ImReply> _pending = new();
    private readonly SemaphoreSlim _unanswered = new(MaxUnanswered, MaxUnanswered);
    private readonly TaskCompletionSource<SessionEnd> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _sequence;

    public IFrameConnection Connection => connection;

    /// <summary>The user's own sender seq the server reported at authentication.</summary>
    public long OwnSeqAtAuth { get; set; }

    /// <summary>Completes with how the session on this connection ended (the first reason wins).</summary>
    public Task<SessionEnd> Ended => _ended.Task;

    /// <summary>Ends the session on this connection; later calls (and calls for an older connection's link) change nothing else.</summary>
    public void End(SessionEnd end) => _ended.TrySetResult(end);

    public Task<ImReply> RequestAsync(CommandType command, IMessage body, TimeSpan timeout, CancellationToken cancellationToken) =>
        RequestAsync(command, new ImMessageBody(body), timeout, cancellationToken);

    /// <summary>Sends a request and waits for its reply; <paramref name="written"/> is set once the request is written.</summary>
    public async Task<ImReply> RequestAsync<TBody>(CommandType command, TBody body, TimeSpan timeout, CancellationToken cancellationToken, SendWritten? written = null)
        where TBody : IImFrameBody
    {
        await _unanswered.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var sequence = NextSequence();
            var answer = _pending.Register(sequence, out _);
            try
            {
                await SendAsync(command, sequence, body, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _pending.Forget(sequence);
                throw new ImNotSentException($"could not send {command}: {ex.Message}");
            }

            written?.Set();

            return await _pending.WaitAsync(sequence, answer, timeout, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _unanswered.Release();
        }
    }

    /// <summary>
    /// Writes the frame into a rented buffer, which is free again when the connection's send
    /// returns (it copies or encodes the payload before that): a 60 KB message allocates no frame.
    /// </summary>
    public async ValueTask SendAsync<TBody>(CommandType command, uint sequence, TBody body, CancellationToken cancellationToken)
        where TBody : IImFrameBody
    {
        var timestamp = time.GetUtcNow().ToUnixTimeMilliseconds();
        var bodySize = body.CalculateSize();
        var size = ImCodec.FrameSize(command, sequence, bodySize, timestamp);
        var frame = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            ImCodec.WriteFrame(frame.AsSpan(0, size), command, sequence, body, bodySize, timestamp);
            await connection.SendAsync(frame.AsMemory(0, size), FrameKind.Binary, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }

        ConnectorDiagnostics.FramesSent.Add(1, ConnectorDiagnostics.Tag(connector));
    }

    /// <summary>A request the server never answers (MSG_ACK, typing), with its own sequence.</summary>
    public ValueTask SendOneWayAsync(CommandType command, IMessage body, CancellationToken cancellationToken) =>
        SendAsync(command, NextSequence(), new ImMessageBody(body), cancellationToken);

    /// <summary>Hands a reply to its waiting request; false when nobody waits (late or unknown sequence).</summary>
    public bool Complete(uint sequence, ImReply reply) => _pending.TryComplete(sequence, reply);

    public void FailAll(string reason) => _pending.FailAll(new ConnectionLostException(reason));

    private uint NextSequence()
    {
        while (true)
        {
            var next = (uint)Interlocked.Increment(ref _sequence);
            if (next != 0)
            {
                return next;
            }
        }
    }
}
