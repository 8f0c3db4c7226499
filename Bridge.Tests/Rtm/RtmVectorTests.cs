using Bridge.Connectors.Rtm;
using Bridge.Connectors.Rtm.Fpnn;
using Bridge.Connectors.Rtm.MsgPack;

namespace Bridge.Tests.Rtm;

/// <summary>The test vectors of protocols/rtm.md §15, byte for byte, in both directions.</summary>
public sealed class RtmVectorTests
{
    private static string S(string text) => Convert.ToHexStringLower(System.Text.Encoding.UTF8.GetBytes(text));

    private static byte[] Hex(params string[] parts) => Convert.FromHexString(string.Concat(parts).Replace(" ", string.Empty, StringComparison.Ordinal));

    private static readonly byte[] AuthQuest = Hex("46504e4e 01 80 01 04 3a000000 01000000", S("auth"),
        "84 a3", S("pid"), "ce000f424c a3", S("uid"), "d3000000000009fbf1 a5", S("token"), "a4", S("good"), "a7", S("version"), "af", S("WebSocket_2.7.6"));

    private static readonly byte[] PushRoomMsg = Hex("46504e4e 01 80 01 0b 41000000 07000000", S("pushroommsg"),
        "87 a4", S("from"), "ce0001e38d a3", S("rid"), "07 a3", S("mid"), "cf000660d2d985b0c1 a5", S("mtype"), "1e a3", S("msg"), "a2", S("hi"),
        "a5", S("attrs"), "a0 a5", S("mtime"), "cf000001a200bac1f9");

    [Fact]
    public void Vector1_auth_quest_is_byte_exact()
    {
        using var packet = RtmQuests.Auth(1, 1000012, 654321, "good", "WebSocket_2.7.6", null);
        Assert.Equal(Convert.ToHexStringLower(AuthQuest), Convert.ToHexStringLower(packet.ToArray()));
    }

    [Fact]
    public void Vector1_auth_quest_decodes()
    {
        Assert.Equal(FpnnDecodeStatus.Complete, FpnnDecoder.TryDecode(AuthQuest, 1 << 20, out var packet, out var consumed, out _));
        Assert.Equal(AuthQuest.Length, consumed);
        Assert.Equal(FpnnPacketKind.TwoWay, packet.Kind);
        Assert.Equal(1u, packet.Seq);
        Assert.True(packet.MethodIs("auth"u8));
        var map = (Dictionary<string, object?>)MsgPackTree.Decode(packet.Payload)!;
        Assert.Equal(1000012L, map["pid"]);
        Assert.Equal(654321L, map["uid"]);
        Assert.Equal("good", map["token"]);
    }

    [Fact]
    public void Vector2_auth_answer_decodes_and_encodes()
    {
        var bytes = Hex("46504e4e 01 80 02 00 05000000 01000000 81 a2", S("ok"), "c3");
        Assert.Equal(FpnnDecodeStatus.Complete, FpnnDecoder.TryDecode(bytes, 1 << 20, out var packet, out _, out _));
        Assert.Equal(FpnnPacketKind.Answer, packet.Kind);
        Assert.Equal(0, packet.Status);
        Assert.True(new RtmAnswer(packet.Status, packet.Payload.ToArray()).GetBoolean("ok"));
        using var writer = FpnnPacketWriter.Answer(1);
        writer.Payload.WriteMapHeader(1);
        writer.Payload.WriteString("ok");
        writer.Payload.WriteBoolean(true);
        Assert.Equal(bytes, writer.ToArray());
    }

    [Fact]
    public void Vector3_which_quest_is_byte_exact()
    {
        var expected = Hex("46504e4e 01 80 01 05 4e000000 01000000", S("which"), "86 a3", S("pid"), "ce000f424c a3", S("uid"), "d3000000000009fbf1 a4", S("what"),
            "a8", S("rtmGated"), "a8", S("addrType"), "a4", S("ipv4"), "a7", S("version"), "a0 ab", S("sdk_version"), "a5", S("1.1.5"));
        using var packet = RtmQuests.Which(1, 1000012, 654321, "ipv4", string.Empty, "1.1.5");
        Assert.Equal(Convert.ToHexStringLower(expected), Convert.ToHexStringLower(packet.ToArray()));
    }

    [Fact]
    public void Vector4_sendmsg_is_byte_exact()
    {
        var expected = Hex("46504e4e 01 80 01 07 34000000 02000000", S("sendmsg"), "85 a2", S("to"), "d3000000000001e38d a3", S("mid"), "d3000660d2d985b0c1 a5", S("mtype"),
            "50 a3", S("msg"), "a7", S("hello !"), "a5", S("attrs"), "a0");
        using var packet = RtmQuests.Send(2, RtmConversationType.P2P, 123789, 1795308569080001, 80, "hello !", string.Empty);
        Assert.Equal(Convert.ToHexStringLower(expected), Convert.ToHexStringLower(packet.ToArray()));
    }

    [Fact]
    public void Vector5_enterroom_and_vector6_bye_are_byte_exact()
    {
        using var enter = RtmQuests.EnterRoom(3, 7);
        Assert.Equal(Hex("46504e4e 01 80 01 09 0e000000 03000000", S("enterroom"), "81 a3", S("rid"), "d30000000000000007"), enter.ToArray());
        using var bye = RtmQuests.Bye(5);
        Assert.Equal(Hex("46504e4e 01 80 01 03 01000000 05000000", S("bye"), "80"), bye.ToArray());
    }

    [Fact]
    public void Vector7_server_ping_decodes_and_is_21_bytes()
    {
        var ping = Hex("46504e4e 01 80 01 04 01000000 01000000", S("ping"), "80");
        Assert.Equal(21, ping.Length);
        Assert.Equal(FpnnDecodeStatus.Complete, FpnnDecoder.TryDecode(ping, 1 << 20, out var packet, out _, out _));
        Assert.True(packet.MethodIs("ping"u8));
        using var writer = FpnnPacketWriter.Quest("ping", 1);
        Assert.Equal(ping, writer.ToArray());
    }

    [Fact]
    public void Vector8_empty_map_answer_to_a_push_is_byte_exact()
    {
        Assert.Equal(Hex("46504e4e 01 80 02 00 01000000 e9030000 80"), FpnnPacketWriter.EmptyAnswer(1001));
    }

    [Fact]
    public void Vector9_error_answer_is_byte_exact_and_reads_code_and_ex()
    {
        var bytes = Hex("46504e4e 01 80 02 01 1a000000 01000000 82 a4", S("code"), "ce00030d58 a2", S("ex"), "ab", S("auth denied"));
        Assert.Equal(bytes, FpnnPacketWriter.ErrorAnswer(1, 200024, "auth denied"));
        Assert.Equal(FpnnDecodeStatus.Complete, FpnnDecoder.TryDecode(bytes, 1 << 20, out var packet, out _, out _));
        var answer = new RtmAnswer(packet.Status, packet.Payload.ToArray());
        Assert.True(answer.IsError);
        Assert.Equal(200024, answer.ErrorCode);
        Assert.Equal("auth denied", answer.ErrorText);
    }

    [Fact]
    public void Vector11_kickout_is_oneway_without_seq()
    {
        var bytes = Hex("46504e4e 01 80 00 07 01000000", S("kickout"), "80");
        Assert.Equal(20, bytes.Length);
        Assert.Equal(FpnnDecodeStatus.Complete, FpnnDecoder.TryDecode(bytes, 1 << 20, out var packet, out var consumed, out _));
        Assert.Equal((FpnnPacketKind.OneWay, 0u, 20), (packet.Kind, packet.Seq, consumed));
        using var writer = FpnnPacketWriter.Quest("kickout", 0, twoWay: false);
        Assert.Equal(bytes, writer.ToArray());
    }

    [Fact]
    public void Vector12_pushroommsg_decodes_with_server_style_ints()
    {
        Assert.Equal(92, PushRoomMsg.Length);
        Assert.Equal(FpnnDecodeStatus.Complete, FpnnDecoder.TryDecode(PushRoomMsg, 1 << 20, out var packet, out _, out _));
        Assert.Equal(7u, packet.Seq);
        Assert.Equal(RtmConversationType.Room, RtmPushDecoder.TypeOf(packet.Method));
        Assert.True(RtmPushDecoder.TryDecode(RtmConversationType.Room, packet.Payload, out var push, out var error), error);
        Assert.Equal(new RtmPush(RtmConversationType.Room, 123789, 7, 1795308569080001, 30, "hi", string.Empty, 1795308569081), push);
    }

    [Fact]
    public void Decoding_a_chat_push_allocates_only_the_message_text()
    {
        for (var warm = 0; warm < 10; warm++)
        {
            FpnnDecoder.TryDecode(PushRoomMsg, 1 << 20, out var p, out _, out _);
            RtmPushDecoder.TryDecode(RtmConversationType.Room, p.Payload, out _, out _);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        FpnnDecoder.TryDecode(PushRoomMsg, 1 << 20, out var packet, out _, out _);
        RtmPushDecoder.TryDecode(RtmConversationType.Room, packet.Payload, out var push, out _);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal("hi", push.Msg);
        Assert.True(allocated <= 32, $"decoding allocated {allocated} bytes (a 2-char string is 26)");
    }

    [Fact]
    public void Vector12_pushroommsg_is_what_the_simulator_style_writer_produces()
    {
        using var writer = FpnnPacketWriter.Quest("pushroommsg", 7);
        var w = writer.Payload;
        w.WriteMapHeader(7);
        w.WriteString("from");
        w.WriteInt64(123789);
        w.WriteString("rid");
        w.WriteInt64(7);
        w.WriteString("mid");
        w.WriteInt64(1795308569080001);
        w.WriteString("mtype");
        w.WriteInt64(30);
        w.WriteString("msg");
        w.WriteString("hi");
        w.WriteString("attrs");
        w.WriteString(string.Empty);
        w.WriteString("mtime");
        w.WriteInt64(1795308569081);
        Assert.Equal(Convert.ToHexStringLower(PushRoomMsg), Convert.ToHexStringLower(writer.ToArray()));
    }

    [Fact]
    public void Vector10_a_126_byte_length_header_desyncs_and_the_decoder_reports_bad_magic()
    {
        // 82 7e then "FP…": a client reading the next two bytes as length sees garbage; we get the packet bytes without "FPNN".
        var tail = Hex("4e4e 01 80 01 04 01000000 01000000", S("ping"), "80");
        Assert.Equal(FpnnDecodeStatus.Malformed, FpnnDecoder.TryDecode(tail, 1 << 20, out _, out _, out var error));
        Assert.Contains("bad magic", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("654321", true, "d3000000000009fbf1")]
    [InlineData("1000012", false, "ce000f424c")]
    public void Vector13_msgpack_lite_numbers(string value, bool int64, string hex)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new MsgPackWriter(buffer);
        if (int64)
        {
            writer.WriteInt64Fixed(long.Parse(value, System.Globalization.CultureInfo.InvariantCulture));
        }
        else
        {
            writer.WriteInt64(long.Parse(value, System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.Equal(hex, Convert.ToHexStringLower(buffer.WrittenSpan));
    }

    [Theory]
    [InlineData("cb41e0000000000000", 2147483648L)]
    [InlineData("cb427a200bac1f9000", 1795308569081L)]
    public void Vector13_float64_integers_from_js_decode_as_integers(string hex, long expected)
    {
        var reader = new MsgPackReader(Convert.FromHexString(hex));
        Assert.Equal(expected, reader.ReadInt64());
    }
}
