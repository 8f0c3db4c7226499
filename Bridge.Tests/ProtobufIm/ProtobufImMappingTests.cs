using Bridge.Connectors.Abstractions;
using Bridge.Connectors.ProtobufIm;
using Bridge.Connectors.ProtobufIm.Wire;
using Bridge.Contracts.V1;
using Bridge.Tests.Infrastructure;
using Google.Protobuf;

namespace Bridge.Tests.ProtobufIm;

public class ProtobufImMappingTests
{
    [Fact]
    public void Conversation_ids_follow_the_client_convention_in_ordinal_order()
    {
        Assert.Equal("single_alice_bob", ImConversationIds.Single("bob", "alice"));
        Assert.Equal("single_alice_bob", ImConversationIds.Single("alice", "bob"));
        Assert.Equal("single_Zed_alice", ImConversationIds.Single("alice", "Zed")); // byte order: 'Z' < 'a'
        Assert.Equal("group_g1", ImConversationIds.Group("g1"));
        Assert.Equal("al_ice", ImConversationIds.OtherParty("single_al_ice_bridge", "bridge"));
        Assert.Equal("zz", ImConversationIds.OtherParty("single_bridge_zz", "bridge"));
        Assert.Null(ImConversationIds.OtherParty("group_g1", "bridge"));
    }

    [Fact]
    public void Sent_message_ids_round_trip()
    {
        var id = new ImSentMessageId("0123456789abcdef0123456789abcdef", 42);
        Assert.Equal("0123456789abcdef0123456789abcdef@42", id.ToString());
        Assert.True(ImSentMessageId.TryParse(id.ToString(), out var parsed));
        Assert.Equal(id, parsed);
        Assert.False(ImSentMessageId.TryParse("1730559834123000", out _));
        Assert.False(ImSentMessageId.TryParse("abc@0", out _));
        Assert.False(ImSentMessageId.TryParse("@5", out _));
    }

    [Theory]
    [InlineData(ErrorCode.ErrUnknown, SendFailureKind.Rejected)]
    [InlineData(ErrorCode.ErrInvalidParam, SendFailureKind.Rejected)]
    [InlineData(ErrorCode.ErrAuthFailed, SendFailureKind.NotConnected)]
    [InlineData(ErrorCode.ErrTokenExpired, SendFailureKind.NotConnected)]
    [InlineData(ErrorCode.ErrPermissionDenied, SendFailureKind.Rejected)]
    [InlineData(ErrorCode.ErrUserNotExist, SendFailureKind.Rejected)]
    [InlineData(ErrorCode.ErrMessageTooLarge, SendFailureKind.TooLarge)]
    [InlineData(ErrorCode.ErrSendTooFast, SendFailureKind.Timeout)]
    [InlineData(ErrorCode.ErrConversationNotExist, SendFailureKind.Rejected)]
    [InlineData((ErrorCode)999, SendFailureKind.Rejected)]
    public void Every_error_code_maps_to_a_typed_failure(ErrorCode code, SendFailureKind kind)
    {
        var result = ImErrorCodes.ToFailure(code, "text", "send");
        Assert.False(result.Succeeded);
        Assert.Equal(kind, result.Failure);
        Assert.Contains(ImErrorCodes.Name(code), result.Reason, StringComparison.Ordinal);
        if (kind == SendFailureKind.Rejected)
        {
            Assert.Equal(ImErrorCodes.Name(code), result.Code);
        }
    }

    [Fact]
    public void Outbound_messages_become_send_requests_per_endpoint_kind()
    {
        var eventId = Guid.NewGuid();
        var toUser = new OutboundMessage(new EndpointRef("pbim", EndpointKind.User, "alice"), MessageBody.FromText("hi\0there"), "k1", new Participant("x", "1"), eventId);
        var request = ImMessageMapper.ToSendRequest(toUser, "bridge", 5)!.Value.ToMessage();
        Assert.Equal(("k1", "single_alice_bridge", "alice", "", 1), (request.ClientMsgId, request.ConversationId, request.ReceiverId, request.GroupId, request.MessageType));
        Assert.Equal("hi\uFFFDthere", request.Content.ToStringUtf8());
        Assert.Equal(OriginMarker.Format(eventId), request.Extra[OriginMarker.Key]);

        var toGroup = toUser with { Target = new EndpointRef("pbim", EndpointKind.Group, "g1"), Body = MessageBody.Media(BodyKind.Image, "http://x/y.png") };
        request = ImMessageMapper.ToSendRequest(toGroup, "bridge", 5)!.Value.ToMessage();
        Assert.Equal(("group_g1", "", "g1", 2, "http://x/y.png"), (request.ConversationId, request.ReceiverId, request.GroupId, request.MessageType, request.Content.ToStringUtf8()));

        Assert.Equal(3, ImMessageMapper.ToContent(MessageBody.Media(BodyKind.Audio, "u")).Type);
        Assert.Equal(4, ImMessageMapper.ToContent(MessageBody.Media(BodyKind.Video, "u")).Type);
        Assert.Equal(5, ImMessageMapper.ToContent(MessageBody.Media(BodyKind.File, "u")).Type);
        Assert.Equal(1, ImMessageMapper.ToContent(new MessageBody(BodyKind.File, "caption only")).Type);
        Assert.Null(ImMessageMapper.ToSendRequest(toUser with { Target = new EndpointRef("pbim", EndpointKind.Room, "r") }, "bridge", 5));
    }

    [Fact]
    public void Pushes_become_posted_events_with_native_ids_kept()
    {
        var push = new PushMessage
        {
            MessageId = "1730559834123000", ClientMsgId = "c1", ConversationId = "single_alice_bridge", SenderId = "alice", ReceiverId = "bridge",
            MessageType = 2, Content = ByteString.CopyFromUtf8("http://img"), SendTime = 1_730_559_834_000, Seq = 7,
        };
        var posted = ImMessageMapper.ToPosted("pbim", push, "bridge", DateTimeOffset.UnixEpoch);
        Assert.Equal(EventIds.ForIngest("pbim", "1730559834123000"), posted.EventId);
        Assert.Equal(new EndpointRef("pbim", EndpointKind.User, "alice"), posted.Conversation);
        Assert.Equal(BodyKind.Image, posted.Body.Kind);
        Assert.Equal("http://img", posted.Body.Url);
        Assert.Equal("1730559834123000", posted.NativeMessageId);
        Assert.Equal("7", posted.Attributes!["seq"]);

        var origin = Guid.NewGuid();
        push.Extra[OriginMarker.Key] = OriginMarker.Format(origin);
        push.GroupId = "g1";
        posted = ImMessageMapper.ToPosted("pbim", push, "bridge", DateTimeOffset.UnixEpoch);
        Assert.Equal(origin, posted.EventId);
        Assert.Equal(new EndpointRef("pbim", EndpointKind.Group, "g1"), posted.Conversation);
    }

    [Fact]
    public void Abrupt_closes_become_a_kick_when_they_repeat_and_stay_one_after_a_kick()
    {
        var time = new ManualTimestamps();
        var detector = new ImKickDetector(TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(22), time);
        Assert.Equal(Bridge.Connectors.Transport.SessionEndKind.Transient, detector.OnAbruptClose(false, "bridge", "x").Kind);
        Assert.Equal(Bridge.Connectors.Transport.SessionEndKind.Transient, detector.OnAbruptClose(true, "bridge", "x").Kind);
        time.Advance(TimeSpan.FromMinutes(3));
        Assert.Equal(Bridge.Connectors.Transport.SessionEndKind.Transient, detector.OnAbruptClose(true, "bridge", "x").Kind); // a restart now and then
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(Bridge.Connectors.Transport.SessionEndKind.Kicked, detector.OnAbruptClose(true, "bridge", "x").Kind);
        time.Advance(TimeSpan.FromMinutes(5)); // back after the kicked delay, taken over again once
        Assert.Equal(Bridge.Connectors.Transport.SessionEndKind.Kicked, detector.OnAbruptClose(true, "bridge", "x").Kind);
        time.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal(Bridge.Connectors.Transport.SessionEndKind.Transient, detector.OnAbruptClose(true, "bridge", "x").Kind);
    }
}
