using Bridge.Connectors.Abstractions;
using Bridge.Connectors.ProtobufIm.Wire;

namespace Bridge.Connectors.ProtobufIm;

/// <summary>
/// A received message as the inbound pipeline needs it: the fields of a <c>PushMessage</c>, with
/// the content as its UTF-8 (invalid UTF-8 decoded to text with U+FFFD, see <see cref="ImContent"/>) and of <c>extra</c> only the
/// origin marker. A value: a live push decodes straight into it from the frame, its own ids as
/// values (<see cref="ImWireId"/>: no string until the event is built).
/// </summary>
public readonly record struct ImPush(
    ImWireId MessageId,
    ImWireId ClientMsgId,
    string ConversationId,
    string SenderId,
    string ReceiverId,
    string GroupId,
    int MessageType,
    ImContent Content,
    long SendTime,
    long ServerTime,
    long Seq,
    string? Origin)
{
    /// <summary>A message parsed by the generated code (sync pages).</summary>
    public static ImPush From(PushMessage message) => new(
        ImWireId.From(message.MessageId),
        ImWireId.From(message.ClientMsgId),
        message.ConversationId,
        message.SenderId,
        message.ReceiverId,
        message.GroupId,
        message.MessageType,
        ImContent.From(message.Content.Span),
        message.SendTime,
        message.ServerTime,
        message.Seq,
        message.Extra.TryGetValue(OriginMarker.Key, out var origin) ? origin : null);
}
