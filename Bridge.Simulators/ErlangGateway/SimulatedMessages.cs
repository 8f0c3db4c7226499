using System.Text;
using Bridge.Connectors.ErlangGateway;

namespace Bridge.Simulators.ErlangGateway;

/// <summary>A message as the simulator routes it: who sent it, how it is pushed, its MsgId and payload.</summary>
public sealed record SimulatedPush(uint FromUid, ErlangCommand Command, uint GroupId, uint[] Uids, string MsgId, byte[] Payload)
{
    public string Text => Encoding.UTF8.GetString(Payload);

    /// <summary>The push packet as the server writes it (PUBLISH without ToUid).</summary>
    public byte[] Encode()
    {
        Span<byte> msgId = stackalloc byte[ErlangCodec.MsgIdLength];
        ErlangCodec.WriteMsgIdKey(MsgId, msgId);
        return ErlangCodec.Message(Command, PacketSource.Server, GroupId, msgId, Uids, Payload);
    }
}

/// <summary>What one simulated user received (recorded once per delivery, not per resend).</summary>
public sealed record SimulatedDelivery(uint ToUid, SimulatedPush Push)
{
    public string Text => Push.Text;

    public string MsgId => Push.MsgId;
}

/// <summary>An account in the simulator's user centre.</summary>
public sealed record SimulatedUser(string Username, string Password, uint Uid)
{
    public override string ToString() => $"{Username} (uid {Uid})";
}
