using Bridge.Connectors.Abstractions;
using System.Text;
using Bridge.Connectors.ProtobufIm.Wire;
using Google.Protobuf;

namespace Bridge.Connectors.ProtobufIm;

/// <summary>
/// A SEND_MSG_REQ body (<c>SendMessageRequest</c>) written by hand, byte for byte what the generated
/// code writes: fields in number order, proto3 defaults left out, the origin marker as the one
/// <c>extra</c> entry. The content goes straight into the frame, copied when the body held it as
/// UTF-8, else transcoded from the text, so a 60 KB text costs no byte array and no ByteString of
/// its own on its way out (the frame itself is a
/// rented buffer, see <see cref="ImLink"/>). Text is encoded as the mapper always did: a lone
/// surrogate becomes U+FFFD.
/// </summary>
public readonly struct ImSendRequest : IImFrameBody
{
    private const byte ClientMsgIdTag = (1 << 3) | 2;
    private const byte ConversationIdTag = (2 << 3) | 2;
    private const byte SenderIdTag = (3 << 3) | 2;
    private const byte ReceiverIdTag = (4 << 3) | 2;
    private const byte GroupIdTag = (5 << 3) | 2;
    private const byte MessageTypeTag = (6 << 3) | 0;
    private const byte ContentTag = (7 << 3) | 2;
    private const byte SendTimeTag = (8 << 3) | 0;
    private const byte ExtraTag = (10 << 3) | 2;
    private const byte EntryKeyTag = (1 << 3) | 2;
    private const byte EntryValueTag = (2 << 3) | 2;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    private readonly OutboundText _content;

    public ImSendRequest(string clientMsgId, string conversationId, string senderId, string receiverId, string groupId,
        int messageType, string content, long sendTime, string origin)
        : this(clientMsgId, conversationId, senderId, receiverId, groupId, messageType, new OutboundText(content), sendTime, origin)
    {
    }

    public ImSendRequest(string clientMsgId, string conversationId, string senderId, string receiverId, string groupId,
        int messageType, OutboundText content, long sendTime, string origin)
    {
        ClientMsgId = clientMsgId;
        ConversationId = conversationId;
        SenderId = senderId;
        ReceiverId = receiverId;
        GroupId = groupId;
        MessageType = messageType;
        _content = content;
        ContentBytes = content.ByteCount;
        SendTime = sendTime;
        Origin = origin;
    }

    public string ClientMsgId { get; }

    public string ConversationId { get; }

    public string SenderId { get; }

    public string ReceiverId { get; }

    public string GroupId { get; }

    public int MessageType { get; }

    /// <summary>The content as text; on the wire its UTF-8 bytes (<see cref="ContentBytes"/> of them).</summary>
    public string Content => _content.ToString();

    public int ContentBytes { get; }

    public long SendTime { get; }

    /// <summary>The value of <c>extra[bridgeOrigin]</c> (<see cref="OriginMarker"/>).</summary>
    public string Origin { get; }

    public int CalculateSize()
    {
        var size = StringSize(ClientMsgId) + StringSize(ConversationId) + StringSize(SenderId) + StringSize(ReceiverId) + StringSize(GroupId);
        size += MessageType == 0 ? 0 : 1 + CodedOutputStream.ComputeInt32Size(MessageType);
        size += ContentBytes == 0 ? 0 : 1 + CodedOutputStream.ComputeLengthSize(ContentBytes) + ContentBytes;
        size += SendTime == 0 ? 0 : 1 + CodedOutputStream.ComputeInt64Size(SendTime);
        var entry = EntrySize();
        return size + 1 + CodedOutputStream.ComputeLengthSize(entry) + entry;
    }

    public void WriteTo(Span<byte> destination)
    {
        var at = 0;
        WriteString(destination, ref at, ClientMsgIdTag, ClientMsgId);
        WriteString(destination, ref at, ConversationIdTag, ConversationId);
        WriteString(destination, ref at, SenderIdTag, SenderId);
        WriteString(destination, ref at, ReceiverIdTag, ReceiverId);
        WriteString(destination, ref at, GroupIdTag, GroupId);
        if (MessageType != 0)
        {
            destination[at++] = MessageTypeTag;
            ImCodec.WriteVarint(destination, ref at, (ulong)(long)MessageType);
        }

        if (ContentBytes != 0)
        {
            destination[at++] = ContentTag;
            ImCodec.WriteVarint(destination, ref at, (ulong)ContentBytes);
            at += _content.WriteUtf8(destination[at..]);
        }

        if (SendTime != 0)
        {
            destination[at++] = SendTimeTag;
            ImCodec.WriteVarint(destination, ref at, (ulong)SendTime);
        }

        destination[at++] = ExtraTag;
        ImCodec.WriteVarint(destination, ref at, (ulong)EntrySize());
        WriteString(destination, ref at, EntryKeyTag, OriginMarker.Key, evenEmpty: true);
        WriteString(destination, ref at, EntryValueTag, Origin, evenEmpty: true);
        if (at != destination.Length)
        {
            throw new InvalidOperationException($"SendMessageRequest wrote {at} of {destination.Length} bytes");
        }
    }

    /// <summary>The same request as the generated message (tests and comparisons).</summary>
    public SendMessageRequest ToMessage() => new()
    {
        ClientMsgId = ClientMsgId,
        ConversationId = ConversationId,
        SenderId = SenderId,
        ReceiverId = ReceiverId,
        GroupId = GroupId,
        MessageType = MessageType,
        Content = ByteString.CopyFrom(Content, Utf8),
        SendTime = SendTime,
        Extra = { [OriginMarker.Key] = Origin },
    };

    // The entry's key and value (neither is ever empty) are both written.
    private int EntrySize() => 2 + LengthAndBytes(Utf8.GetByteCount(OriginMarker.Key)) + LengthAndBytes(Utf8.GetByteCount(Origin));

    private static int StringSize(string value) => value.Length == 0 ? 0 : 1 + LengthAndBytes(Utf8.GetByteCount(value));

    private static int LengthAndBytes(int bytes) => CodedOutputStream.ComputeLengthSize(bytes) + bytes;

    /// <summary>A string field: left out when empty (proto3), except inside a map entry.</summary>
    private static void WriteString(Span<byte> destination, ref int at, byte tag, string value, bool evenEmpty = false)
    {
        if (value.Length == 0 && !evenEmpty)
        {
            return;
        }

        var bytes = Utf8.GetByteCount(value);
        destination[at++] = tag;
        ImCodec.WriteVarint(destination, ref at, (ulong)bytes);
        at += Utf8.GetBytes(value, destination[at..]);
    }
}
