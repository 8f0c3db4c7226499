namespace Bridge.Connectors.Glide;

/// <summary>The <c>action</c> values of Glide's GlideMessage envelope (protocol doc sections 3-7).</summary>
public static class GlideActions
{
    public const string Hello = "hello";
    public const string Heartbeat = "heartbeat";
    public const string Authenticate = "authenticate";
    public const string NotifySuccess = "notify.success";
    public const string NotifyError = "notify.error";
    public const string NotifyForbidden = "notify.forbidden";
    public const string NotifyKickOut = "notify.kickout";
    public const string NotifyUnknownAction = "notify.unknown.action";
    public const string NotifyState = "notify.state";
    public const string Chat = "message.chat";
    public const string ChatResend = "message.chat.resend";
    public const string Group = "message.group";
    public const string GroupNotify = "message.group.notify";
    public const string Cli = "message.cli";
    public const string AckMessage = "ack.message";
    public const string AckRequest = "ack.request";
    public const string AckNotify = "ack.notify";
    public const string AckOffline = "ack.offline";
    public const string AckGroupMessage = "ack.group.msg";
    public const string StateSubscribe = "api.state.sub";
    public const string GroupMembers = "api.group.members";

    /// <summary>Known actions, so decoding an envelope does not allocate the action string.</summary>
    internal static readonly string[] Known =
    [
        Chat, Group, AckMessage, AckRequest, AckNotify, Heartbeat, Hello, Authenticate, NotifySuccess, NotifyError,
        NotifyForbidden, NotifyKickOut, NotifyUnknownAction, NotifyState, GroupNotify, Cli, ChatResend, AckOffline,
        AckGroupMessage, StateSubscribe, GroupMembers, "internal.online", "internal.offline", "notify.unauthenticated",
    ];

    internal static readonly byte[][] KnownUtf8 = [.. Known.Select(System.Text.Encoding.UTF8.GetBytes)];
}
