using System.Text;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Glide;

namespace Bridge.Tests.Glide;

/// <summary>Round trips over seeded random messages, and a fuzz run over random and mutated frames.</summary>
public sealed class GlideCodecPropertyTests
{
    private static readonly string[] Alphabet = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u0001", "é", "中", "😀", "<", "&", "'", "\u2028", "_", "@"];

    internal static string RandomText(Random random, int max)
    {
        var sb = new StringBuilder();
        var n = random.Next(max);
        for (var i = 0; i < n; i++)
        {
            sb.Append(Alphabet[random.Next(Alphabet.Length)]);
        }

        return sb.ToString();
    }

    [Fact]
    public void Sent_messages_decode_to_what_was_encoded()
    {
        var random = new Random(5);
        for (var i = 0; i < 2000; i++)
        {
            var chat = new GlideChatMessage(
                RandomText(random, 40), random.NextInt64(0, long.MaxValue), random.NextInt64(), RandomText(random, 12), RandomText(random, 12),
                random.Next(), RandomText(random, 200), random.NextInt64());
            var action = random.Next(2) == 0 ? GlideActions.Chat : GlideActions.Group;
            var seq = random.NextInt64(1, long.MaxValue);
            var to = RandomText(random, 20);
            var origin = Guid.NewGuid().ToString("N");
            using var buffer = new PooledBufferWriter(512);
            GlideEncoder.Send(buffer, action, seq, to, "t", chat, "bridgeOrigin", origin);
            var frame = buffer.ToArray();
            var e = GlideDecoder.DecodeEnvelope(frame);
            Assert.Equal(action, e.Action);
            Assert.Equal(seq, e.Seq);
            Assert.Equal(string.IsNullOrEmpty(to) ? null : to, e.To);
            Assert.Equal(chat, GlideDecoder.ReadChat(e.Data(frame)));
            Assert.Equal(origin, GlideDecoder.ReadExtraValue(e.Extra(frame), "bridgeOrigin"u8));
        }
    }

    [Fact]
    public void Pushes_and_acks_round_trip()
    {
        var random = new Random(11);
        for (var i = 0; i < 1000; i++)
        {
            var chat = new GlideChatMessage(RandomText(random, 10) + "k", random.NextInt64(1, long.MaxValue), random.NextInt64(1, long.MaxValue), "f" + RandomText(random, 8), "t" + RandomText(random, 8), 1, "c" + RandomText(random, 50), random.NextInt64(1, long.MaxValue));
            using var push = new PooledBufferWriter(512);
            GlideEncoder.Push(push, GlideActions.Group, 3, chat.From, chat.To, chat, null, default);
            var frame = push.ToArray();
            Assert.Equal(chat, GlideDecoder.ReadChat(GlideDecoder.DecodeEnvelope(frame).Data(frame)));

            var ack = new GlideAck(chat.CliMid, chat.Mid, chat.Seq, chat.From, chat.To);
            using var a = new PooledBufferWriter(512);
            GlideEncoder.AckNotify(a, true, ack);
            var ackFrame = a.ToArray();
            Assert.Equal(ack, GlideDecoder.ReadAck(GlideDecoder.DecodeEnvelope(ackFrame).Data(ackFrame)));
        }
    }

    internal static IEnumerable<byte[]> FuzzFrames(int count, int seed, bool includeKick = true)
    {
        var corpus = new List<string>
        {
            """{"ver":1,"action":"message.chat","data":{"cliMid":"8F0C","mid":1720000000,"seq":3,"from":"1001","to":"1002","type":1,"content":"hi","sendAt":1720000000123}}""",
            """{"ver":1,"seq":9,"action":"message.group","from":"1001","to":"room","data":{"cliMid":"X","seq":2,"type":1,"content":"yo","sendAt":1},"ticket":"abc","extra":{"bridgeOrigin":"0123456789abcdef0123456789abcdef"}}""",
            """{"ver":1,"action":"ack.message","data":{"cli_mid":"8F0C","mid":1720000000,"from":"1002","seq":3}}""",
            """{"ver":1,"seq":7,"action":"notify.forbidden","data":"invalid ticket"}""",
            """{"ver":1,"action":"heartbeat","data":null}""",
            """{"ver":1,"action":"message.group.notify","data":{"from":"system","type":5,"body":{"members":["system","1001"]}}}""",
            """{"ver":1,"action":"notify.state","data":{"uid":"1001","online":true}}""",
            """{"ver":1,"action":"ack.notify","data":{"cli_mid":"8F0C","seq":3,"mid":1720000000,"from":"1002","to":"1001"}}""",
        };
        if (includeKick)
        {
            corpus.Add("""{"ver":1,"action":"notify.kickout","data":{"device_id":"2"}}""");
        }

        var random = new Random(seed);
        var tokens = new[] { "{", "}", "[", "]", ":", ",", "\"", "null", "1", "-1e999", "\"data\"", "\"action\"", "\\u00", "\uFFFF", "\0" };
        for (var i = 0; i < count; i++)
        {
            var bytes = Encoding.UTF8.GetBytes(corpus[random.Next(corpus.Count)]);
            switch (random.Next(5))
            {
                case 0:
                    var noise = new byte[random.Next(0, 200)];
                    random.NextBytes(noise);
                    yield return noise;
                    break;
                case 1:
                    yield return bytes[..random.Next(bytes.Length)];
                    break;
                case 2:
                    for (var k = random.Next(1, 6); k > 0; k--)
                    {
                        bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                    }

                    yield return bytes;
                    break;
                case 3:
                    var text = Encoding.UTF8.GetString(bytes);
                    var at = random.Next(text.Length);
                    yield return Encoding.UTF8.GetBytes(text[..at] + tokens[random.Next(tokens.Length)] + text[at..]);
                    break;
                default:
                    var s = Encoding.UTF8.GetString(bytes);
                    var cut = random.Next(s.Length);
                    yield return Encoding.UTF8.GetBytes(s[..cut] + s[Math.Min(s.Length, cut + random.Next(1, 10))..]);
                    break;
            }
        }
    }

    [Fact]
    public void Ten_thousand_random_and_mutated_frames_only_ever_give_decode_errors()
    {
        var decoded = 0;
        var refused = 0;
        foreach (var frame in FuzzFrames(12_000, 42))
        {
            try
            {
                var e = GlideDecoder.DecodeEnvelope(frame);
                var data = e.Data(frame);
                switch (e.DataKind)
                {
                    case GlideDataKind.Object:
                        _ = GlideDecoder.ReadChat(data);
                        _ = GlideDecoder.ReadAck(data);
                        break;
                    default:
                        _ = GlideDecoder.ReadText(data);
                        break;
                }

                if (e.HasExtra)
                {
                    _ = GlideDecoder.ReadExtra(e.Extra(frame));
                }

                decoded++;
            }
            catch (GlideDecodeException ex)
            {
                Assert.False(string.IsNullOrEmpty(ex.Message));
                refused++;
            }
        }

        Assert.True(decoded > 100, $"only {decoded} frames decoded");
        Assert.True(refused > 1000, $"only {refused} frames refused");
    }
}
