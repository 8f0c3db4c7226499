namespace Bridge.Connectors.Rtm;

/// <summary>RTM conversation categories as <c>delmsg</c>/<c>getmsg</c> number them.</summary>
public enum RtmConversationType
{
    P2P = 1,
    Group = 2,
    Room = 3,
    Broadcast = 4,
}

/// <summary>RTM and FPNN error codes the connector and the simulator use (protocol doc §11).</summary>
public static class RtmErrorCodes
{
    public const int KeyNotFound = 10009;
    public const int TypeConversion = 10010;
    public const int Unknown = 20001;
    public const int Closed = 20002;
    public const int Timeout = 20003;
    public const int UnknownMethod = 20004;
    public const int InvalidMtype = 200005;
    public const int Unauthorized = 200022;
    public const int DuplicatedAuth = 200023;
    public const int AuthDenied = 200024;
    public const int AdminLogin = 200025;
    public const int InvalidToken = 200027;
    public const int NotInRoom = 200040;
    public const int NotGroupMember = 200041;
    public const int DuplicatedMid = 200053;

    /// <summary>Codes that mean "these credentials will not work": back off long, do not hammer.</summary>
    public static bool IsCredentialFailure(long code) => code is >= Unauthorized and <= InvalidToken;
}

/// <summary>RTM message types (protocol doc §9).</summary>
public static class RtmMtypes
{
    public const int Chat = 30;
    public const int AudioChat = 31;
    public const int Image = 40;
    public const int Audio = 41;
    public const int Video = 42;
    public const int VoiceFile = 43;
    public const int File = 50;
    public const int FirstCustom = 51;
    public const int Max = 127;

    public static bool IsFile(int mtype) => mtype is AudioChat or (>= Image and <= File);
}

/// <summary>RTM method names.</summary>
public static class RtmMethods
{
    public const string Auth = "auth";
    public const string Which = "which";
    public const string Bye = "bye";
    public const string EnterRoom = "enterroom";
    public const string LeaveRoom = "leaveroom";
    public const string DelMsg = "delmsg";
    public const string Ping = "ping";
    public const string Kickout = "kickout";
    public const string KickoutRoom = "kickoutroom";
    public const string PushMsg = "pushmsg";
    public const string PushGroupMsg = "pushgroupmsg";
    public const string PushRoomMsg = "pushroommsg";
    public const string PushBroadcastMsg = "pushbroadcastmsg";

    public static string Send(RtmConversationType type) => type switch
    {
        RtmConversationType.P2P => "sendmsg",
        RtmConversationType.Group => "sendgroupmsg",
        RtmConversationType.Room => "sendroommsg",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "no send method"),
    };

    public static string Push(RtmConversationType type) => type switch
    {
        RtmConversationType.P2P => PushMsg,
        RtmConversationType.Group => PushGroupMsg,
        RtmConversationType.Room => PushRoomMsg,
        _ => PushBroadcastMsg,
    };

    public static string History(RtmConversationType type) => type switch
    {
        RtmConversationType.P2P => "getp2pmsg",
        RtmConversationType.Group => "getgroupmsg",
        RtmConversationType.Room => "getroommsg",
        _ => "getbroadcastmsg",
    };

    /// <summary>The id key of a conversation in send/history quests and pushes.</summary>
    public static string TargetKey(RtmConversationType type, bool history = false) => type switch
    {
        RtmConversationType.P2P => history ? "ouid" : "to",
        RtmConversationType.Group => "gid",
        RtmConversationType.Room => "rid",
        _ => string.Empty,
    };
}
