using Bridge.Connectors.ErlangGateway;

namespace Bridge.Tests.ErlangGateway;

/// <summary>Round trips over random packets and a fuzz run of random and mutated frames.</summary>
public class ErlangCodecPropertyTests
{
    private static readonly ErlangCommand[] MessageCommands = [ErlangCommand.Publish, ErlangCommand.GroupPublish, ErlangCommand.GroupPartPublish];

    [Fact]
    public void Random_messages_round_trip_in_both_directions()
    {
        var random = new Random(20261122);
        for (var i = 0; i < 2_000; i++)
        {
            var command = MessageCommands[random.Next(MessageCommands.Length)];
            var source = random.Next(2) == 0 ? PacketSource.Client : PacketSource.Server;
            var target = command == ErlangCommand.Publish && source == PacketSource.Server ? 0u : (uint)random.NextInt64(0, uint.MaxValue + 1L);
            var uids = command == ErlangCommand.GroupPartPublish
                ? Enumerable.Range(0, random.Next(0, 50)).Select(_ => (uint)random.NextInt64(0, uint.MaxValue + 1L)).ToArray()
                : [];
            var payload = new byte[random.Next(0, random.Next(2) == 0 ? 100 : 70_000) % 65_536];
            random.NextBytes(payload);
            var msgId = System.Text.Encoding.ASCII.GetBytes(ErlangMsgIds.New());

            var frame = ErlangCodec.Message(command, source, target, msgId, uids, payload);
            Assert.Null(ErlangCodec.TryDecode(frame, source, out var packet));
            Assert.Equal(command, packet.Command);
            Assert.Equal(target, packet.TargetId);
            Assert.Equal(msgId, packet.MsgIdBytes.ToArray());
            Assert.Equal(uids, packet.Uids());
            Assert.Equal(payload, packet.Payload.ToArray());
        }
    }

    [Fact]
    public void Random_connects_round_trip()
    {
        var random = new Random(7);
        for (var i = 0; i < 1_000; i++)
        {
            var user = new string((char)random.Next(0x20, 0x7000), random.Next(0, 30));
            if (char.IsSurrogate(user.FirstOrDefault()))
            {
                continue;
            }

            var pass = Convert.ToHexString(Guid.NewGuid().ToByteArray())[..random.Next(0, 32)];
            byte? role = random.Next(3) == 0 ? null : (byte)random.Next(256);
            byte? clientId = role is null || random.Next(2) == 0 ? null : (byte)random.Next(256);
            var frame = ErlangCodec.Connect(user, pass, role, clientId);
            Assert.Null(ErlangCodec.TryDecode(frame, PacketSource.Client, out var packet));
            Assert.Equal(new ErlangConnect(user, pass, role, clientId), packet.Connect);
        }
    }

    [Fact]
    public void Decoding_a_push_allocates_nothing()
    {
        var push = ErlangCodec.Message(ErlangCommand.GroupPartPublish, PacketSource.Server, 7, ErlangCodecTests.MsgId, [1, 2], ErlangCodecTests.Hello);
        ReadOnlyMemory<byte> frame = push;
        ErlangCodec.TryDecode(frame, PacketSource.Server, out _); // warm up

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000; i++)
        {
            ErlangCodec.TryDecode(frame, PacketSource.Server, out var packet);
            _ = packet.UidAt(1) + packet.Payload.Length;
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Acks_round_trip()
    {
        foreach (var ack in new[] { ErlangCommand.PubAck, ErlangCommand.GroupPubAck, ErlangCommand.GroupPartPubAck })
        {
            var id = ErlangMsgIds.New();
            Assert.Null(ErlangCodec.TryDecode(ErlangCodec.Ack(ack, id), PacketSource.Server, out var packet));
            Assert.Equal(ack, packet.Command);
            Assert.Equal(id, packet.MsgId);
        }
    }

    [Fact]
    public void Ten_thousand_random_and_mutated_frames_never_throw()
    {
        var random = new Random(99);
        var seeds = new[]
        {
            ErlangCodec.Connect("test", "123456", 1, 2),
            ErlangCodec.Message(ErlangCommand.Publish, PacketSource.Client, 1234, ErlangCodecTests.MsgId, [], ErlangCodecTests.Hello),
            ErlangCodec.Message(ErlangCommand.Publish, PacketSource.Server, 0, ErlangCodecTests.MsgId, [], ErlangCodecTests.Hello),
            ErlangCodec.Message(ErlangCommand.GroupPartPublish, PacketSource.Client, 7, ErlangCodecTests.MsgId, [1, 2, 3], ErlangCodecTests.Hello),
            ErlangCodec.Ack(ErlangCommand.GroupPubAck, ErlangCodecTests.MsgIdText),
            ErlangCodec.ConnectAck(0),
        };
        var decoded = 0;
        foreach (var frame in FuzzFrames.Generate(random, seeds, 12_000))
        {
            foreach (var source in new[] { PacketSource.Server, PacketSource.Client })
            {
                var error = ErlangCodec.TryDecode(frame, source, out var packet);
                if (error is null)
                {
                    decoded++;
                    _ = packet.IsMessage ? packet.Payload.Length + packet.UidCount : 0;
                    _ = packet.HasMsgId ? packet.MsgId : null;
                }
                else
                {
                    Assert.False(string.IsNullOrWhiteSpace(error));
                }

                _ = ErlangPayload.Decode(frame, PayloadFormat.XywyJson);
            }
        }

        Assert.True(decoded > 100, "some mutated frames should still decode");
    }
}

/// <summary>Random frames and mutations (bit flips, truncation, extension, splices) of valid ones.</summary>
internal static class FuzzFrames
{
    public static IEnumerable<byte[]> Generate(Random random, byte[][] seeds, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var seed = seeds[random.Next(seeds.Length)];
            byte[] frame;
            switch (random.Next(6))
            {
                case 0:
                    frame = new byte[random.Next(0, 80)];
                    random.NextBytes(frame);
                    if (frame.Length > 0 && random.Next(2) == 0)
                    {
                        frame[0] = (byte)random.Next(0, 21);
                    }

                    break;
                case 1:
                    frame = (byte[])seed.Clone();
                    for (var flips = random.Next(1, 4); flips > 0; flips--)
                    {
                        frame[random.Next(frame.Length)] ^= (byte)(1 << random.Next(8));
                    }

                    break;
                case 2:
                    frame = seed[..random.Next(0, seed.Length)];
                    break;
                case 3:
                    frame = [.. seed, .. Enumerable.Range(0, random.Next(1, 10)).Select(_ => (byte)random.Next(256))];
                    break;
                case 4:
                    var other = seeds[random.Next(seeds.Length)];
                    frame = [.. seed[..random.Next(seed.Length)], .. other[random.Next(other.Length)..]];
                    break;
                default:
                    frame = (byte[])seed.Clone();
                    if (frame.Length > 3)
                    {
                        frame[random.Next(1, frame.Length)] = 0xff;
                    }

                    break;
            }

            yield return frame;
        }
    }
}
