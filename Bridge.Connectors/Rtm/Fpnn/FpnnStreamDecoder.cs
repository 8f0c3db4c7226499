using Bridge.Connectors.Abstractions;

namespace Bridge.Connectors.Rtm.Fpnn;

/// <summary>Receives one decoded packet; the packet views the decoder's input and is valid only during the call.</summary>
public delegate void FpnnPacketHandler(FpnnPacket packet);

/// <summary>
/// Reads FPNN packets from a sequence of transport messages as a stream: a message may hold several
/// packets or part of one (the remainder is kept for the next message). Bad input reports
/// <see cref="FpnnDecodeStatus.Malformed"/>; the caller then closes the connection.
/// </summary>
public sealed class FpnnStreamDecoder(int maxPayloadBytes = FpnnDecoder.DefaultMaxPayloadBytes) : IDisposable
{
    private readonly PooledBufferWriter _pending = new(64);

    /// <summary>Bytes of an unfinished packet held for the next message.</summary>
    public int PendingBytes => _pending.WrittenCount;

    /// <summary>Decodes every whole packet in <paramref name="message"/> (after any held remainder).</summary>
    public FpnnDecodeStatus Feed(ReadOnlySpan<byte> message, FpnnPacketHandler handler, out string? error)
    {
        if (_pending.WrittenCount == 0)
        {
            return Drain(message, handler, out error);
        }

        message.CopyTo(_pending.GetSpan(message.Length));
        _pending.Advance(message.Length);
        var combined = _pending.WrittenSpan.ToArray();
        _pending.Clear();
        return Drain(combined, handler, out error);
    }

    private FpnnDecodeStatus Drain(ReadOnlySpan<byte> input, FpnnPacketHandler handler, out string? error)
    {
        while (!input.IsEmpty)
        {
            var status = FpnnDecoder.TryDecode(input, maxPayloadBytes, out var packet, out var consumed, out error);
            if (status == FpnnDecodeStatus.Malformed)
            {
                return status;
            }

            if (status == FpnnDecodeStatus.Incomplete)
            {
                input.CopyTo(_pending.GetSpan(input.Length));
                _pending.Advance(input.Length);
                return status;
            }

            handler(packet);
            input = input[consumed..];
        }

        error = null;
        return FpnnDecodeStatus.Complete;
    }

    public void Dispose() => _pending.Dispose();
}
