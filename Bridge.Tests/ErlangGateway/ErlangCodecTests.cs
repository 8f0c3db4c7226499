using System.Text;
using Bridge.Connectors.ErlangGateway;

namespace Bridge.Tests.ErlangGateway;

/// <summary>Byte-exact vectors from the README and protocol doc section 10, plus exact decode errors.</summary>
public class ErlangCodecTests
{
    internal const string MsgIdText = "550e8400e29b41d4a716446655440000";
    internal const string MsgIdHex = "35 35 30 65 38 34 30 30 65 32 39 62 34 31 64 34 61 37 31 36 34 34 36 36 35 35 34 34 30 30 30 30";
    internal const string HelloHex = "68 65 6c 6c 6f 20 77 6f 72 6c 64";
    internal static readonly byte[] MsgId = Encoding.ASCII.GetBytes(MsgIdText);
    internal static readonly byte[] Hello = Encoding.ASCII.GetBytes("hello world");

    internal static byte[] Hex(string text) => Convert.FromHexString(text.Replace(" ", string.Empty, StringComparison.Ordinal));

    [Fact]
    public void MsgId_vector_is_the_ascii_bytes_of_the_uuid()
    {
        Assert.Equal(Hex(MsgIdHex), MsgId);
    }

    [Fact]
    public void Connect_test_123456_role_1_matches_the_readme()
    {
        var expected = Hex("01 00 04 74 65 73 74 00 06 31 32 33 34 35 36 01");
        Assert.Equal(expected, ErlangCodec.Connect("test", "123456", role: 1, clientId: null));

        Assert.Null(ErlangCodec.TryDecode(expected, PacketSource.Client, out var packet));
        Assert.Equal(new ErlangConnect("test", "123456", 1, null), packet.Connect);
    }

    [Theory]
    [InlineData("01 00 04 74 65 73 74 00 06 31 32 33 34 35 36", null, null)]
    [InlineData("01 00 04 74 65 73 74 00 06 31 32 33 34 35 36 01", (byte)1, null)]
    [InlineData("01 00 04 74 65 73 74 00 06 31 32 33 34 35 36 01 02", (byte)1, (byte)2)]
    public void Connect_accepts_zero_one_or_two_trailing_bytes(string hex, byte? role, byte? clientId)
    {
        Assert.Null(ErlangCodec.TryDecode(Hex(hex), PacketSource.Client, out var packet));
        Assert.Equal(role, packet.Connect!.Role);
        Assert.Equal(clientId, packet.Connect.ClientId);
        if (role is not null)
        {
            Assert.Equal(Hex(hex), ErlangCodec.Connect("test", "123456", role, clientId));
        }
    }

    [Fact]
    public void Connect_with_three_trailing_bytes_is_rejected()
    {
        var error = ErlangCodec.TryDecode(Hex("01 00 04 74 65 73 74 00 06 31 32 33 34 35 36 01 02 03"), PacketSource.Client, out _);
        Assert.Equal("CONNECT has 1 unexpected bytes after Role and ClientId", error);
    }

    [Fact]
    public void Connect_lengths_are_bytes_not_characters()
    {
        var frame = ErlangCodec.Connect("医生", "pw", 0, null);
        Assert.Equal(6, frame[2]); // two 3-byte UTF-8 characters
        Assert.Null(ErlangCodec.TryDecode(frame, PacketSource.Client, out var packet));
        Assert.Equal("医生", packet.Connect!.Username);
    }

    [Fact]
    public void Publish_to_1234_matches_the_readme_and_its_ack()
    {
        var expected = Hex($"03 00 00 04 d2 {MsgIdHex} 00 0b {HelloHex}");
        Assert.Equal(expected, ErlangCodec.Message(ErlangCommand.Publish, PacketSource.Client, 1234, MsgId, [], Hello));
        Assert.Equal(Hex($"04 {MsgIdHex}"), ErlangCodec.Ack(ErlangCommand.PubAck, MsgIdText));

        Assert.Null(ErlangCodec.TryDecode(expected, PacketSource.Client, out var packet));
        Assert.Equal(ErlangCommand.Publish, packet.Command);
        Assert.Equal(1234u, packet.TargetId);
        Assert.Equal(MsgIdText, packet.MsgId);
        Assert.Equal(Hello, packet.Payload.ToArray());
    }

    [Fact]
    public void Group_publish_to_1234_matches_the_readme_and_its_ack()
    {
        var expected = Hex($"05 00 00 04 d2 {MsgIdHex} 00 0b {HelloHex}");
        Assert.Equal(expected, ErlangCodec.Message(ErlangCommand.GroupPublish, PacketSource.Client, 1234, MsgId, [], Hello));
        Assert.Equal(Hex($"06 {MsgIdHex}"), ErlangCodec.Ack(ErlangCommand.GroupPubAck, MsgIdText));

        // The server's group push has the same layout (SDK).
        Assert.Null(ErlangCodec.TryDecode(expected, PacketSource.Server, out var packet));
        Assert.Equal(1234u, packet.TargetId);
        Assert.Equal(Hello, packet.Payload.ToArray());
    }

    [Fact]
    public void Group_part_publish_to_two_users_matches_the_bytes_with_a_16_bit_count()
    {
        var expected = Hex($"0b 00 00 04 d2 {MsgIdHex} 00 02 00 00 04 d2 00 00 04 d3 00 0b {HelloHex}");
        Assert.Equal(expected, ErlangCodec.Message(ErlangCommand.GroupPartPublish, PacketSource.Client, 1234, MsgId, [1234, 1235], Hello));
        Assert.Equal(Hex($"0c {MsgIdHex}"), ErlangCodec.Ack(ErlangCommand.GroupPartPubAck, MsgIdText));

        Assert.Null(ErlangCodec.TryDecode(expected, PacketSource.Server, out var packet));
        Assert.Equal([1234u, 1235u], packet.Uids());
        Assert.Equal(Hello, packet.Payload.ToArray());
    }

    [Fact]
    public void Group_part_publish_to_the_readme_text_users_1234_and_2345()
    {
        var expected = Hex($"0b 00 00 04 d2 {MsgIdHex} 00 02 00 00 04 d2 00 00 09 29 00 0b {HelloHex}");
        Assert.Equal(expected, ErlangCodec.Message(ErlangCommand.GroupPartPublish, PacketSource.Client, 1234, MsgId, [1234, 2345], Hello));
    }

    [Fact]
    public void Bare_packets_are_one_byte()
    {
        Assert.Equal(Hex("07"), ErlangCodec.Bare(ErlangCommand.Ping));
        Assert.Equal(Hex("08"), ErlangCodec.Bare(ErlangCommand.PingResp));
        Assert.Equal(Hex("09"), ErlangCodec.Bare(ErlangCommand.Disconnect));
        foreach (var hex in new[] { "07", "08", "09", "0a", "14" })
        {
            Assert.Null(ErlangCodec.TryDecode(Hex(hex), PacketSource.Server, out var packet));
            Assert.Equal(Hex(hex)[0], (byte)packet.Command);
        }
    }

    [Fact]
    public void Server_push_has_no_uid_and_is_acked_with_its_msgid()
    {
        var push = Hex($"03 {MsgIdHex} 00 0b {HelloHex}");
        Assert.Equal(push, ErlangCodec.Message(ErlangCommand.Publish, PacketSource.Server, 0, MsgId, [], Hello));
        Assert.Null(ErlangCodec.TryDecode(push, PacketSource.Server, out var packet));
        Assert.Equal(MsgIdText, packet.MsgId);
        Assert.Equal(0u, packet.TargetId);
        Assert.Equal(Hex($"04 {MsgIdHex}"), ErlangCodec.Ack(ErlangCodec.AckFor(packet.Command), packet.MsgIdBytes.Span));
    }

    [Fact]
    public void Connect_ack_codes()
    {
        Assert.Equal(Hex("02 00"), ErlangCodec.ConnectAck(0));
        Assert.Equal(Hex("02 03"), ErlangCodec.ConnectAck(3));
        Assert.Null(ErlangCodec.TryDecode(Hex("02 03"), PacketSource.Server, out var packet));
        Assert.Equal(3, packet.Code);
        Assert.Contains("bad username or password", ConnectAckCode.Describe(3), StringComparison.Ordinal);
        Assert.Contains("duplicate", ConnectAckCode.Describe(1), StringComparison.Ordinal);
        Assert.Contains("vhost", ConnectAckCode.Describe(2), StringComparison.Ordinal);
    }

    [Fact]
    public void Logout_and_invalid_packet_ignore_an_undocumented_body()
    {
        Assert.Null(ErlangCodec.TryDecode(Hex("14 01 02"), PacketSource.Server, out var logout));
        Assert.Equal(ErlangCommand.Logout, logout.Command);
        Assert.Null(ErlangCodec.TryDecode(Hex("0a ff"), PacketSource.Server, out var invalid));
        Assert.Equal(ErlangCommand.InvalidPacket, invalid.Command);
    }

    [Theory]
    [InlineData("", PacketSource.Server, "empty packet")]
    [InlineData("63", PacketSource.Server, "unknown command 99")]
    [InlineData("02", PacketSource.Server, "CONNECT_ACK truncated at Code (1 bytes)")]
    [InlineData("02 00 00", PacketSource.Server, "CONNECT_ACK has 1 trailing bytes after a complete packet")]
    [InlineData("07 00", PacketSource.Server, "PING has 1 trailing bytes after a complete packet")]
    [InlineData("04 35 35", PacketSource.Server, "PUB_ACK truncated at MsgId (3 bytes)")]
    [InlineData("03 00 00 04", PacketSource.Client, "PUBLISH truncated at ToUid (4 bytes)")]
    [InlineData("05 00 00 04 d2", PacketSource.Server, "GROUP_PUBLISH truncated at MsgId (5 bytes)")]
    [InlineData("01 00 04 74 65", PacketSource.Client, "CONNECT truncated at Username (5 bytes)")]
    [InlineData("01 00 00", PacketSource.Server, "CONNECT is only sent by clients")]
    public void Malformed_input_gets_an_exact_error(string hex, PacketSource source, string error)
    {
        Assert.Equal(error, ErlangCodec.TryDecode(Hex(hex), source, out _));
    }

    [Fact]
    public void Payload_length_mismatch_and_trailing_bytes_are_reported()
    {
        Assert.Equal("PUBLISH truncated: PayloadLen 12 but 11 payload bytes",
            ErlangCodec.TryDecode(Hex($"03 {MsgIdHex} 00 0c {HelloHex}"), PacketSource.Server, out _));
        Assert.Equal("PUBLISH has 1 trailing bytes after a complete packet",
            ErlangCodec.TryDecode(Hex($"03 {MsgIdHex} 00 0a {HelloHex}"), PacketSource.Server, out _));
        Assert.Equal("PUBLISH truncated at PayloadLen (33 bytes)",
            ErlangCodec.TryDecode(Hex($"03 {MsgIdHex}"), PacketSource.Server, out _));
        Assert.Equal("GROUP_PART_PUBLISH truncated: ToUserNum 3 needs 12 bytes of uids, 10 left",
            ErlangCodec.TryDecode(Hex($"0b 00 00 04 d2 {MsgIdHex} 00 03 00 00 04 d2 00 00 04 d3 00 00"), PacketSource.Server, out _));
    }

    /// <summary>A server PUBLISH whose MsgId has a NUL and a 0xFF byte.</summary>
    private static byte[] PushWithNonAsciiMsgId()
    {
        var push = Hex($"03 {MsgIdHex} 00 0b {HelloHex}");
        push[5] = 0x00;
        push[6] = 0xff;
        return push;
    }

    [Fact]
    public void A_msgid_with_non_ascii_bytes_is_kept_as_a_raw_key_and_acked_byte_for_byte()
    {
        var push = PushWithNonAsciiMsgId();

        Assert.Null(ErlangCodec.TryDecode(push, PacketSource.Server, out var packet));
        Assert.StartsWith("raw:", packet.MsgId, StringComparison.Ordinal);
        var ack = ErlangCodec.Ack(ErlangCommand.PubAck, packet.MsgId);
        Assert.Equal(push.AsSpan(1, 32).ToArray(), ack.AsSpan(1).ToArray());
        Assert.Equal(MsgIdText, ErlangCodec.MsgIdKey(MsgId));
    }

    [Fact]
    public void A_msgid_value_has_the_key_as_its_string_and_writes_back_its_wire_bytes()
    {
        Assert.Null(ErlangCodec.TryDecode(PushWithNonAsciiMsgId(), PacketSource.Server, out var raw));
        Assert.Null(ErlangCodec.TryDecode(Hex($"03 {MsgIdHex} 00 0b {HelloHex}"), PacketSource.Server, out var ascii));

        foreach (var packet in new[] { raw, ascii })
        {
            var id = packet.Id;
            Assert.Equal(packet.MsgId, id.ToString());
            Assert.Equal(id, ErlangMsgId.FromKey(packet.MsgId));
            var wire = new byte[ErlangCodec.MsgIdLength];
            id.CopyTo(wire);
            Assert.Equal(packet.MsgIdBytes.ToArray(), wire);
        }

        Assert.NotEqual(raw.Id, ascii.Id);
        Assert.Equal(MsgIdText, ascii.Id.ToString());
        var lastByte = (byte[])MsgId.Clone();
        lastByte[^1] ^= 1;
        Assert.NotEqual(ErlangMsgId.From(MsgId), ErlangMsgId.From(lastByte));
        Assert.Throws<ArgumentException>(() => ErlangMsgId.From(MsgId.AsSpan(1)));
    }

    [Fact]
    public void Encoding_refuses_oversize_payloads_and_wrong_msgid_lengths()
    {
        Assert.Throws<ArgumentException>(() => ErlangCodec.Message(ErlangCommand.Publish, PacketSource.Client, 1, MsgId, [], new byte[65_536]));
        Assert.Throws<ArgumentException>(() => ErlangCodec.Message(ErlangCommand.Publish, PacketSource.Client, 1, MsgId.AsSpan(0, 31), [], Hello));
        var max = ErlangCodec.Message(ErlangCommand.Publish, PacketSource.Client, 1, MsgId, [], new byte[65_535]);
        Assert.Null(ErlangCodec.TryDecode(max, PacketSource.Client, out var packet));
        Assert.Equal(65_535, packet.Payload.Length);
    }

    [Fact]
    public void Tcp_publish_vector_is_the_websocket_publish_behind_a_big_endian_length()
    {
        var body = ErlangCodec.Message(ErlangCommand.Publish, PacketSource.Client, 1234, MsgId, [], Hello);
        Assert.Equal(50, body.Length);
        var framed = new byte[4 + body.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(framed, (uint)body.Length);
        body.CopyTo(framed, 4);
        Assert.Equal(Hex($"00 00 00 32 03 00 00 04 d2 {MsgIdHex} 00 0b {HelloHex}"), framed);
    }
}
