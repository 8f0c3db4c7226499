using System.Globalization;

namespace Bridge.Connectors.Rtm;

/// <summary>
/// The native message id the connector reports: what <c>delmsg</c> needs, as
/// <c>type:xid:from:mid</c> (type 1 p2p, 2 group, 3 room; xid = to/gid/rid).
/// </summary>
public readonly record struct RtmNativeId(RtmConversationType Type, long Xid, long From, long Mid)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{(int)Type}:{Xid}:{From}:{Mid}");

    public static bool TryParse(string? text, out RtmNativeId id)
    {
        id = default;
        var parts = text?.Split(':');
        if (parts is not { Length: 4 }
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var type)
            || type is < 1 or > 4
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var xid)
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var from)
            || !long.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var mid))
        {
            return false;
        }

        id = new RtmNativeId((RtmConversationType)type, xid, from, mid);
        return true;
    }
}
