using System.Globalization;
using System.Text;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.ProtobufIm.Wire;
using Bridge.Contracts.V1;
using Google.Protobuf;

namespace Bridge.Connectors.ProtobufIm;

/// <summary>
/// Converts between the server's messages and the bridge's normalized ones. Message types follow
/// the model comment and SwiftIM: 1 text (raw UTF-8), 2 image, 3 voice, 4 video, 5 file (the URL
/// string as UTF-8).
/// </summary>
public static class ImMessageMapper
{
    public const int TextType = 1;
    public const int ImageType = 2;
    public const int VoiceType = 3;
    public const int VideoType = 4;
    public const int FileType = 5;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    /// <summary>The endpoint a received message belongs to: the group, else the direct conversation with its sender.</summary>
    public static EndpointRef Conversation(string connector, PushMessage message, string self) => Conversation(connector, ImPush.From(message), self);

    /// <inheritdoc cref="Conversation(string, PushMessage, string)"/>
    public static EndpointRef Conversation(string connector, in ImPush message, string self)
    {
        if (message.GroupId.Length > 0)
        {
            return new EndpointRef(connector, EndpointKind.Group, message.GroupId);
        }

        var other = message.SenderId == self ? message.ReceiverId : message.SenderId;
        return new EndpointRef(connector, EndpointKind.User, other);
    }

    /// <summary>The event id: the origin marker when a (newer) server kept it, else derived from the server id.</summary>
    private static Guid EventId(string connector, string? originMarker, string messageId) =>
        OriginMarker.TryParse(originMarker, out var origin) ? origin : EventIds.ForIngest(connector, messageId);

    public static MessagePosted ToPosted(string connector, PushMessage message, string self, DateTimeOffset receivedAt) =>
        ToPosted(connector, ImPush.From(message), self, receivedAt);

    public static MessagePosted ToPosted(string connector, in ImPush message, string self, DateTimeOffset receivedAt)
    {
        var content = message.Content;
        var messageId = message.MessageId.ToString(); // made once: the event id's input and the native id
        var body = message.MessageType switch
        {
            ImageType => MessageBody.Media(BodyKind.Image, content.ToString()),
            VoiceType => MessageBody.Media(BodyKind.Audio, content.ToString()),
            VideoType => MessageBody.Media(BodyKind.Video, content.ToString()),
            FileType => MessageBody.Media(BodyKind.File, content.ToString()),
            _ => content.TextBody(),
        };
        var sentMs = message.SendTime > 0 ? message.SendTime : message.ServerTime;
        var sentAt = sentMs > 0 && sentMs < 253_402_300_800_000 ? DateTimeOffset.FromUnixTimeMilliseconds(sentMs) : receivedAt;
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["conversationId"] = message.ConversationId,
            ["clientMsgId"] = message.ClientMsgId.ToString(),
            ["seq"] = message.Seq.ToString(CultureInfo.InvariantCulture),
        };
        return new MessagePosted(
            EventId(connector, message.Origin, messageId),
            Conversation(connector, message, self),
            new Participant(connector, message.SenderId),
            body,
            messageId,
            sentAt,
            receivedAt,
            Attributes: attributes);
    }

    public static MessageDeleted ToDeleted(string connector, RevokeMessagePush push, string self, DateTimeOffset receivedAt)
    {
        var conversation = push.ConversationId.StartsWith(ImConversationIds.GroupPrefix, StringComparison.Ordinal)
            ? new EndpointRef(connector, EndpointKind.Group, push.ConversationId[ImConversationIds.GroupPrefix.Length..])
            : new EndpointRef(connector, EndpointKind.User, ImConversationIds.OtherParty(push.ConversationId, self) ?? push.RevokedBy);
        var at = push.RevokedTime > 0 && push.RevokedTime < 253_402_300_800_000 ? DateTimeOffset.FromUnixTimeMilliseconds(push.RevokedTime) : receivedAt;
        return new MessageDeleted(
            EventIds.ForIngest(connector, "revoke:" + push.MessageId),
            conversation,
            push.RevokedBy.Length > 0 ? new Participant(connector, push.RevokedBy) : null,
            push.MessageId,
            at);
    }

    /// <summary>The message type and content for a body (media as its URL; media without a URL as text); the content goes out as UTF-8.</summary>
    public static (int Type, string Content) ToContent(MessageBody body)
    {
        var (type, content) = ToOutboundContent(body);
        return (type, content.ToString());
    }

    /// <summary><see cref="ToContent"/> with a text the body holds as UTF-8 kept so.</summary>
    public static (int Type, OutboundText Content) ToOutboundContent(MessageBody body)
    {
        if (body.TryGetPlainUtf8(out var utf8) && !utf8.Span.Contains((byte)0))
        {
            return (TextType, new OutboundText(utf8));
        }

        var type = body.Kind switch
        {
            BodyKind.Image => ImageType,
            BodyKind.Audio => VoiceType,
            BodyKind.Video => VideoType,
            BodyKind.File => FileType,
            _ => TextType,
        };
        var text = type != TextType && !string.IsNullOrEmpty(body.Url) ? body.Url : body.AsPlainText();
        if (type != TextType && string.IsNullOrEmpty(body.Url))
        {
            type = TextType;
        }

        // The server stores content in a text column: NUL cannot be stored (the save fails), so it is replaced.
        if (text.Contains('\0', StringComparison.Ordinal))
        {
            text = text.Replace('\0', '\uFFFD');
        }

        return (type, new OutboundText(text));
    }

    /// <summary>The SEND_MSG_REQ body for an outbound message; null for an endpoint kind v1 has no equivalent of.</summary>
    public static ImSendRequest? ToSendRequest(OutboundMessage message, string self, long nowMs)
    {
        var target = message.Target.NativeId;
        string receiver = string.Empty, group = string.Empty, conversation;
        switch (message.Target.Kind)
        {
            case EndpointKind.User:
                receiver = target;
                conversation = ImConversationIds.Single(self, target);
                break;
            case EndpointKind.Group:
                group = target;
                conversation = ImConversationIds.Group(target);
                break;
            default:
                return null;
        }

        var (type, content) = ToOutboundContent(message.Body);
        return new ImSendRequest(message.IdempotencyKey, conversation, self, receiver, group, type, content, nowMs, OriginMarker.Format(message.EventId));
    }
}
