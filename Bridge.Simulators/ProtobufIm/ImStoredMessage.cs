using Bridge.Connectors.ProtobufIm.Wire;
using Google.Protobuf;

namespace Bridge.Simulators.ProtobufIm;

/// <summary>One row of the simulated <c>messages</c> table.</summary>
public sealed class ImStoredMessage
{
    public required string ServerId { get; init; }

    public required string ClientMsgId { get; init; }

    public required string ConversationId { get; init; }

    public required string SenderId { get; init; }

    public required string ReceiverId { get; init; }

    public required string GroupId { get; init; }

    public required int MessageType { get; init; }

    public required ByteString Content { get; init; }

    public required long SendTime { get; init; }

    public required long ServerTime { get; init; }

    public required long Seq { get; init; }

    /// <summary>Status 4 in the real table.</summary>
    public bool Revoked { get; set; }

    public string Text => Content.ToStringUtf8();

    /// <summary>As pushed and synced: no <c>extra</c> (v1 drops it).</summary>
    public PushMessage ToPush() => new()
    {
        MessageId = ServerId,
        ClientMsgId = ClientMsgId,
        ConversationId = ConversationId,
        SenderId = SenderId,
        ReceiverId = ReceiverId,
        GroupId = GroupId,
        MessageType = MessageType,
        Content = Content,
        SendTime = SendTime,
        ServerTime = ServerTime,
        Seq = Seq,
    };
}
