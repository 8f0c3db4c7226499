using System.Globalization;

namespace Bridge.Connectors.Abstractions;

/// <summary>
/// The origin marker the bridge writes into a backend's free-form metadata (RTM attrs, Glide extra,
/// protobuf-IM extra) on every message it sends: the id of the event it relays. A connector that
/// reads a marker on an inbound message uses that event id as the message's <c>EventId</c>, so the
/// sink recognises the message as already ingested: no loops, even through two bridges.
/// </summary>
public static class OriginMarker
{
    /// <summary>The key under which the event id (32 hex digits, Guid "N" format) is written.</summary>
    public const string Key = "bridgeOrigin";

    public static string Format(Guid eventId) => eventId.ToString("N", CultureInfo.InvariantCulture);

    public static bool TryParse(string? value, out Guid eventId) =>
        Guid.TryParseExact(value, "N", out eventId);
}
