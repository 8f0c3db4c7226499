using System.Globalization;
using Bridge.Connectors.Rtm;
using Bridge.Connectors.Rtm.Fpnn;
using Bridge.Connectors.Rtm.MsgPack;

namespace Bridge.Simulators.Rtm;

/// <summary>The gate's quest processing.</summary>
public sealed partial class RtmSimulator
{
    /// <summary>False when the connection must close (a framing error).</summary>
    private async Task<bool> HandlePacketAsync(RtmSimConnection c, byte[] data)
    {
        if (!data.AsSpan().StartsWith(FpnnHeader.Magic) && TryUnwrapProxied(data) is { } inner)
        {
            data = inner;
        }

        string method;
        uint seq;
        bool twoWay;
        Dictionary<string, object?> args;
        {
            var status = FpnnDecoder.TryDecode(data, Options.MaxPacketBytes, out var packet, out var consumed, out _);
            if (status != FpnnDecodeStatus.Complete || consumed != data.Length)
            {
                return false; // FPNN closes on a bad header or a length mismatch, without answering
            }

            if (packet.Kind == FpnnPacketKind.Answer)
            {
                if (c.Pending.TryRemove(packet.Seq, out var push))
                {
                    _answers.Enqueue(new RtmSimClientAnswer(c.Uid, packet.Seq, push.Method, packet.Status, DateTimeOffset.UtcNow));
                }

                return true;
            }

            method = System.Text.Encoding.UTF8.GetString(packet.Method);
            seq = packet.Seq;
            twoWay = packet.Kind == FpnnPacketKind.TwoWay;
            try
            {
                args = MsgPackTree.Decode(packet.Payload) as Dictionary<string, object?> ?? throw new MsgPackException("payload is not a map");
            }
            catch (MsgPackException)
            {
                return false;
            }
        }

        object? answer;
        try
        {
            answer = await ProcessAsync(c, method, args).ConfigureAwait(false);
        }
        catch (RtmSimError error)
        {
            if (twoWay)
            {
                await c.SendAsync(FpnnPacketWriter.ErrorAnswer(seq, error.Code, error.Message)).ConfigureAwait(false);
            }

            return true;
        }

        if (twoWay)
        {
            using var packet = FpnnPacketWriter.Answer(seq);
            if (answer is not null)
            {
                MsgPackTree.Write(packet.Payload, answer);
            }

            await c.SendAsync(packet.ToArray()).ConfigureAwait(false);
        }

        return true; // after bye the client closes
    }

    /// <summary>The proxyEndpoint form: <c>msgpack({endpoint, data:bin})</c>; this simulator is its own proxy target.</summary>
    private byte[]? TryUnwrapProxied(byte[] data)
    {
        try
        {
            if (MsgPackTree.Decode(data) is Dictionary<string, object?> map && map.TryGetValue("endpoint", out var endpoint) && endpoint is string target
                && map.TryGetValue("data", out var inner) && inner is byte[] packet)
            {
                _proxyTargets.Enqueue(target);
                return packet;
            }
        }
        catch (MsgPackException)
        {
            // Not a proxy wrapper: the FPNN decoder rejects it.
        }

        return null;
    }

    private async Task<object?> ProcessAsync(RtmSimConnection c, string method, Dictionary<string, object?> args)
    {
        if (method == RtmMethods.Which)
        {
            Str(args, "what");
            return Map(("endpoint", Options.GateEndpoint ?? $"{Url.Host}:{Url.Port}"));
        }

        if (method == RtmMethods.Auth)
        {
            return await AuthAsync(c, args).ConfigureAwait(false);
        }

        if (!c.Authenticated)
        {
            throw new RtmSimError(RtmErrorCodes.Unauthorized, "unauthorized");
        }

        switch (method)
        {
            case "sendmsg":
                return SendAnswer(await ProcessSendAsync(c, c.Uid, RtmConversationType.P2P, Int(args, "to"), Int(args, "mid"), (int)Int(args, "mtype"), Str(args, "msg"), OptStr(args, "attrs")).ConfigureAwait(false));
            case "sendgroupmsg":
                return SendAnswer(await ProcessSendAsync(c, c.Uid, RtmConversationType.Group, Int(args, "gid"), Int(args, "mid"), (int)Int(args, "mtype"), Str(args, "msg"), OptStr(args, "attrs")).ConfigureAwait(false));
            case "sendroommsg":
                return SendAnswer(await ProcessSendAsync(c, c.Uid, RtmConversationType.Room, Int(args, "rid"), Int(args, "mid"), (int)Int(args, "mtype"), Str(args, "msg"), OptStr(args, "attrs")).ConfigureAwait(false));
            case RtmMethods.EnterRoom:
                c.Rooms[Int(args, "rid")] = 0;
                return null;
            case RtmMethods.LeaveRoom:
                c.Rooms.TryRemove(Int(args, "rid"), out _);
                return null;
            case "getroommsg":
                return HistoryAnswer(RtmConversationType.Room, Int(args, "rid"), 0, c.Uid, args);
            case "getgroupmsg":
                return HistoryAnswer(RtmConversationType.Group, Int(args, "gid"), 0, c.Uid, args);
            case "getp2pmsg":
                return HistoryAnswer(RtmConversationType.P2P, c.Uid, Int(args, "ouid"), c.Uid, args);
            case "getbroadcastmsg":
                return HistoryAnswer(RtmConversationType.Broadcast, 0, 0, c.Uid, args);
            case RtmMethods.DelMsg:
                var type = (RtmConversationType)Int(args, "type");
                var found = _history.Find(type, Int(args, "from"), Int(args, "xid"), Int(args, "mid"));
                if (found is not null)
                {
                    found.Deleted = true;
                }

                return null;
            case "getuserrooms":
                return Map(("rooms", c.Rooms.Keys.Select(r => (object?)r).ToList()));
            case "getusergroups":
                return Map(("gids", _groups.Where(g => g.Value.Contains(c.Uid)).Select(g => (object?)g.Key).ToList()));
            case RtmMethods.Bye:
                return null;
            default:
                throw new RtmSimError(RtmErrorCodes.UnknownMethod, $"Unknow method:{method}, type:twoway");
        }
    }

    private async Task<object?> AuthAsync(RtmSimConnection c, Dictionary<string, object?> args)
    {
        var pid = Int(args, "pid");
        var uid = Int(args, "uid");
        var token = Str(args, "token");
        if (c.Authenticated)
        {
            throw new RtmSimError(RtmErrorCodes.DuplicatedAuth, "duplicated auth");
        }

        if (_users.TryGetValue(uid, out var user) && user.Banned)
        {
            throw new RtmSimError(RtmErrorCodes.AuthDenied, "auth denied");
        }

        if ((Options.Pid is { } expected && expected != pid) || user.Token is null || user.Token != token)
        {
            return Map(("ok", false));
        }

        if (!Options.MultiLogin)
        {
            foreach (var older in ConnectionsOf(uid).ToList())
            {
                await older.KickAsync().ConfigureAwait(false);
            }
        }

        c.Uid = uid;
        c.Authenticated = true;
        Interlocked.Increment(ref _logins);
        return Map(("ok", true));
    }

    private static Dictionary<string, object?> SendAnswer(RtmSimSendResult result) =>
        result.Message is { } m ? Map(("mtime", m.MTime)) : throw new RtmSimError(result.ErrorCode, result.Error!);

    private async Task<RtmSimSendResult> ProcessSendAsync(RtmSimConnection? sender, long from, RtmConversationType type, long target, long mid, int mtype, string msg, string attrs)
    {
        if (mtype is < 1 or > RtmMtypes.Max)
        {
            return new RtmSimSendResult(null, RtmErrorCodes.InvalidMtype, "invalid mtype");
        }

        if (type == RtmConversationType.Room && sender is not null && !sender.Rooms.ContainsKey(target))
        {
            return new RtmSimSendResult(null, RtmErrorCodes.NotInRoom, "not in room");
        }

        if (type == RtmConversationType.Group && !(_groups.TryGetValue(target, out var members) && members.Contains(from)))
        {
            return new RtmSimSendResult(null, RtmErrorCodes.NotGroupMember, "not group member");
        }

        if (!_mids.TryAdd((from, mid), 0))
        {
            return new RtmSimSendResult(null, RtmErrorCodes.DuplicatedMid, "duplicated mid");
        }

        var message = _history.Add(type, from, target, mid, mtype, msg, attrs, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        Stored?.Invoke(message);
        await DeliverAsync(sender, message).ConfigureAwait(false);
        return new RtmSimSendResult(message);
    }

    private async Task DeliverAsync(RtmSimConnection? sender, RtmSimMessage m)
    {
        var method = RtmMethods.Push(m.Type);
        IEnumerable<long> recipients = m.Type switch
        {
            RtmConversationType.P2P => [m.Target],
            RtmConversationType.Group => _groups.TryGetValue(m.Target, out var members) ? members.ToArray() : [],
            RtmConversationType.Room => _connections.Values.Where(c => c.Authenticated && c.Rooms.ContainsKey(m.Target)).Select(c => c.Uid)
                .Concat(_virtualRoomMembers.TryGetValue(m.Target, out var v) ? v.Keys : []).Distinct().ToArray(),
            _ => _users.Keys.ToArray(),
        };
        foreach (var uid in recipients)
        {
            if (uid == m.From && !Options.EchoToSender)
            {
                continue;
            }

            _received.GetOrAdd(uid, _ => new()).Enqueue(new RtmSimReceived(method, m));
            foreach (var c in ConnectionsOf(uid))
            {
                if (ReferenceEquals(c, sender) || (m.Type == RtmConversationType.Room && !c.Rooms.ContainsKey(m.Target)))
                {
                    continue;
                }

                await c.PushAsync(method, packet => WritePush(packet, m)).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Push payload, server style: smallest int formats, keys in the gate's order.</summary>
    private void WritePush(FpnnPacketWriter packet, RtmSimMessage m)
    {
        var w = packet.Payload;
        w.WriteMapHeader(m.Type == RtmConversationType.Broadcast ? 6 : 7);
        w.WriteString("from"u8);
        w.WriteInt64(m.From);
        if (m.Type != RtmConversationType.Broadcast)
        {
            w.WriteString(RtmMethods.TargetKey(m.Type));
            w.WriteInt64(m.Target);
        }

        w.WriteString("mid"u8);
        w.WriteInt64(m.Mid);
        w.WriteString("mtype"u8);
        w.WriteInt64(m.Mtype);
        w.WriteString("msg"u8);
        if (m.Mtype == RtmMtypes.Chat && Options.ChatAsMap)
        {
            MsgPackTree.Write(w, Map(("source", string.Empty), ("target", string.Empty), ("sourceText", m.Msg), ("targetText", string.Empty)));
        }
        else
        {
            w.WriteString(m.Msg);
        }

        w.WriteString("attrs"u8);
        w.WriteString(m.Attrs);
        w.WriteString("mtime"u8);
        w.WriteInt64(m.MTime);
    }

    private Dictionary<string, object?> HistoryAnswer(RtmConversationType type, long a, long b, long self, Dictionary<string, object?> args)
    {
        var desc = args.TryGetValue("desc", out var d) && d is true;
        var num = (int)Math.Min(Int(args, "num"), int.MaxValue);
        var page = _history.Page(type, a, b, desc, num, OptInt(args, "begin"), OptInt(args, "end"), OptInt(args, "lastid"));
        var msgs = page.Select(m => (object?)new List<object?>
        {
            m.Id,
            type == RtmConversationType.P2P ? (m.From == self ? 1L : 2L) : m.From,
            (long)m.Mtype,
            m.Mid,
            m.Deleted,
            m.Msg,
            m.Attrs,
            m.MTime,
        }).ToList();
        return Map(
            ("num", (long)page.Count),
            ("lastid", page.Count > 0 ? page[^1].Id : 0L),
            ("begin", page.Count > 0 ? page.Min(m => m.MTime) : 0L),
            ("end", page.Count > 0 ? page.Max(m => m.MTime) : 0L),
            ("msgs", msgs));
    }

    private static Dictionary<string, object?> Map(params (string Key, object? Value)[] entries) =>
        entries.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);

    /// <summary>An integer parameter: any int format or an integral float; missing → 10009, wrong type → 10010.</summary>
    private static long Int(Dictionary<string, object?> args, string key) =>
        args.TryGetValue(key, out var v) ? v switch
        {
            long l => l,
            ulong u when u <= long.MaxValue => (long)u,
            double f when f == Math.Floor(f) && Math.Abs(f) < 9e18 => (long)f,
            string s when long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) => p,
            _ => throw new RtmSimError(RtmErrorCodes.TypeConversion, $"Type convert failed for key {key}"),
        }
        : throw new RtmSimError(RtmErrorCodes.KeyNotFound, $"Can not found key {key}");

    private static long OptInt(Dictionary<string, object?> args, string key) => args.ContainsKey(key) ? Int(args, key) : 0;

    private static string Str(Dictionary<string, object?> args, string key) =>
        args.TryGetValue(key, out var v) ? v switch
        {
            string s => s,
            byte[] b => System.Text.Encoding.UTF8.GetString(b),
            _ => throw new RtmSimError(RtmErrorCodes.TypeConversion, $"Type convert failed for key {key}"),
        }
        : throw new RtmSimError(RtmErrorCodes.KeyNotFound, $"Can not found key {key}");

    private static string OptStr(Dictionary<string, object?> args, string key) => args.ContainsKey(key) ? Str(args, key) : string.Empty;
}

/// <summary>An FPNN error answer the simulated gate sends (always with <c>ex</c>).</summary>
internal sealed class RtmSimError(int code, string ex) : Exception(ex)
{
    public int Code { get; } = code;
}
