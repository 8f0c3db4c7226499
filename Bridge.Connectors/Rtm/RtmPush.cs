using Bridge.Connectors.Rtm.MsgPack;

namespace Bridge.Connectors.Rtm;

/// <summary>
/// A message push (<c>pushmsg</c>, <c>pushgroupmsg</c>, <c>pushroommsg</c>, <c>pushbroadcastmsg</c>)
/// or a history item, decoded. <see cref="Target"/> is <c>to</c>/<c>gid</c>/<c>rid</c> (0 for broadcast).
/// </summary>
public readonly record struct RtmPush(
    RtmConversationType Type,
    long From,
    long Target,
    long Mid,
    int Mtype,
    string Msg,
    string Attrs,
    long MTime,
    long HistoryId = 0,
    bool Deleted = false);

/// <summary>Decodes push payloads and history items; malformed input gives an error text, never an exception.</summary>
public static class RtmPushDecoder
{
    /// <summary>The conversation type of a push method, or null when the method is not a message push.</summary>
    public static RtmConversationType? TypeOf(ReadOnlySpan<byte> method) =>
        method.SequenceEqual("pushmsg"u8) ? RtmConversationType.P2P
        : method.SequenceEqual("pushgroupmsg"u8) ? RtmConversationType.Group
        : method.SequenceEqual("pushroommsg"u8) ? RtmConversationType.Room
        : method.SequenceEqual("pushbroadcastmsg"u8) ? RtmConversationType.Broadcast
        : null;

    public static bool TryDecode(RtmConversationType type, ReadOnlySpan<byte> payload, out RtmPush push, out string? error)
    {
        push = default;
        try
        {
            var reader = new MsgPackReader(payload);
            long from = 0, target = 0, mid = 0, mtime = 0;
            int mtype = 0;
            string msg = string.Empty, attrs = string.Empty;
            bool hasFrom = false, hasTarget = false, hasMid = false, hasMtype = false;
            for (var n = reader.ReadMapHeader(); n > 0; n--)
            {
                if (reader.PeekType() is not (MsgPackType.String or MsgPackType.Binary))
                {
                    reader.Skip();
                    reader.Skip();
                    continue;
                }

                var key = reader.ReadBytes();
                if (key.SequenceEqual("from"u8))
                {
                    from = reader.ReadInt64();
                    hasFrom = true;
                }
                else if (key.SequenceEqual("to"u8) || key.SequenceEqual("gid"u8) || key.SequenceEqual("rid"u8))
                {
                    target = reader.ReadInt64();
                    hasTarget = true;
                }
                else if (key.SequenceEqual("mid"u8))
                {
                    mid = reader.ReadInt64();
                    hasMid = true;
                }
                else if (key.SequenceEqual("mtype"u8))
                {
                    mtype = reader.ReadInt32();
                    hasMtype = true;
                }
                else if (key.SequenceEqual("msg"u8))
                {
                    msg = ReadMsg(ref reader);
                }
                else if (key.SequenceEqual("attrs"u8))
                {
                    attrs = ReadText(ref reader);
                }
                else if (key.SequenceEqual("mtime"u8))
                {
                    mtime = reader.ReadInt64();
                }
                else
                {
                    reader.Skip();
                }
            }

            var missing = !hasFrom ? "from" : !hasMid ? "mid" : !hasMtype ? "mtype" : !hasTarget && type != RtmConversationType.Broadcast ? RtmMethods.TargetKey(type) : null;
            if (missing is not null)
            {
                error = $"push without '{missing}'";
                return false;
            }

            push = new RtmPush(type, from, target, mid, mtype, msg, attrs, mtime);
            error = null;
            return true;
        }
        catch (MsgPackException ex)
        {
            error = ex.Message;
            return false;
        }
    }

    /// <summary>
    /// A history item <c>[id, from, mtype, mid, deleted, msg, attrs, mtime]</c>. In <c>getp2pmsg</c>
    /// item[1] is the direction (1 sent by us, 2 received), which the caller resolves.
    /// </summary>
    public static RtmPush ReadHistoryItem(ref MsgPackReader reader, RtmConversationType type, long target)
    {
        var count = reader.ReadArrayHeader();
        if (count < 8)
        {
            throw new MsgPackException($"history item has {count} fields, expected 8");
        }

        var id = reader.ReadInt64();
        var from = reader.ReadInt64();
        var mtype = reader.ReadInt32();
        var mid = reader.ReadInt64();
        var deleted = reader.PeekType() == MsgPackType.Boolean ? reader.ReadBoolean() : reader.ReadInt64() != 0;
        var msg = ReadMsg(ref reader);
        var attrs = ReadText(ref reader);
        var mtime = reader.ReadInt64();
        for (var extra = count - 8; extra > 0; extra--)
        {
            reader.Skip();
        }

        return new RtmPush(type, from, target, mid, mtype, msg, attrs, mtime, id, deleted);
    }

    /// <summary>msg: a str/bin, or the chat map <c>{source, target, sourceText, targetText}</c> (sourceText wins).</summary>
    private static string ReadMsg(ref MsgPackReader reader)
    {
        if (reader.PeekType() != MsgPackType.Map)
        {
            return ReadText(ref reader);
        }

        string? source = null, target = null;
        for (var n = reader.ReadMapHeader(); n > 0; n--)
        {
            if (reader.PeekType() is not (MsgPackType.String or MsgPackType.Binary))
            {
                reader.Skip();
                reader.Skip();
                continue;
            }

            var key = reader.ReadBytes();
            if (key.SequenceEqual("sourceText"u8))
            {
                source = ReadText(ref reader);
            }
            else if (key.SequenceEqual("targetText"u8))
            {
                target = ReadText(ref reader);
            }
            else
            {
                reader.Skip();
            }
        }

        return !string.IsNullOrEmpty(source) ? source : target ?? string.Empty;
    }

    /// <summary>A str or bin (UTF-8) value; nil is empty.</summary>
    private static string ReadText(ref MsgPackReader reader)
    {
        if (reader.TryReadNil())
        {
            return string.Empty;
        }

        var bytes = reader.ReadBytes();
        return bytes.IsEmpty ? string.Empty : MsgPackReader.DecodeUtf8(bytes);
    }
}
