using Bridge.Connectors.ProtobufIm;
using Bridge.Connectors.ProtobufIm.Wire;
using Bridge.Simulators.ProtobufIm;
using Google.Protobuf;

namespace Bridge.Tests.ProtobufIm;

public class ProtobufImCodecTests
{
    private const string DefaultSecret = "your-secret-key-change-in-production";

    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));

    [Fact]
    public void Auth_request_matches_the_protocol_test_vector()
    {
        var body = new AuthRequest { UserId = "u1", Token = "demo_token_u1", Platform = "Web" };
        var bytes = ImCodec.Encode(CommandType.CmdAuthReq, 1, body);
        Assert.Equal(Hex("08 64 10 01 1a 18 0a 02 75 31 12 0d 64 65 6d 6f 5f 74 6f 6b 65 6e 5f 75 31 1a 03 57 65 62"), bytes);
    }

    [Fact]
    public void Auth_success_reply_matches_the_protocol_test_vector_and_decodes()
    {
        var expected = Hex("08 65 10 01 1a 09 12 07 53 75 63 63 65 73 73 20 80 d0 95 ff bc 31");
        var bytes = ImCodec.Encode(CommandType.CmdAuthRsp, 1, new AuthResponse { ErrorMsg = "Success" }, 1_700_000_000_000);
        Assert.Equal(expected, bytes);

        Assert.True(ImCodec.TryDecode(expected, 1024, out var envelope, out var error), error);
        Assert.Equal(CommandType.CmdAuthRsp, envelope.Command);
        Assert.Equal(1u, envelope.Sequence);
        Assert.Equal(1_700_000_000_000, envelope.Timestamp);
        Assert.True(ImCodec.TryParse(AuthResponse.Parser, envelope.Body, out var reply, out _));
        Assert.Equal(ErrorCode.ErrSuccess, reply.ErrorCode);
        Assert.Equal("Success", reply.ErrorMsg);
    }

    [Fact]
    public void Auth_failure_body_matches_the_protocol_test_vector()
    {
        var expected = Hex("08 64 12 0d 49 6e 76 61 6c 69 64 20 74 6f 6b 65 6e");
        Assert.Equal(expected, new AuthResponse { ErrorCode = ErrorCode.ErrAuthFailed, ErrorMsg = "Invalid token" }.ToByteArray());
        var parsed = AuthResponse.Parser.ParseFrom(expected);
        Assert.Equal(ErrorCode.ErrAuthFailed, parsed.ErrorCode);
    }

    [Fact]
    public void Jwt_matches_the_protocol_test_vector_and_validates()
    {
        const string expected = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjoidXNlcl8wMDEiLCJwbGF0Zm9ybSI6ImlPUyIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjo0MTAyNDQ0ODAwfQ.6NJNey9J5saRQtN539q461Z4-Uvj-dxy7pFk2lFqztA";
        var token = ImJwt.Create(DefaultSecret, """{"user_id":"user_001","platform":"iOS","iat":1700000000,"exp":4102444800}""");
        Assert.Equal(expected, token);
        Assert.Equal("user_001", ImJwt.Validate(expected, DefaultSecret, DateTimeOffset.FromUnixTimeSeconds(1_800_000_000)));
        Assert.Equal("user_001", ProtobufImConnectorFactory.TokenUser(expected));
    }

    [Fact]
    public void Jwt_validation_follows_the_server_rules()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(2_000_000_000);
        string Token(string payload) => ImJwt.Create(DefaultSecret, payload);

        Assert.Equal("a", ImJwt.Validate(Token("""{"user_id":"a","exp":2000000000}"""), DefaultSecret, now)); // exp == now passes
        Assert.Null(ImJwt.Validate(Token("""{"user_id":"a","exp":1999999999}"""), DefaultSecret, now)); // expired
        Assert.Null(ImJwt.Validate(Token("""{"user_id":"a"}"""), DefaultSecret, now)); // missing exp = 0
        Assert.Null(ImJwt.Validate(Token("""{"user_id":7,"exp":4102444800}"""), DefaultSecret, now)); // number id
        Assert.Null(ImJwt.Validate(Token("""{"sub":"a","exp":4102444800}"""), DefaultSecret, now)); // sub is not the id
        Assert.Null(ImJwt.Validate(Token("""{"user_id":"a","exp":4102444800}"""), "other-secret", now));
        var padded = Token("""{"user_id":"ab","exp":4102444800}""");
        var parts = padded.Split('.');
        Assert.Null(ImJwt.Validate($"{parts[0]}=.{parts[1]}.{parts[2]}", DefaultSecret, now)); // padding fails decoding
        Assert.Null(ImJwt.Validate("not-a-jwt", DefaultSecret, now));
    }

    [Fact]
    public void Envelope_encoding_is_byte_identical_to_google_protobuf_and_round_trips()
    {
        var random = new Random(4242);
        var commands = Enum.GetValues<CommandType>();
        for (var i = 0; i < 2000; i++)
        {
            var push = RandomPush(random);
            var command = commands[random.Next(commands.Length)];
            var sequence = random.Next(4) == 0 ? 0u : (uint)random.NextInt64(1, uint.MaxValue);
            var timestamp = random.Next(4) == 0 ? 0 : random.NextInt64(-1, long.MaxValue);
            var bytes = ImCodec.Encode(command, sequence, push, timestamp);
            var reference = new WebSocketMessage { Command = command, Sequence = sequence, Body = push.ToByteString(), Timestamp = timestamp }.ToByteArray();
            Assert.Equal(reference, bytes);

            Assert.True(ImCodec.TryDecode(bytes, int.MaxValue, out var envelope, out var error), error);
            Assert.Equal((command, sequence, timestamp), (envelope.Command, envelope.Sequence, envelope.Timestamp));
            Assert.True(ImCodec.TryParse(PushMessage.Parser, envelope.Body, out var decoded, out _));
            Assert.Equal(push, decoded);
        }
    }

    [Fact]
    public void Decoder_skips_unknown_fields_and_keeps_the_last_value()
    {
        var bytes = new byte[] { 0x08, 0x05, 0x28, 0x07, 0x35, 1, 2, 3, 4, 0x42, 0x01, 0xAA, 0x10, 0x02, 0x10, 0x03 };
        Assert.True(ImCodec.TryDecode(bytes, 100, out var envelope, out var error), error);
        Assert.Equal(CommandType.CmdHeartbeatReq, envelope.Command);
        Assert.Equal(3u, envelope.Sequence);
        Assert.True(envelope.Body.IsEmpty);
    }

    [Theory]
    [InlineData("08", "truncated varint")]
    [InlineData("08 ff ff", "truncated varint")]
    [InlineData("1a 05 01 02", "runs past the end")]
    [InlineData("1a ff ff ff ff 0f", "runs past the end")]
    [InlineData("00 01", "invalid field number 0")]
    [InlineData("0b", "unsupported wire type 3")]
    [InlineData("21 01 02", "truncated fixed64")]
    [InlineData("2d 01", "truncated fixed32")]
    [InlineData("08 ff ff ff ff ff ff ff ff ff ff 01", "truncated varint")]
    public void Malformed_envelopes_give_exact_errors(string hex, string expected)
    {
        Assert.False(ImCodec.TryDecode(Hex(hex), 100, out _, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Oversize_frames_are_refused()
    {
        Assert.False(ImCodec.TryDecode(new byte[101], 100, out _, out var error));
        Assert.Contains("exceeds the limit of 100 bytes", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_truncation_of_a_push_frame_fails_cleanly()
    {
        var frame = ImCodec.Encode(CommandType.CmdPushMsg, 0, RandomPush(new Random(1)), 123);
        for (var cut = 1; cut < frame.Length; cut++)
        {
            var prefix = frame.AsMemory(0, cut);
            if (ImCodec.TryDecode(prefix, int.MaxValue, out var envelope, out _))
            {
                // A cut at a field boundary is a shorter valid envelope; its body (if any) must still parse or fail cleanly.
                ImCodec.TryParse(PushMessage.Parser, envelope.Body, out _, out _);
            }
        }
    }

    [Fact]
    public void Fuzzed_frames_never_throw_from_the_decoder()
    {
        var random = new Random(20251102);
        var seeds = new[]
        {
            ImCodec.Encode(CommandType.CmdPushMsg, 0, RandomPush(random), 1),
            ImCodec.Encode(CommandType.CmdSyncRsp, 9, new SyncResponse { Messages = { RandomPush(random), RandomPush(random) }, HasMore = true }, 1),
            ImCodec.Encode(CommandType.CmdAuthRsp, 1, new AuthResponse { ErrorMsg = "Success", MaxSeq = 3 }, 1),
        };
        var decoded = 0;
        for (var i = 0; i < 12_000; i++)
        {
            var frame = i % 3 == 0 ? RandomBytes(random) : Mutate(random, seeds[random.Next(seeds.Length)]);
            if (!ImCodec.TryDecode(frame, 1 << 20, out var envelope, out var error))
            {
                Assert.False(string.IsNullOrEmpty(error));
                continue;
            }

            decoded++;
            ImCodec.TryParse(PushMessage.Parser, envelope.Body, out _, out _);
            ImCodec.TryParse(SyncResponse.Parser, envelope.Body, out _, out _);
            ImCodec.TryParse(AuthResponse.Parser, envelope.Body, out _, out _);
        }

        Assert.True(decoded > 100, "some mutations should still decode");
    }

    internal static PushMessage RandomPush(Random random)
    {
        var push = new PushMessage
        {
            MessageId = random.NextInt64(1_700_000_000_000_000, 1_800_000_000_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ClientMsgId = Guid.NewGuid().ToString("N"),
            ConversationId = "single_a_b",
            SenderId = RandomText(random, 8),
            ReceiverId = RandomText(random, 8),
            GroupId = random.Next(3) == 0 ? RandomText(random, 4) : string.Empty,
            MessageType = random.Next(0, 7),
            Content = ByteString.CopyFromUtf8(RandomText(random, random.Next(0, 200))),
            SendTime = random.NextInt64(0, 2_000_000_000_000),
            ServerTime = random.NextInt64(0, 2_000_000_000_000),
            Seq = random.NextInt64(0, 1_000_000),
        };
        if (random.Next(4) == 0)
        {
            push.Extra["bridgeOrigin"] = Guid.NewGuid().ToString("N");
        }

        return push;
    }

    internal static string RandomText(Random random, int length)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 _-äöü€😀中文";
        var chars = new System.Text.StringBuilder();
        while (chars.Length < length)
        {
            var i = random.Next(alphabet.Length);
            if (char.IsHighSurrogate(alphabet[i]))
            {
                chars.Append(alphabet, i, 2);
            }
            else if (!char.IsLowSurrogate(alphabet[i]))
            {
                chars.Append(alphabet[i]);
            }
        }

        return chars.ToString();
    }

    internal static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(0, 300)];
        random.NextBytes(bytes);
        return bytes;
    }

    internal static byte[] Mutate(Random random, byte[] seed)
    {
        var bytes = (byte[])seed.Clone();
        switch (random.Next(4))
        {
            case 0:
                for (var n = random.Next(1, 6); n > 0 && bytes.Length > 0; n--)
                {
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                }

                return bytes;
            case 1:
                return bytes[..random.Next(bytes.Length)];
            case 2:
                var extra = new byte[random.Next(1, 20)];
                random.NextBytes(extra);
                return [.. bytes, .. extra];
            default:
                var at = random.Next(bytes.Length);
                bytes[at] ^= (byte)(1 << random.Next(8));
                return bytes;
        }
    }
}
