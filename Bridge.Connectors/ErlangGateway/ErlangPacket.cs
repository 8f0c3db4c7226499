using System.Buffers.Binary;

namespace Bridge.Connectors.ErlangGateway;

/// <summary>
/// One decoded packet. Byte fields are slices of the frame it was decoded from (no copies), so
/// read what you need before the frame's buffer is returned.
/// </summary>
public readonly struct ErlangPacket
{
    internal ErlangPacket(
        ErlangCommand command,
        byte code = 0,
        uint targetId = 0,
        ReadOnlyMemory<byte> msgId = default,
        ReadOnlyMemory<byte> uids = default,
        ReadOnlyMemory<byte> payload = default,
        ErlangConnect? connect = null)
    {
        Command = command;
        Code = code;
        TargetId = targetId;
        MsgIdBytes = msgId;
        UidBytes = uids;
        Payload = payload;
        Connect = connect;
    }

    public ErlangCommand Command { get; }

    /// <summary>CONNECT_ACK code.</summary>
    public byte Code { get; }

    /// <summary>ToUid of a client PUBLISH or GroupId of a group packet; 0 for a server PUBLISH push.</summary>
    public uint TargetId { get; }

    /// <summary>The 32 ASCII bytes of the MsgId (empty for packets without one).</summary>
    public ReadOnlyMemory<byte> MsgIdBytes { get; }

    /// <summary>GROUP_PART_PUBLISH: the uid list, 4 big-endian bytes each.</summary>
    public ReadOnlyMemory<byte> UidBytes { get; }

    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>CONNECT fields (decoded on the server side only).</summary>
    public ErlangConnect? Connect { get; }

    public bool HasMsgId => MsgIdBytes.Length == ErlangCodec.MsgIdLength;

    public int UidCount => UidBytes.Length / 4;

    /// <summary>The MsgId as a key (<see cref="ErlangCodec.MsgIdKey"/>): its ASCII text, or <c>raw:</c>+hex for other bytes.</summary>
    public string MsgId => ErlangCodec.MsgIdKey(MsgIdBytes.Span);

    /// <summary>The MsgId as a value (no string); only for packets that carry one (<see cref="HasMsgId"/>).</summary>
    public ErlangMsgId Id => ErlangMsgId.From(MsgIdBytes.Span);

    public uint UidAt(int index) => BinaryPrimitives.ReadUInt32BigEndian(UidBytes.Span.Slice(index * 4, 4));

    public uint[] Uids()
    {
        var result = new uint[UidCount];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = UidAt(i);
        }

        return result;
    }

    /// <summary>Whether this is a chat push/publish that carries a payload (3, 5, 11).</summary>
    public bool IsMessage => Command is ErlangCommand.Publish or ErlangCommand.GroupPublish or ErlangCommand.GroupPartPublish;

    /// <summary>Whether this is an acknowledgement of a message (4, 6, 12).</summary>
    public bool IsAck => Command is ErlangCommand.PubAck or ErlangCommand.GroupPubAck or ErlangCommand.GroupPartPubAck;
}

/// <summary>The fields of a CONNECT packet. Role and ClientId are optional trailing bytes.</summary>
public sealed record ErlangConnect(string Username, string Password, byte? Role, byte? ClientId)
{
    public override string ToString() => $"CONNECT {Username} role={Role?.ToString() ?? "-"} clientId={ClientId?.ToString() ?? "-"}";
}
