using System.Globalization;
using System.Net.WebSockets;
using Bridge.Connectors.Xnest;

namespace Bridge.Simulators.Xnest;

/// <summary>A command the server executed (a text that was not posted as chat).</summary>
public sealed record XnestSimCommand(string Room, string Pid, string Name, string Text);

/// <summary>A text frame a client sent, as the server received it.</summary>
public sealed record XnestSimText(string Room, string Pid, string Text);

/// <summary>
/// One room process: its members (robot included), the text and binary handling of
/// <c>xgate_websocket_handler</c>/<c>xnest</c>, broadcasts in one order for everyone.
/// </summary>
public sealed class XnestSimRoom
{
    private readonly XnestSimulator _server;
    private readonly List<XnestSimMember> _members = [];
    private readonly object _gate = new();
    private long _onlyRobotSince = -1;

    internal XnestSimRoom(XnestSimulator server, string name, bool storeHistory, XnestSimHistory history)
    {
        _server = server;
        Name = name;
        StoreHistory = storeHistory;
        History = history;
        Robot = new XnestSimMember(this, server.NewPid(), server.Options.RobotNickname, hasSocket: false, isRobot: true, server.Options.RecordLimit);
        _members.Add(Robot);
    }

    public string Name { get; }

    /// <summary>Fixed when the room was created (by its first joiner).</summary>
    public bool StoreHistory { get; }

    public XnestSimMember Robot { get; }

    internal XnestSimHistory History { get; }

    public bool Stopped { get; private set; }

    public IReadOnlyList<XnestSimMember> Members
    {
        get
        {
            lock (_gate)
            {
                return _members.ToArray();
            }
        }
    }

    private XnestSimulatorOptions Options => _server.Options;

    private string Now() => XnestSendTime.FormatLive((Options.Time.GetUtcNow() + Options.UtcOffset).DateTime);

    private string Today() => XnestSendTime.FormatDate((Options.Time.GetUtcNow() + Options.UtcOffset).DateTime);

    private byte[] Frame(string from, XnestFrameType type, string? text = null, long? number = null,
        IReadOnlyList<XnestMember>? members = null, IReadOnlyList<XnestHistoryItem>? history = null) =>
        XnestCodec.Encode(new XnestFrame(from, Name, type, Now(), text, number, members, history));

    /// <summary>A new member joins: self, member_count, members, history page 0 to it; join to everyone.</summary>
    internal bool TryJoin(XnestSimMember member)
    {
        lock (_gate)
        {
            if (Stopped)
            {
                return false;
            }

            _members.Add(member);
            _onlyRobotSince = -1;
            if (Options.JoinBeforeSelf)
            {
                BroadcastLocked(Frame(member.Pid, XnestFrameType.Join, member.Nickname));
            }

            member.Deliver(Frame(member.Pid, XnestFrameType.Self, member.Pid));
            member.Deliver(Frame(member.Pid, XnestFrameType.MemberCount, number: _members.Count));
            member.Deliver(Frame(member.Pid, XnestFrameType.Members, members: _members.Select(m => new XnestMember(m.Pid, m.Nickname)).ToArray()));
            member.Deliver(Frame(member.Pid, XnestFrameType.History, history: History.Page(0)));
            if (!Options.JoinBeforeSelf)
            {
                BroadcastLocked(Frame(member.Pid, XnestFrameType.Join, member.Nickname));
            }

            return true;
        }
    }

    internal void Remove(XnestSimMember member)
    {
        lock (_gate)
        {
            if (!_members.Remove(member))
            {
                return;
            }

            member.MarkGone();
            BroadcastLocked(Frame(member.Pid, XnestFrameType.Leave, "leave"));
            if (_members.Count == 1)
            {
                _onlyRobotSince = Options.Time.GetTimestamp();
            }
        }
    }

    /// <summary>Closes a member's socket with a status (1007, 1011), then it leaves.</summary>
    internal void Crash(XnestSimMember member, WebSocketCloseStatus status)
    {
        member.Close(status);
        Remove(member);
    }

    private void BroadcastLocked(byte[] frame)
    {
        foreach (var m in _members)
        {
            m.Deliver(frame);
        }
    }

    internal void OnText(XnestSimMember sender, string text)
    {
        _server.RecordText(new XnestSimText(Name, sender.Pid, text));
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var head = colon < 0 ? string.Empty : text[..colon];
        var rest = colon < 0 ? string.Empty : text[(colon + 1)..];
        var bar = rest.IndexOf('|', StringComparison.Ordinal);
        switch (head)
        {
            case "@changename":
                _server.RecordCommand(new XnestSimCommand(Name, sender.Pid, "changename", text));
                lock (_gate)
                {
                    sender.Nickname = rest;
                    BroadcastLocked(Frame(sender.Pid, XnestFrameType.ChangeName, rest));
                }

                return;
            case "@history":
                _server.RecordCommand(new XnestSimCommand(Name, sender.Pid, "history", text));
                sender.Deliver(long.TryParse(rest, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var offset)
                    ? Frame(sender.Pid, XnestFrameType.History, history: History.Page(offset))
                    : Frame(sender.Pid, XnestFrameType.Error, "history Cursor error"));
                return;
            case "@to" when bar >= 0:
                _server.RecordCommand(new XnestSimCommand(Name, sender.Pid, "to", text));
                var pid = rest[..bar];
                if (!XnestClientFrames.IsPid(pid))
                {
                    sender.Deliver(Frame(sender.Pid, XnestFrameType.Error, "history Cursor error"));
                    return;
                }

                if (_server.FindMember(pid) is { } target)
                {
                    // The frame names the receiving socket's room.
                    target.Deliver(target.Room.Frame(sender.Pid, XnestFrameType.Private, rest[(bar + 1)..]));
                }

                return;
            case "@call" when bar >= 0:
                _server.RecordCommand(new XnestSimCommand(Name, sender.Pid, "call", text));
                lock (_gate)
                {
                    BroadcastLocked(Frame(sender.Pid, XnestFrameType.Call, rest[(bar + 1)..]));
                }

                return;
        }

        Post(sender, XnestFrameType.Normal, text, "text");
        if (text.StartsWith('@'))
        {
            Post(Robot, XnestFrameType.Normal, Options.RobotAnswer, "text");
        }
    }

    internal void OnBinary(XnestSimMember sender, byte[] data)
    {
        if (data.Length == 0)
        {
            Crash(sender, WebSocketCloseStatus.InternalServerError);
            return;
        }

        if (Options.BugCompatibleUploads)
        {
            foreach (var m in Members.Where(m => !m.IsRobot))
            {
                Crash(m, WebSocketCloseStatus.InternalServerError);
            }

            return;
        }

        var url = _server.StoreUpload(Name, data.AsMemory(1).ToArray());
        var (type, historyType) = data[0] switch
        {
            1 => (XnestFrameType.Audio, "audio"),
            2 => (XnestFrameType.Picture, "picture"),
            _ => (XnestFrameType.File, (string?)null),
        };
        Post(sender, type, url, historyType);
    }

    private void Post(XnestSimMember sender, XnestFrameType type, string payload, string? historyType)
    {
        lock (_gate)
        {
            if (StoreHistory && historyType is not null)
            {
                History.Add(new XnestHistoryItem(sender.Pid, payload, historyType, Today()));
            }

            BroadcastLocked(Frame(sender.Pid, type, payload));
        }
    }

    /// <summary>The room's 5 s tick: stop once only the robot has remained for longer than the idle limit.</summary>
    internal bool TickShouldStop()
    {
        lock (_gate)
        {
            if (_onlyRobotSince >= 0 && Options.Time.GetElapsedTime(_onlyRobotSince) > Options.RoomIdleStop)
            {
                Stopped = true;
            }

            return Stopped;
        }
    }

    /// <summary>Drops every socket (server crash): no leave frames reach anyone.</summary>
    internal void Kill()
    {
        lock (_gate)
        {
            Stopped = true;
            foreach (var m in _members)
            {
                m.MarkGone();
            }

            _members.Clear();
        }
    }
}
