namespace Bridge.Connectors.Rtm.Fpnn;

/// <summary>The FPNN message type (header byte 6).</summary>
public enum FpnnPacketKind : byte
{
    OneWay = 0,
    TwoWay = 1,
    Answer = 2,
}

/// <summary>FPNN header constants (all header integers little-endian).</summary>
public static class FpnnHeader
{
    public const int Size = 12;
    public const int SeqSize = 4;
    public const byte Version = 1;
    public const byte FlagMsgPack = 0x80;
    public const byte FlagJson = 0x40;

    /// <summary>"FPNN".</summary>
    public static ReadOnlySpan<byte> Magic => "FPNN"u8;

    /// <summary>The one-byte empty msgpack map every empty payload is.</summary>
    public static ReadOnlySpan<byte> EmptyPayload => [0x80];
}

/// <summary>
/// One decoded FPNN packet, viewing the input buffer: valid only while that buffer is.
/// <see cref="Method"/> is empty for answers; <see cref="Seq"/> is 0 for oneway quests.
/// </summary>
public readonly ref struct FpnnPacket
{
    public FpnnPacket(FpnnPacketKind kind, byte status, uint seq, ReadOnlySpan<byte> method, ReadOnlySpan<byte> payload)
    {
        Kind = kind;
        Status = status;
        Seq = seq;
        Method = method;
        Payload = payload;
    }

    public FpnnPacketKind Kind { get; }

    /// <summary>Answers: 0 = ok, anything else = error (payload <c>{code, ex}</c>).</summary>
    public byte Status { get; }

    public uint Seq { get; }

    public ReadOnlySpan<byte> Method { get; }

    public ReadOnlySpan<byte> Payload { get; }

    public bool IsQuest => Kind != FpnnPacketKind.Answer;

    public bool IsError => Kind == FpnnPacketKind.Answer && Status != 0;

    public bool MethodIs(ReadOnlySpan<byte> name) => Method.SequenceEqual(name);
}
