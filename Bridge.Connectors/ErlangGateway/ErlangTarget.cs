using System.Globalization;
using Bridge.Contracts.V1;

namespace Bridge.Connectors.ErlangGateway;

/// <summary>
/// Where a send goes: <c>user/1234</c> → PUBLISH to uid 1234; <c>group/7</c> → GROUP_PUBLISH to
/// group 7; <c>group/7:1234,2345</c> → GROUP_PART_PUBLISH to members 1234 and 2345 of group 7.
/// </summary>
public sealed record ErlangTarget(ErlangCommand Command, uint Id, uint[] Uids)
{
    public static ErlangTarget? TryParse(EndpointRef endpoint, out string? error)
    {
        error = null;
        switch (endpoint.Kind)
        {
            case EndpointKind.User:
                if (TryUid(endpoint.NativeId, out var uid))
                {
                    return new ErlangTarget(ErlangCommand.Publish, uid, []);
                }

                error = $"'{endpoint.NativeId}' is not a numeric uid (0 to 4294967295)";
                return null;
            case EndpointKind.Group:
                return ParseGroup(endpoint.NativeId, out error);
            default:
                error = "the Erlang gateway has no rooms; use user/<uid> or group/<gid>[:<uid>,<uid>…]";
                return null;
        }
    }

    private static ErlangTarget? ParseGroup(string nativeId, out string? error)
    {
        error = null;
        var colon = nativeId.IndexOf(':', StringComparison.Ordinal);
        var groupText = colon < 0 ? nativeId : nativeId[..colon];
        if (!TryUid(groupText, out var gid))
        {
            error = $"'{groupText}' is not a numeric group id";
            return null;
        }

        if (colon < 0)
        {
            return new ErlangTarget(ErlangCommand.GroupPublish, gid, []);
        }

        var parts = nativeId[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0 || parts.Length > ErlangCodec.MaxUids)
        {
            error = $"group member list of '{nativeId}' must name 1 to {ErlangCodec.MaxUids} uids";
            return null;
        }

        var uids = new uint[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!TryUid(parts[i], out uids[i]))
            {
                error = $"'{parts[i]}' in '{nativeId}' is not a numeric uid";
                return null;
            }
        }

        return new ErlangTarget(ErlangCommand.GroupPartPublish, gid, uids);
    }

    private static bool TryUid(string text, out uint value) =>
        uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
