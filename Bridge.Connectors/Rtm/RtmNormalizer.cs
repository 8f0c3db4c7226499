using System.Globalization;
using System.Text.Json;
using Bridge.Connectors.Abstractions;
using Bridge.Contracts.V1;

namespace Bridge.Connectors.Rtm;

/// <summary>Turns decoded RTM messages into normalized events (pure; no I/O).</summary>
public static class RtmNormalizer
{
    private const long MaxUnixMilliseconds = 253402300799999;

    /// <summary>The conversation an RTM message belongs to. P2P: the peer; broadcast: <c>room/broadcast</c>.</summary>
    public static EndpointRef Conversation(string connector, RtmPush push, long selfUid) => push.Type switch
    {
        RtmConversationType.P2P => new EndpointRef(connector, EndpointKind.User, Id(push.From == selfUid ? push.Target : push.From)),
        RtmConversationType.Group => new EndpointRef(connector, EndpointKind.Group, Id(push.Target)),
        RtmConversationType.Room => new EndpointRef(connector, EndpointKind.Room, Id(push.Target)),
        _ => new EndpointRef(connector, EndpointKind.Room, "broadcast"),
    };

    /// <summary>The dedupe key (kind, conversation, from, mid), the same for a push and its history copy.</summary>
    public static string DedupeKey(EndpointRef conversation, RtmPush push) =>
        string.Create(CultureInfo.InvariantCulture, $"{conversation.Path}/{push.From}/{push.Mid}");

    /// <summary>Null (with the reason) when the message is not relayed: own, excluded, or an mtype set to drop.</summary>
    public static MessagePosted? ToPosted(string connector, RtmPush push, RtmOptions options, DateTimeOffset now, out string? dropReason)
    {
        if (push.From == options.Uid)
        {
            dropReason = "own message";
            return null;
        }

        var body = Body(push, options);
        if (body is null)
        {
            dropReason = $"mtype {push.Mtype} is not relayed";
            return null;
        }

        var marker = ReadAttrs(push.Attrs, options.Uid, out var excluded);
        if (excluded)
        {
            dropReason = "the bridge uid is in excludedUids";
            return null;
        }

        var conversation = Conversation(connector, push, options.Uid);
        var eventId = marker ?? EventIds.ForIngest(connector, DedupeKey(conversation, push));
        var nativeId = new RtmNativeId(push.Type, push.Target, push.From, push.Mid);
        dropReason = null;
        return new MessagePosted(
            eventId,
            conversation,
            new Participant(connector, Id(push.From)),
            body,
            nativeId.ToString(),
            push.MTime is > 0 and < MaxUnixMilliseconds ? DateTimeOffset.FromUnixTimeMilliseconds(push.MTime) : now,
            now,
            Attributes: push.Attrs.Length == 0 ? null : new Dictionary<string, string>(StringComparer.Ordinal) { ["rtm.attrs"] = push.Attrs });
    }

    public static MessageBody? Body(RtmPush push, RtmOptions options)
    {
        if (push.Mtype == RtmMtypes.Chat || push.Mtype == options.TextMtype)
        {
            return MessageBody.FromText(push.Msg);
        }

        if (RtmMtypes.IsFile(push.Mtype))
        {
            return FileBody(push);
        }

        return options.OtherMtypes == RtmOtherMtypes.Drop
            ? null
            : new MessageBody(push.Mtype > RtmMtypes.File ? BodyKind.Text : BodyKind.System, push.Msg);
    }

    /// <summary>mtype 31 / 40..50: msg is JSON <c>{url, size, surl}</c> (or a bare URL).</summary>
    private static MessageBody FileBody(RtmPush push)
    {
        var kind = push.Mtype switch
        {
            RtmMtypes.Image => BodyKind.Image,
            RtmMtypes.Audio or RtmMtypes.VoiceFile or RtmMtypes.AudioChat => BodyKind.Audio,
            RtmMtypes.Video => BodyKind.Video,
            _ => BodyKind.File,
        };
        string url = push.Msg;
        long? size = null;
        if (push.Msg.StartsWith('{'))
        {
            try
            {
                using var doc = JsonDocument.Parse(push.Msg);
                if (doc.RootElement.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String)
                {
                    url = u.GetString() ?? string.Empty;
                }

                if (doc.RootElement.TryGetProperty("size", out var s) && s.ValueKind == JsonValueKind.Number && s.TryGetInt64(out var n))
                {
                    size = n;
                }
            }
            catch (JsonException)
            {
                // Not JSON after all: keep msg as the URL.
            }
        }

        var fileName = Uri.TryCreate(url, UriKind.Absolute, out var uri) ? Path.GetFileName(uri.AbsolutePath) : null;
        return MessageBody.Media(kind, url, string.IsNullOrEmpty(fileName) ? null : fileName, size);
    }

    /// <summary>Reads the origin marker and excludedUids from attrs JSON (cheap substring checks first).</summary>
    public static Guid? ReadAttrs(string attrs, long selfUid, out bool excluded)
    {
        excluded = false;
        if (attrs.Length < 2 || attrs[0] != '{'
            || (!attrs.Contains(OriginMarker.Key, StringComparison.Ordinal) && !attrs.Contains("excludedUids", StringComparison.Ordinal)))
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(attrs);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            if (root.TryGetProperty("excludedUids", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                excluded = list.EnumerateArray().Any(e => e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var u) && u == selfUid);
            }

            return root.TryGetProperty(OriginMarker.Key, out var marker) && marker.ValueKind == JsonValueKind.String
                && OriginMarker.TryParse(marker.GetString(), out var id) ? id : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The attrs the bridge writes on every message it sends.</summary>
    public static string OriginAttrs(Guid eventId) => $"{{\"{OriginMarker.Key}\":\"{OriginMarker.Format(eventId)}\"}}";

    private static string Id(long value) => value.ToString(CultureInfo.InvariantCulture);
}
