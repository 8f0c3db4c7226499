using System.Text;
using System.Text.Json;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Glide;

namespace Bridge.Tests.Glide;

/// <summary>Byte-exact checks against every example and test vector of protocols/glide.md.</summary>
public sealed class GlideCodecTests
{
    private const string VectorPlaintext = """{"type":0,"user_id":"1001","device_id":"2","device_name":"","secrets":{"message_deliver_secret":"s3cr3t","online_state_secret":""},"risk_control":null,"connection_config":null,"connection_id":"","timestamp":1720000000000}""";

    private const string VectorCredential = "MDEyMzQ1Njc4OWFiY2RlZkf7AHiT6vyOq3aO9zpZBDAwHfQmoFYJZGUihWCuT0A7fSttTdbqVY/KB086AYDi8JRMRGHy8EktqCGJMxJKxErlKGO7mqqn1PlFcSeTBta1L42IeKgfVcegm0aqWndv8Y4pl06I3uURBys3byUGtr4Uh5I9Q4HTKN9r5Boejc4jrbkgxet4q3HU2EFHdGAUB9bW+OoicV9odaym+LVjc3xpJ/BtntO1G5gkx6HWJQ089LBsIwh3ePB5OnFQjqboxGiP28Exi5BlmwizBayT+cLpcuc2UegdiNg7QBL23sap";

    private static readonly GlideCredentialClaims VectorClaims = new("1001", "2", string.Empty, "s3cr3t", 1720000000000);

    [Fact]
    public void Aes_key_is_the_first_32_bytes_of_secret_then_sha512_of_nothing() =>
        Assert.Equal("7365637265745f6b6579cf83e1357eefb8bdf1542850d66d8007d620e4050b57", Convert.ToHexStringLower(GlideCredentials.DeriveKey("secret_key")));

    [Fact]
    public void Credential_plaintext_matches_the_vector_byte_for_byte() =>
        Assert.Equal(VectorPlaintext, Encoding.UTF8.GetString(GlideCredentials.Plaintext(VectorClaims)));

    [Fact]
    public void Credential_with_the_vector_iv_matches_the_document()
    {
        var credential = GlideCredentials.Encrypt("secret_key", GlideCredentials.Plaintext(VectorClaims), "0123456789abcdef"u8);
        Assert.Equal(VectorCredential, credential);
        Assert.DoesNotContain('=', credential);
    }

    [Fact]
    public void Vector_credential_opens_to_its_claims()
    {
        Assert.Equal(GlideCredentialCheck.Valid, GlideCredentials.TryOpen("secret_key", VectorCredential, out var claims));
        Assert.Equal(VectorClaims, claims);
        // A wrong key yields garbage: its last byte either strips too much (the server panics and closes) or the JSON fails.
        Assert.NotEqual(GlideCredentialCheck.Valid, GlideCredentials.TryOpen("other_key", VectorCredential, out _));
        Assert.Equal(GlideCredentialCheck.Invalid, GlideCredentials.TryOpen("secret_key", VectorCredential + "==", out _));
        Assert.Equal(GlideCredentialCheck.Invalid, GlideCredentials.TryOpen("secret_key", "abcd", out _));
        Assert.Equal(GlideCredentialCheck.MalformedLength, GlideCredentials.TryOpen("secret_key", Convert.ToBase64String(new byte[40]).TrimEnd('='), out _));
    }

    [Fact]
    public void Minted_credentials_use_a_random_iv_and_open_again()
    {
        var a = GlideCredentials.Mint("secret_key", VectorClaims);
        var b = GlideCredentials.Mint("secret_key", VectorClaims);
        Assert.NotEqual(a, b);
        Assert.Equal(GlideCredentialCheck.Valid, GlideCredentials.TryOpen("secret_key", a, out var claims));
        Assert.Equal(VectorClaims, claims);
    }

    [Theory]
    [InlineData("1002", "937116764d1d428c8e47b0d8f985b1d543363f1d")]
    [InlineData("the_world_channel", "0e92c6e7a96ade3034cdb6ec637b2293c2820381")]
    public void Tickets_match_the_vectors(string to, string expected) =>
        Assert.Equal(expected, GlideTickets.Compute("s3cr3t", "1001", to));

    [Fact]
    public async Task A_computed_ticket_is_kept_until_the_secret_changes()
    {
        var secret = "s3cr3t";
        var source = new GlideTicketSource("1001", () => secret, api: null);
        var first = await source.GetAsync("1002", CancellationToken.None);
        Assert.Equal("937116764d1d428c8e47b0d8f985b1d543363f1d", first);
        Assert.Same(first, await source.GetAsync("1002", CancellationToken.None));
        Assert.Equal("0e92c6e7a96ade3034cdb6ec637b2293c2820381", await source.GetAsync("the_world_channel", CancellationToken.None));

        secret = "rotated";
        var rotated = await source.GetAsync("1002", CancellationToken.None);
        Assert.Equal(GlideTickets.Compute("rotated", "1001", "1002"), rotated);
        Assert.NotEqual(first, rotated);

        source.Invalidate("1002");
        Assert.NotSame(rotated, await source.GetAsync("1002", CancellationToken.None));
        Assert.Equal(rotated, await source.GetAsync("1002", CancellationToken.None));
    }

    [Theory]
    [InlineData("""{"ver":1,"action":"hello","data":{"temp_id":"tmp@6f1c0e2a-0000-4000-8000-000000000000","heartbeat_interval":30}}""")]
    [InlineData("""{"ver":1,"seq":1,"action":"notify.success","data":null}""")]
    [InlineData("""{"ver":1,"seq":1,"action":"notify.error","data":"invalid authenticate message"}""")]
    [InlineData("""{"ver":1,"seq":1,"action":"notify.error","data":"credential expired"}""")]
    [InlineData("""{"ver":1,"action":"heartbeat","data":null}""")]
    [InlineData("""{"ver":1,"action":"notify.kickout","data":{"device_id":"2"}}""")]
    [InlineData("""{"ver":1,"action":"ack.message","data":{"cli_mid":"8F0C","mid":1720000000,"from":"1002","seq":3}}""")]
    [InlineData("""{"ver":1,"action":"ack.message","data":{"cliMid":"8F0C","mid":1720000000}}""")]
    [InlineData("""{"ver":1,"action":"message.chat","data":{"cliMid":"8F0C","mid":1720000000,"seq":3,"from":"1001","to":"1002","type":1,"content":"hi","sendAt":1720000000123}}""")]
    [InlineData("""{"ver":1,"action":"ack.notify","data":{"cli_mid":"8F0C","seq":3,"mid":1720000000,"from":"1002","to":"1001"}}""")]
    [InlineData("""{"ver":1,"action":"ack.notify","data":{"cli_mid":"A1B2","seq":5,"mid":1720000001,"from":"1001"}}""")]
    [InlineData("""{"ver":1,"seq":7,"action":"notify.unknown.action","data":"message.chat.resend"}""")]
    [InlineData("""{"ver":1,"action":"notify.state","data":{"uid":"1001"}}""")]
    [InlineData("""{"ver":1,"action":"notify.state","data":{"uid":"1001","online":true}}""")]
    [InlineData("""{"ver":1,"seq":7,"action":"notify.forbidden","data":"invalid ticket"}""")]
    [InlineData("""{"ver":1,"seq":9,"action":"message.group","from":"1001","to":"the_world_channel","data":{"cliMid":"X","seq":2,"type":1,"content":"yo","sendAt":1},"ticket":"abc"}""")]
    [InlineData("""{"ver":1,"action":"message.group.notify","data":{"from":"system","type":2,"body":{"uid":"1001"}}}""")]
    [InlineData("""{"ver":1,"action":"message.group.notify","data":{"from":"system","type":5,"body":{"members":["system","1001"]}}}""")]
    [InlineData("""{"ver":1,"action":"notify.error","data":"message decode error: invalid character 'b' looking for beginning of object key string"}""")]
    public void Server_frames_from_the_document_decode_and_re_encode_byte_exact(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var envelope = GlideDecoder.DecodeEnvelope(bytes);
        Assert.Equal(1, envelope.Ver);
        Assert.Equal(json, Encoding.UTF8.GetString(ReEncode(envelope, bytes)));
    }

    /// <summary>Encodes a decoded server frame again with the simulator's writer for its action.</summary>
    private static byte[] ReEncode(GlideEnvelope e, byte[] frame)
    {
        using var b = new PooledBufferWriter(512);
        var data = e.Data(frame);
        switch (e.Action)
        {
            case GlideActions.Hello:
                var hello = GlideDecoder.ReadHello(data);
                GlideEncoder.Hello(b, hello.TempId!, hello.HeartbeatIntervalSeconds);
                break;
            case GlideActions.NotifySuccess or GlideActions.NotifyError or GlideActions.NotifyForbidden or GlideActions.NotifyUnknownAction:
                GlideEncoder.Notify(b, e.Seq, e.Action, GlideDecoder.ReadText(data));
                break;
            case GlideActions.Heartbeat:
                GlideEncoder.Notify(b, e.Seq, e.Action, null);
                break;
            case GlideActions.NotifyKickOut:
                var kick = GlideDecoder.ReadKickOut(data);
                GlideEncoder.KickOut(b, kick.DeviceId, kick.DeviceName);
                break;
            case GlideActions.AckMessage:
                var ack = GlideDecoder.ReadAck(data);
                GlideEncoder.AckMessage(b, Encoding.UTF8.GetString(data).Contains("cli_mid", StringComparison.Ordinal), ack.CliMid, ack.Mid, ack.From, ack.Seq);
                break;
            case GlideActions.AckNotify:
                GlideEncoder.AckNotify(b, true, GlideDecoder.ReadAck(data));
                break;
            case GlideActions.Chat or GlideActions.Group:
                GlideEncoder.Push(b, e.Action, e.Seq, e.From, e.To, GlideDecoder.ReadChat(data), e.Ticket, e.HasExtra ? e.Extra(frame) : default);
                break;
            default:
                GlideEncoder.Raw(b, e.Seq, e.Action, e.From, e.To, data);
                break;
        }

        return b.ToArray();
    }

    [Fact]
    public void Chat_push_decodes_to_its_fields()
    {
        var frame = """{"ver":1,"action":"message.chat","data":{"cliMid":"8F0C","mid":1720000000,"seq":3,"from":"1001","to":"1002","type":1,"content":"hi","sendAt":1720000000123}}"""u8.ToArray();
        var e = GlideDecoder.DecodeEnvelope(frame);
        Assert.Equal(GlideActions.Chat, e.Action);
        Assert.Null(e.From);
        Assert.Equal(GlideDataKind.Object, e.DataKind);
        Assert.Equal(new GlideChatMessage("8F0C", 1720000000, 3, "1001", "1002", 1, "hi", 1720000000123), GlideDecoder.ReadChat(e.Data(frame)));
    }

    [Fact]
    public void Both_ack_generations_give_the_cli_mid()
    {
        Assert.Equal(new GlideAck("8F0C", 1720000000, 3, "1002", null), GlideDecoder.ReadAck("""{"cli_mid":"8F0C","mid":1720000000,"from":"1002","seq":3}"""u8));
        Assert.Equal(new GlideAck("8F0C", 1720000000, 0, null, null), GlideDecoder.ReadAck("""{"cliMid":"8F0C","mid":1720000000}"""u8));
    }

    [Fact]
    public void Client_authenticate_and_heartbeat_are_byte_exact()
    {
        using var auth = new PooledBufferWriter(512);
        GlideEncoder.Authenticate(auth, 1, "QUJD");
        Assert.Equal("""{"ver":1,"seq":1,"action":"authenticate","data":{"version":1,"credential":"QUJD"}}""", Encoding.UTF8.GetString(auth.WrittenSpan));
        using var hb = new PooledBufferWriter(512);
        GlideEncoder.ClientHeartbeat(hb, 4);
        Assert.Equal("""{"ver":1,"seq":4,"action":"heartbeat","data":{}}""", Encoding.UTF8.GetString(hb.WrittenSpan));
    }

    [Fact]
    public void Direct_send_matches_the_document_example_with_data_embedded()
    {
        using var b = new PooledBufferWriter(512);
        GlideEncoder.Send(b, GlideActions.Chat, 7, "1002", "937116764d1d428c8e47b0d8f985b1d543363f1d", new GlideChatMessage("8F0C", 0, 3, "1001", "1002", 1, "hi", 1720000000123));
        var json = Encoding.UTF8.GetString(b.WrittenSpan);
        Assert.Equal("""{"ver":1,"seq":7,"action":"message.chat","to":"1002","data":{"cliMid":"8F0C","mid":0,"seq":3,"from":"1001","to":"1002","type":1,"content":"hi","sendAt":1720000000123},"ticket":"937116764d1d428c8e47b0d8f985b1d543363f1d"}""", json);
        var doc = """{"ver":1,"seq":7,"action":"message.chat","to":"1002","ticket":"937116764d1d428c8e47b0d8f985b1d543363f1d","data":{"cliMid":"8F0C","mid":0,"seq":3,"from":"1001","to":"1002","type":1,"content":"hi","sendAt":1720000000123}}""";
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(doc).RootElement, JsonDocument.Parse(json).RootElement));
        Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(json).RootElement.GetProperty("data").ValueKind);
    }

    [Fact]
    public void Send_carries_the_origin_marker_in_extra()
    {
        using var b = new PooledBufferWriter(512);
        GlideEncoder.Send(b, GlideActions.Group, 2, "room", "t", new GlideChatMessage("k", 0, 1, "900", "room", 1, "x", 5), "bridgeOrigin", "0123456789abcdef0123456789abcdef");
        var frame = b.ToArray();
        var e = GlideDecoder.DecodeEnvelope(frame);
        Assert.Equal("0123456789abcdef0123456789abcdef", GlideDecoder.ReadExtraValue(e.Extra(frame), "bridgeOrigin"u8));
    }

    [Fact]
    public void Portable_ack_request_addresses_the_original_sender_three_times()
    {
        using var b = new PooledBufferWriter(512);
        GlideEncoder.AckRequest(b, "1001", "8F0C", 1720000000, 3);
        Assert.Equal("""{"ver":1,"action":"ack.request","to":"1001","data":{"cli_mid":"8F0C","seq":3,"mid":1720000000,"from":"1001","to":"1001"}}""", Encoding.UTF8.GetString(b.WrittenSpan));
    }

    [Fact]
    public void Dart_style_nulls_are_accepted()
    {
        var e = GlideDecoder.DecodeEnvelope("""{"ver":1,"seq":null,"action":"message.chat","to":null,"ticket":null,"data":{"cliMid":"a"},"extra":null}"""u8);
        Assert.Equal(0, e.Seq);
        Assert.Null(e.To);
        Assert.False(e.HasExtra);
    }

    [Theory]
    [InlineData("{b", "invalid character 'b' looking for beginning of object key string")]
    [InlineData("", "unexpected end of JSON input")]
    [InlineData("{\"ver\":1,\"action\":\"heartbeat\"", "unexpected end of JSON input")]
    [InlineData("{\"seq\":\"1\",\"action\":\"heartbeat\"}", "json: cannot unmarshal string into Go struct field GlideMessage.seq of type int64")]
    [InlineData("{\"action\":\"x\",\"extra\":{\"a\":1}}", "json: cannot unmarshal number 1 into Go struct field GlideMessage.extra of type string")]
    [InlineData("[1]", "json: cannot unmarshal array into Go value of type messages.GlideMessage")]
    [InlineData("{\"action\":\"x\"} x", "invalid character 'x' after top-level value")]
    [InlineData("{\"seq\":1.5}", "json: cannot unmarshal number 1.5 into Go struct field GlideMessage.seq of type int64")]
    public void Malformed_frames_give_exact_errors(string json, string error)
    {
        var ex = Assert.Throws<GlideDecodeException>(() => GlideDecoder.DecodeEnvelope(Encoding.UTF8.GetBytes(json)));
        Assert.Equal(error, ex.Message);
    }

    [Fact]
    public void Oversize_frames_are_refused_before_parsing()
    {
        var ex = Assert.Throws<GlideDecodeException>(() => GlideDecoder.DecodeEnvelope(new byte[2048], 1024));
        Assert.Equal("frame of 2048 bytes exceeds the limit of 1024 bytes", ex.Message);
    }

    [Fact]
    public void Chat_data_given_as_a_string_is_a_type_error()
    {
        var ex = Assert.Throws<GlideDecodeException>(() => GlideDecoder.ReadChat("\"{\\\"cliMid\\\":1}\""u8));
        Assert.Equal("json: cannot unmarshal string into Go value of type messages.ChatMessage", ex.Message);
    }

    [Fact]
    public void Keys_match_case_insensitively_but_cliMid_is_not_cli_mid()
    {
        var chat = GlideDecoder.ReadChat("""{"CLIMID":"a","Content":"c","cli_mid":"b"}"""u8);
        Assert.Equal("a", chat.CliMid);
        Assert.Equal("c", chat.Content);
    }
}
