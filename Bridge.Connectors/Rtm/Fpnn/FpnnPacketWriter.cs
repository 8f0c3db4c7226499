using System.Buffers.Binary;
using System.Text;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Rtm.MsgPack;

namespace Bridge.Connectors.Rtm.Fpnn;

/// <summary>
/// Builds one FPNN packet: header (and seq), method name, then the msgpack payload written through
/// <see cref="Payload"/>; <see cref="Complete"/> patches the payload size. Dispose returns the buffer.
/// </summary>
public sealed class FpnnPacketWriter : IDisposable
{
    private readonly PooledBufferWriter _buffer;
    private readonly int _payloadStart;
    private bool _completed;

    private FpnnPacketWriter(FpnnPacketKind kind, byte ss, uint seq, string? method)
    {
        _buffer = new PooledBufferWriter(128);
        var headerSize = FpnnHeader.Size + (kind == FpnnPacketKind.OneWay ? 0 : FpnnHeader.SeqSize);
        var span = _buffer.GetSpan(headerSize);
        FpnnHeader.Magic.CopyTo(span);
        span[4] = FpnnHeader.Version;
        span[5] = FpnnHeader.FlagMsgPack;
        span[6] = (byte)kind;
        span[7] = ss;
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], 0);
        if (kind != FpnnPacketKind.OneWay)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(span[12..], seq);
        }

        _buffer.Advance(headerSize);
        if (method is not null)
        {
            var written = Encoding.UTF8.GetBytes(method, _buffer.GetSpan(ss));
            _buffer.Advance(written);
        }

        _payloadStart = _buffer.WrittenCount;
        Payload = new MsgPackWriter(_buffer);
    }

    public MsgPackWriter Payload { get; }

    /// <summary>A twoway quest (<paramref name="seq"/> &gt; 0) or a oneway one (no seq).</summary>
    public static FpnnPacketWriter Quest(string method, uint seq, bool twoWay = true)
    {
        var length = Encoding.UTF8.GetByteCount(method);
        if (length is 0 or > byte.MaxValue)
        {
            throw new ArgumentException("an FPNN method name is 1 to 255 UTF-8 bytes", nameof(method));
        }

        return new FpnnPacketWriter(twoWay ? FpnnPacketKind.TwoWay : FpnnPacketKind.OneWay, (byte)length, seq, method);
    }

    /// <summary>An answer to quest <paramref name="seq"/>; status 0 = ok, 1 = error (<c>{code, ex}</c>).</summary>
    public static FpnnPacketWriter Answer(uint seq, byte status = 0) => new(FpnnPacketKind.Answer, status, seq, null);

    /// <summary>Patches the payload size (an empty payload becomes the empty map) and returns the packet.</summary>
    public ReadOnlyMemory<byte> Complete()
    {
        if (!_completed)
        {
            if (_buffer.WrittenCount == _payloadStart)
            {
                Payload.WriteMapHeader(0);
            }

            BinaryPrimitives.WriteUInt32LittleEndian(_buffer.WrittenForPatch[8..12], (uint)(_buffer.WrittenCount - _payloadStart));
            _completed = true;
        }

        return _buffer.WrittenMemory;
    }

    public byte[] ToArray() => Complete().ToArray();

    public void Dispose() => _buffer.Dispose();

    /// <summary>The answer <c>{}</c> to a push or ping (protocol vector 8).</summary>
    public static byte[] EmptyAnswer(uint seq)
    {
        using var writer = Answer(seq);
        return writer.ToArray();
    }

    /// <summary>An error answer <c>{code, ex}</c> (status 1).</summary>
    public static byte[] ErrorAnswer(uint seq, long code, string ex)
    {
        using var writer = Answer(seq, 1);
        writer.Payload.WriteMapHeader(2);
        writer.Payload.WriteString("code"u8);
        writer.Payload.WriteInt64(code);
        writer.Payload.WriteString("ex"u8);
        writer.Payload.WriteString(ex);
        return writer.ToArray();
    }
}
