using System.Buffers.Binary;

namespace Bridge.Connectors.Rtm.Fpnn;

public enum FpnnDecodeStatus
{
    /// <summary>A whole packet was decoded; <c>consumed</c> bytes belong to it.</summary>
    Complete,
    /// <summary>The input is a valid but unfinished packet prefix.</summary>
    Incomplete,
    /// <summary>The input cannot be an FPNN packet; the error says why. Close the connection.</summary>
    Malformed,
}

/// <summary>
/// Decodes FPNN packets (msgpack flavour) from a buffer that may hold several, or part of one.
/// Pure: never throws on bad input, it reports <see cref="FpnnDecodeStatus.Malformed"/> with the reason.
/// </summary>
public static class FpnnDecoder
{
    public const int DefaultMaxPayloadBytes = 1 << 20;

    public static FpnnDecodeStatus TryDecode(ReadOnlySpan<byte> input, int maxPayloadBytes, out FpnnPacket packet, out int consumed, out string? error)
    {
        packet = default;
        consumed = 0;
        error = null;
        var headerPrefix = Math.Min(input.Length, 8);
        if (!FpnnHeader.Magic[..Math.Min(headerPrefix, 4)].SequenceEqual(input[..Math.Min(headerPrefix, 4)]))
        {
            error = $"bad magic {Convert.ToHexStringLower(input[..Math.Min(headerPrefix, 4)])} (expected 46504e4e \"FPNN\")";
            return FpnnDecodeStatus.Malformed;
        }

        if (input.Length > 4 && input[4] != FpnnHeader.Version)
        {
            error = $"unsupported FPNN version {input[4]} (expected 1)";
            return FpnnDecodeStatus.Malformed;
        }

        if (input.Length > 5 && input[5] != FpnnHeader.FlagMsgPack)
        {
            error = input[5] == FpnnHeader.FlagJson
                ? "JSON payloads (flag 0x40) are not supported; RTM uses msgpack (0x80)"
                : $"unsupported FPNN flag 0x{input[5]:x2} (expected 0x80 msgpack)";
            return FpnnDecodeStatus.Malformed;
        }

        if (input.Length > 6 && input[6] > (byte)FpnnPacketKind.Answer)
        {
            error = $"unknown FPNN message type {input[6]}";
            return FpnnDecodeStatus.Malformed;
        }

        if (input.Length < FpnnHeader.Size)
        {
            return FpnnDecodeStatus.Incomplete;
        }

        var kind = (FpnnPacketKind)input[6];
        var ss = input[7];
        var payloadSize = BinaryPrimitives.ReadUInt32LittleEndian(input[8..12]);
        if (payloadSize == 0)
        {
            error = "payload size 0 (an empty payload is the one-byte empty map 0x80)";
            return FpnnDecodeStatus.Malformed;
        }

        if (payloadSize > (uint)maxPayloadBytes)
        {
            error = $"payload of {payloadSize} bytes exceeds the limit of {maxPayloadBytes} bytes";
            return FpnnDecodeStatus.Malformed;
        }

        if (kind != FpnnPacketKind.Answer && ss == 0)
        {
            error = "quest without a method name (method length 0)";
            return FpnnDecodeStatus.Malformed;
        }

        var headerSize = FpnnHeader.Size + (kind == FpnnPacketKind.OneWay ? 0 : FpnnHeader.SeqSize);
        var methodLength = kind == FpnnPacketKind.Answer ? 0 : ss;
        var total = (long)headerSize + methodLength + payloadSize;
        if (input.Length < total)
        {
            return FpnnDecodeStatus.Incomplete;
        }

        var seq = kind == FpnnPacketKind.OneWay ? 0u : BinaryPrimitives.ReadUInt32LittleEndian(input[12..16]);
        var method = input.Slice(headerSize, methodLength);
        var payload = input.Slice(headerSize + methodLength, (int)payloadSize);
        packet = new FpnnPacket(kind, kind == FpnnPacketKind.Answer ? ss : (byte)0, seq, method, payload);
        consumed = (int)total;
        return FpnnDecodeStatus.Complete;
    }
}
