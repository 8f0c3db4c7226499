using System.Collections.Concurrent;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Rtm.Fpnn;
using Bridge.Connectors.Transport;

namespace Bridge.Connectors.Rtm;

/// <summary>
/// One live gate connection's quest machinery: sequence ids (from 1 per connection), sending
/// packets, and matching answers to quests with a timeout.
/// </summary>
internal sealed class RtmLink(IFrameConnection connection, TimeSpan questTimeout, string connectorName)
{
    private readonly PendingRequests<uint, RtmAnswer> _pending = new();
    private int _seq;

    public IFrameConnection Connection => connection;

    /// <summary>Rooms entered on this connection (membership is per connection).</summary>
    public ConcurrentDictionary<long, byte> EnteredRooms { get; } = new();

    public bool Authenticated { get; set; }

    public uint NextSeq() => (uint)Interlocked.Increment(ref _seq);

    /// <summary>
    /// Sends a quest built for a fresh seq and waits for its answer (error answers are returned, not
    /// thrown); <paramref name="written"/> is set once the quest is written.
    /// </summary>
    public async Task<RtmAnswer> CallAsync(Func<uint, FpnnPacketWriter> build, CancellationToken cancellationToken, SendWritten? written = null)
    {
        var seq = NextSeq();
        var answer = _pending.Register(seq, out _);
        try
        {
            using var packet = build(seq);
            await SendAsync(packet.Complete(), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _pending.Forget(seq);
            throw;
        }

        written?.Set();

        return await _pending.WaitAsync(seq, answer, questTimeout, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> packet, CancellationToken cancellationToken)
    {
        await connection.SendAsync(packet, FrameKind.Binary, cancellationToken).ConfigureAwait(false);
        ConnectorDiagnostics.FramesSent.Add(1, ConnectorDiagnostics.Tag(connectorName));
    }

    /// <summary>False when no quest waits for this seq (it timed out earlier).</summary>
    public bool Complete(uint seq, byte status, ReadOnlySpan<byte> payload) =>
        _pending.Contains(seq) && _pending.TryComplete(seq, new RtmAnswer(status, payload.ToArray()));

    public void FailAll(string reason) => _pending.FailAll(new ConnectionLostException(reason));
}
