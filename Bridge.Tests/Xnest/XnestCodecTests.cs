using System.Text;
using Bridge.Connectors.Xnest;

namespace Bridge.Tests.Xnest;

public class XnestCodecTests
{
    /// <summary>The protocol document's test vectors (section 10), single-line as the server emits them.</summary>
    public static readonly string[] Lines =
    [
        """{"from":"<0.31891.2>","xnest":"f45c6d7720375d90f660a7b7e3ae11bf","type":"self","payload":"<0.31891.2>","send_time":"2015-4-8 14:2:6"}""",
        """{"from":"<0.31891.2>","xnest":"f45c6d7720375d90f660a7b7e3ae11bf","type":"member_count","payload":1,"send_time":"2015-4-8 14:2:6"}""",
        """{"from":"<0.31891.2>","xnest":"f45c6d7720375d90f660a7b7e3ae11bf","type":"members","payload":[{"pid":"<0.31891.2>","nickname":"小明"}],"send_time":"2015-4-8 14:2:6"}""",
        """{"from":"<0.31891.2>","xnest":"f45c6d7720375d90f660a7b7e3ae11bf","type":"history","payload":[{"from":"<0.1897.0>","payload":" 12121435131197391","type":"text","send_time":"2015-06-24"},{"from":"<0.1897.0>","payload":" http://meet.xpro.im/123242112312","type":"audio","send_time":"2015-06-24"},{"from":"<0.1897.0>","payload":" 大大的1435131192974","type":"text","send_time":"2015-06-24"},{"from":"<0.1897.0>","payload":"爱上对方1435131191173","type":"text","send_time":"2015-06-24"}],"send_time":"2015-4-8 14:2:6"}""",
        """{"from":"<0.31891.2>","xnest":"f45c6d7720375d90f660a7b7e3ae11bf","type":"join","payload":"黑旋风李逵","send_time":"2015-4-8 14:2:6"}""",
        """{"from":"<0.31916.2>","xnest":"f45c6d7720375d90f660a7b7e3ae11bf","type":"leave","payload":"leave","send_time":"2015-4-8 14:23:28"}""",
        """{"from":"<0.31891.2>","xnest":"f45c6d7720375d90f660a7b7e3ae11bf","type":"normal","payload":"大家好","send_time":"2015-4-8 14:25:30"}""",
        """{"from":"<0.31890.2>","xnest":"f45c6d7720375d90f660a7b7e3ae11bf","type":"private","payload":"今天你吃饭了吗?","send_time":"2015-4-8 14:2:6"}""",
        """{"from":"<0.31890.2>","xnest":"f45c6d7720375d90f660a7b7e3ae11bf","type":"audio","payload":"http://meet.xpro.im:8080/14009e12d791e664fc0175aecb31d833/1452482123561863","send_time":"2015-4-8 14:2:6"}""",
        """{"from":"<0.31890.2>","xnest":"f45c6d7720375d90f660a7b7e3ae11bf","type":"picture","payload":"http://meet.xpro.im:8080/14009e12d791e664fc0175aecb31d833/1452482123561863","send_time":"2015-4-8 14:2:6"}""",
        """{"from":"<0.31891.2>","xnest":"f45c6d7720375d90f660a7b7e3ae11bf","type":"changename","payload":"黑旋风李逵","send_time":"2015-4-8 14:2:6"}""",
    ];

    public static TheoryData<string> Vectors => new(Lines);

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Every_protocol_vector_decodes_and_encodes_back_byte_exactly(string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line);
        Assert.True(XnestCodec.TryDecode(bytes, out var frame, out var error), error);
        Assert.Equal(bytes, XnestCodec.Encode(frame!));
    }

    [Fact]
    public void Vectors_decode_to_the_documented_values()
    {
        var frames = Lines.Select(Decode).ToArray();
        Assert.Equal((XnestFrameType.Self, "<0.31891.2>"), (frames[0].Type, frames[0].Text));
        Assert.Equal(1, frames[1].Number);
        Assert.Equal([new XnestMember("<0.31891.2>", "小明")], frames[2].Members!);
        Assert.Equal(4, frames[3].History!.Count);
        Assert.Equal(new XnestHistoryItem("<0.1897.0>", " http://meet.xpro.im/123242112312", "audio", "2015-06-24"), frames[3].History![1]);
        Assert.Equal((XnestFrameType.Join, "黑旋风李逵"), (frames[4].Type, frames[4].Text));
        Assert.Equal((XnestFrameType.Leave, "<0.31916.2>", "2015-4-8 14:23:28"), (frames[5].Type, frames[5].From, frames[5].SendTime));
        Assert.Equal((XnestFrameType.Normal, "大家好"), (frames[6].Type, frames[6].Text));
        Assert.Equal((XnestFrameType.Private, "<0.31890.2>"), (frames[7].Type, frames[7].From));
        Assert.Equal(XnestFrameType.Audio, frames[8].Type);
        Assert.Equal(XnestFrameType.Picture, frames[9].Type);
        Assert.Equal(XnestFrameType.ChangeName, frames[10].Type);
        Assert.All(frames, f => Assert.Equal("f45c6d7720375d90f660a7b7e3ae11bf", f.Room));
    }

    [Fact]
    public void The_seed_s_older_history_items_without_type_decode()
    {
        var frame = Decode("""{"from":"<0.31891.2>","xnest":"f45c","type":"history","payload":[{"from":"<0.1897.0>","payload":" 12121435131197391","send_time":"2015-06-24"},{"from":"<0.1897.0>","payload":" 1111435131194487","send_time":"2015-06-24"}],"send_time":"2015-4-8 14:2:6"}""");
        Assert.Equal(2, frame.History!.Count);
        Assert.Null(frame.History[0].Type);
    }

    [Fact]
    public void Multi_line_seed_layout_and_other_key_orders_decode_too()
    {
        var frame = Decode("{\n  \"send_time\":\n  \"2015-4-8 14:25:30\", \"payload\":\"大家好\", \"type\":\"normal\", \"xnest\":\"r\", \"from\":\"<0.31891.2>\", \"extra\": {\"a\":[1,2]}\n}");
        Assert.Equal((XnestFrameType.Normal, "大家好", "2015-4-8 14:25:30"), (frame.Type, frame.Text, frame.SendTime));
    }

    [Fact]
    public void Empty_history_and_unknown_types_decode()
    {
        Assert.Empty(Decode("""{"from":"<0.1.0>","xnest":"r","type":"history","payload":[],"send_time":"2015-4-8 14:2:6"}""").History!);
        var unknown = Decode("""{"from":"<0.1.0>","xnest":"r","type":"video","payload":{"x":1},"send_time":"t"}""");
        Assert.Equal((XnestFrameType.Unknown, "video"), (unknown.Type, unknown.TypeName));
    }

    [Theory]
    [InlineData("", "empty frame")]
    [InlineData("[1,2]", "frame is not a JSON object")]
    [InlineData("\"x\"", "frame is not a JSON object")]
    [InlineData("""{"from":"<0.1.0>","xnest":"r","type":"normal","payload":"hi","send""", "truncated JSON after 66 bytes")]
    [InlineData("""{"from":"<0.1.0>","xnest":"r","type":"normal","payload":"hi","send_time":"t"}x""", "malformed JSON at byte 77")]
    [InlineData("""{"from":"<0.1.0>","xnest":"r","payload":"hi","send_time":"t"}""", "frame lacks 'type'")]
    [InlineData("""{"xnest":"r","type":"normal","payload":"hi","send_time":"t"}""", "frame lacks 'from'")]
    [InlineData("""{"from":"<0.1.0>","type":7,"payload":"hi"}""", "'type' is not a string")]
    [InlineData("""{"from":"<0.1.0>","type":"member_count","payload":"2"}""", "payload of a 'member_count' frame must be a number")]
    [InlineData("""{"from":"<0.1.0>","type":"member_count","payload":2.5}""", "'payload' is not a whole number")]
    [InlineData("""{"from":"<0.1.0>","type":"normal","payload":5}""", "payload of a 'normal' frame must be a string")]
    [InlineData("""{"from":"<0.1.0>","type":"members","payload":"x"}""", "payload of a 'members' frame must be an array")]
    [InlineData("""{"from":"<0.1.0>","type":"members","payload":[{"from":"a","payload":"b"}]}""", "payload of a 'members' frame must hold {pid, nickname} objects")]
    [InlineData("""{"from":"<0.1.0>","type":"history","payload":[1]}""", "array payload holds a non-object")]
    [InlineData("""{"from":"<0.1.0>","type":"history","payload":[{"x":1}]}""", "array item is neither a member {pid, nickname} nor a history item {from, payload, send_time}")]
    public void Bad_input_gets_an_exact_error(string json, string expected)
    {
        Assert.False(XnestCodec.TryDecode(Encoding.UTF8.GetBytes(json), out var frame, out var error));
        Assert.Equal(default, frame);
        Assert.Equal(expected, error);
    }

    [Fact]
    public void Oversize_and_invalid_utf8_frames_are_rejected_with_exact_errors()
    {
        var big = Encoding.UTF8.GetBytes($$"""{"from":"<0.1.0>","type":"normal","payload":"{{new string('x', 2000)}}"}""");
        Assert.False(XnestCodec.TryDecode(big, out _, out var error, maxFrameBytes: 1024));
        Assert.Equal($"frame of {big.Length} bytes exceeds the limit of 1024 bytes", error);

        var bad = Encoding.UTF8.GetBytes("""{"from":"<0.1.0>","type":"normal","payload":"ab"}""");
        bad[^3] = 0xFF;
        Assert.False(XnestCodec.TryDecode(bad, out _, out error));
        Assert.NotNull(error);
    }

    [Fact]
    public void Random_frames_round_trip()
    {
        var random = new Random(4711);
        for (var i = 0; i < 2000; i++)
        {
            var type = (XnestFrameType)random.Next(1, 15);
            var frame = new XnestFrame(
                RandomText(random), RandomText(random), type, RandomText(random),
                Text: type is XnestFrameType.MemberCount or XnestFrameType.Members or XnestFrameType.History ? null : RandomText(random),
                Number: type == XnestFrameType.MemberCount ? random.NextInt64(-1000, long.MaxValue) : null,
                Members: type == XnestFrameType.Members ? Enumerable.Range(0, random.Next(4)).Select(_ => new XnestMember(RandomText(random), RandomText(random))).ToArray() : null,
                History: type == XnestFrameType.History ? Enumerable.Range(0, random.Next(4)).Select(_ => new XnestHistoryItem(RandomText(random), RandomText(random), random.Next(2) == 0 ? null : "text", RandomText(random))).ToArray() : null);
            var bytes = XnestCodec.Encode(frame);
            Assert.True(XnestCodec.TryDecode(bytes, out var back, out var error), error);
            Assert.Equal(frame, back);
        }
    }

    [Fact]
    public void Ten_thousand_random_and_mutated_frames_never_throw()
    {
        var random = new Random(1234);
        var seeds = Lines.Select(Encoding.UTF8.GetBytes).ToArray();
        var decoded = 0;
        for (var i = 0; i < 12_000; i++)
        {
            var input = XnestFuzz.Frame(random, seeds);
            if (XnestCodec.TryDecode(input, out var frame, out var error))
            {
                Assert.NotNull(frame.From);
                decoded++;
            }
            else
            {
                Assert.False(string.IsNullOrEmpty(error));
            }
        }

        Assert.InRange(decoded, 1, 11_999);
    }

    internal static string RandomText(Random random)
    {
        const string alphabet = "abcXYZ019 <>.@:|/\\\"'\n\t\u0001中文黑旋风李逵\u00e9\u2028";
        var sb = new StringBuilder();
        var length = random.Next(0, 24);
        for (var i = 0; i < length; i++)
        {
            if (random.Next(20) == 0)
            {
                sb.Append("😀");
            }
            else
            {
                sb.Append(alphabet[random.Next(alphabet.Length)]);
            }
        }

        return sb.ToString();
    }

    private static XnestFrame Decode(string json)
    {
        Assert.True(XnestCodec.TryDecode(Encoding.UTF8.GetBytes(json), out var frame, out var error), error);
        return frame!;
    }
}

/// <summary>Random and mutated frames for the decoder and live-session fuzz tests.</summary>
internal static class XnestFuzz
{
    public static byte[] Frame(Random random, byte[][] seeds)
    {
        switch (random.Next(4))
        {
            case 0:
                var noise = new byte[random.Next(0, 200)];
                random.NextBytes(noise);
                return noise;
            case 1:
                var seed = seeds[random.Next(seeds.Length)];
                return seed[..random.Next(seed.Length + 1)];
            default:
                var mutated = (byte[])seeds[random.Next(seeds.Length)].Clone();
                for (var j = random.Next(1, 6); j > 0; j--)
                {
                    mutated[random.Next(mutated.Length)] = random.Next(3) switch
                    {
                        0 => (byte)random.Next(256),
                        1 => (byte)"{}[]\":,"[random.Next(7)],
                        _ => (byte)'0',
                    };
                }

                return mutated;
        }
    }
}
