namespace Bridge.Connectors.Xnest;

/// <summary>The <c>type</c> of a server frame (protocol doc section 4.1).</summary>
public enum XnestFrameType
{
    Unknown,
    Self,
    MemberCount,
    Members,
    History,
    Join,
    Leave,
    Normal,
    ChangeName,
    Private,
    Call,
    Error,
    Audio,
    Picture,
    File,
}

/// <summary>One entry of a <c>members</c> payload.</summary>
public sealed record XnestMember(string Pid, string Nickname);

/// <summary>
/// One entry of a <c>history</c> payload: <c>send_time</c> is date-only (<c>2015-06-24</c>) and
/// <c>type</c> is <c>text</c>, <c>audio</c> or <c>picture</c> (absent on old servers).
/// </summary>
public sealed record XnestHistoryItem(string From, string Payload, string? Type, string SendTime);

/// <summary>
/// One decoded server frame <c>{from, xnest, type, payload, send_time}</c>. Exactly one payload
/// property is set, by type: <see cref="Text"/> (self, join, leave, normal, changename, private,
/// call, error, audio, picture, file), <see cref="Number"/> (member_count), <see cref="Members"/>
/// or <see cref="History"/>. Unknown types keep their name in <see cref="TypeName"/>. A value
/// type: decoding a room message allocates its text and nothing for the frame itself.
/// </summary>
public readonly record struct XnestFrame(
    string From,
    string Room,
    XnestFrameType Type,
    string SendTime,
    string? Text = null,
    long? Number = null,
    IReadOnlyList<XnestMember>? Members = null,
    IReadOnlyList<XnestHistoryItem>? History = null,
    string? TypeName = null)
{
    public bool Equals(XnestFrame other) =>
        From == other.From && Room == other.Room && Type == other.Type && SendTime == other.SendTime
        && Text == other.Text && Number == other.Number && TypeName == other.TypeName
        && SameItems(Members, other.Members) && SameItems(History, other.History);

    public override int GetHashCode() => HashCode.Combine(From, Room, Type, SendTime, Text, Number);

    private static bool SameItems<T>(IReadOnlyList<T>? a, IReadOnlyList<T>? b) =>
        a is null ? b is null : b is not null && a.SequenceEqual(b);
}
