using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Rtm.Fpnn;

namespace Bridge.Connectors.Rtm;

/// <summary>
/// Encoders for the quests the connector sends. Int64 fields (uid, to, gid, rid, mid, from, xid,
/// ouid, begin, end, lastid) go out as <c>d3</c> like the JS SDK; the rest in the smallest format.
/// The key order matches the JS SDK (protocol doc §15).
/// </summary>
public static class RtmQuests
{
    public static FpnnPacketWriter Auth(uint seq, long pid, long uid, string token, string? version, IReadOnlyDictionary<string, string>? attrs)
    {
        var packet = FpnnPacketWriter.Quest(RtmMethods.Auth, seq);
        var w = packet.Payload;
        w.WriteMapHeader(3 + (version is null ? 0 : 1) + (attrs is { Count: > 0 } ? 1 : 0));
        w.WriteString("pid"u8);
        w.WriteInt64(pid);
        w.WriteString("uid"u8);
        w.WriteInt64Fixed(uid);
        w.WriteString("token"u8);
        w.WriteString(token);
        if (version is not null)
        {
            w.WriteString("version"u8);
            w.WriteString(version);
        }

        if (attrs is { Count: > 0 })
        {
            w.WriteString("attrs"u8);
            w.WriteMapHeader(attrs.Count);
            foreach (var (key, value) in attrs)
            {
                w.WriteString(key);
                w.WriteString(value);
            }
        }

        return packet;
    }

    public static FpnnPacketWriter Which(uint seq, long pid, long uid, string addrType, string version, string sdkVersion)
    {
        var packet = FpnnPacketWriter.Quest(RtmMethods.Which, seq);
        var w = packet.Payload;
        w.WriteMapHeader(6);
        w.WriteString("pid"u8);
        w.WriteInt64(pid);
        w.WriteString("uid"u8);
        w.WriteInt64Fixed(uid);
        w.WriteString("what"u8);
        w.WriteString("rtmGated"u8);
        w.WriteString("addrType"u8);
        w.WriteString(addrType);
        w.WriteString("version"u8);
        w.WriteString(version);
        w.WriteString("sdk_version"u8);
        w.WriteString(sdkVersion);
        return packet;
    }

    public static FpnnPacketWriter Send(uint seq, RtmConversationType type, long target, long mid, int mtype, string msg, string attrs) =>
        Send(seq, type, target, mid, mtype, new OutboundText(msg), attrs);

    /// <summary>A send whose text may already be UTF-8 (written as it is).</summary>
    public static FpnnPacketWriter Send(uint seq, RtmConversationType type, long target, long mid, int mtype, OutboundText msg, string attrs)
    {
        var packet = FpnnPacketWriter.Quest(RtmMethods.Send(type), seq);
        var w = packet.Payload;
        w.WriteMapHeader(5);
        w.WriteString(RtmMethods.TargetKey(type));
        w.WriteInt64Fixed(target);
        w.WriteString("mid"u8);
        w.WriteInt64Fixed(mid);
        w.WriteString("mtype"u8);
        w.WriteInt64(mtype);
        w.WriteString("msg"u8);
        if (msg.IsUtf8)
        {
            w.WriteString(msg.Utf8);
        }
        else
        {
            w.WriteString(msg.ToString());
        }

        w.WriteString("attrs"u8);
        w.WriteString(attrs);
        return packet;
    }

    public static FpnnPacketWriter EnterRoom(uint seq, long rid) => RoomQuest(RtmMethods.EnterRoom, seq, rid);

    public static FpnnPacketWriter LeaveRoom(uint seq, long rid) => RoomQuest(RtmMethods.LeaveRoom, seq, rid);

    /// <summary>A forward history page: <c>desc:false</c> from <paramref name="begin"/> after <paramref name="lastId"/>.</summary>
    public static FpnnPacketWriter History(uint seq, RtmConversationType type, long target, int num, long begin, long lastId)
    {
        var packet = FpnnPacketWriter.Quest(RtmMethods.History(type), seq);
        var w = packet.Payload;
        var hasTarget = type != RtmConversationType.Broadcast;
        w.WriteMapHeader(hasTarget ? 5 : 4);
        if (hasTarget)
        {
            w.WriteString(RtmMethods.TargetKey(type, history: true));
            w.WriteInt64Fixed(target);
        }

        w.WriteString("desc"u8);
        w.WriteBoolean(false);
        w.WriteString("num"u8);
        w.WriteInt64(num);
        w.WriteString("begin"u8);
        w.WriteInt64Fixed(begin);
        w.WriteString("lastid"u8);
        w.WriteInt64Fixed(lastId);
        return packet;
    }

    public static FpnnPacketWriter DelMsg(uint seq, long from, long mid, long xid, RtmConversationType type)
    {
        var packet = FpnnPacketWriter.Quest(RtmMethods.DelMsg, seq);
        var w = packet.Payload;
        w.WriteMapHeader(4);
        w.WriteString("from"u8);
        w.WriteInt64Fixed(from);
        w.WriteString("mid"u8);
        w.WriteInt64Fixed(mid);
        w.WriteString("xid"u8);
        w.WriteInt64Fixed(xid);
        w.WriteString("type"u8);
        w.WriteInt64((int)type);
        return packet;
    }

    public static FpnnPacketWriter Bye(uint seq) => FpnnPacketWriter.Quest(RtmMethods.Bye, seq);

    private static FpnnPacketWriter RoomQuest(string method, uint seq, long rid)
    {
        var packet = FpnnPacketWriter.Quest(method, seq);
        packet.Payload.WriteMapHeader(1);
        packet.Payload.WriteString("rid"u8);
        packet.Payload.WriteInt64Fixed(rid);
        return packet;
    }
}
