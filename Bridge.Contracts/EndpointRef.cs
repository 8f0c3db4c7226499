namespace Bridge.Contracts.V1;

/// <summary>What kind of conversation an endpoint is on its backend.</summary>
public enum EndpointKind
{
    Room,
    Group,
    User,
}

/// <summary>
/// One conversation on one backend: the connector's configured name, the kind of conversation
/// and the backend's own id for it. Written as <c>connector:kind/nativeId</c>, for example
/// <c>rtm-main:room/1001</c>.
/// </summary>
public sealed record EndpointRef(string Connector, EndpointKind Kind, string NativeId)
{
    /// <summary>The <c>kind/nativeId</c> part, as routes write it.</summary>
    public string Path => $"{KindName(Kind)}/{NativeId}";

    public override string ToString() => $"{Connector}:{Path}";

    public static string KindName(EndpointKind kind) => kind switch
    {
        EndpointKind.Room => "room",
        EndpointKind.Group => "group",
        EndpointKind.User => "user",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown endpoint kind"),
    };

    public static bool TryParseKind(string text, out EndpointKind kind)
    {
        switch (text)
        {
            case "room": kind = EndpointKind.Room; return true;
            case "group": kind = EndpointKind.Group; return true;
            case "user": kind = EndpointKind.User; return true;
            default: kind = default; return false;
        }
    }

    /// <summary>Parses <c>kind/nativeId</c> for the given connector; null with an error text when malformed.</summary>
    public static EndpointRef? TryParsePath(string connector, string path, out string? error)
    {
        var slash = path.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == path.Length - 1)
        {
            error = $"'{path}' is not of the form kind/id (room/…, group/… or user/…)";
            return null;
        }

        if (!TryParseKind(path[..slash], out var kind))
        {
            error = $"'{path[..slash]}' is not an endpoint kind (room, group or user)";
            return null;
        }

        error = null;
        return new EndpointRef(connector, kind, path[(slash + 1)..]);
    }
}
