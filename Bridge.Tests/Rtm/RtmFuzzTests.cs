using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Rtm;
using Bridge.Connectors.Rtm.Fpnn;
using Bridge.Connectors.Rtm.MsgPack;
using Bridge.Contracts.V1;
using Bridge.Simulators.Rtm;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.Rtm;

/// <summary>Random and mutated packets: the decoder never throws, and a live session always recovers.</summary>
public sealed class RtmFuzzTests(ITestOutputHelper output)
{
    private static byte[] ValidPush(Random random)
    {
        using var packet = FpnnPacketWriter.Quest(random.Next(2) == 0 ? "pushroommsg" : "pushmsg", (uint)random.Next(1, 1000));
        var w = packet.Payload;
        w.WriteMapHeader(7);
        w.WriteString("from");
        w.WriteInt64(random.NextInt64(1, long.MaxValue));
        w.WriteString("rid");
        w.WriteInt64(random.Next());
        w.WriteString("mid");
        w.WriteUInt64((ulong)random.NextInt64());
        w.WriteString("mtype");
        w.WriteInt64(random.Next(0, 128));
        w.WriteString("msg");
        w.WriteString(new string('m', random.Next(0, 300)));
        w.WriteString("attrs");
        w.WriteString(random.Next(3) == 0 ? "{\"bridgeOrigin\":\"zz\",\"excludedUids\":[1]}" : string.Empty);
        w.WriteString("mtime");
        w.WriteInt64(random.NextInt64());
        return packet.ToArray();
    }

    private static byte[] Mutate(byte[] valid, Random random)
    {
        var bytes = valid.ToArray();
        switch (random.Next(4))
        {
            case 0:
                for (var i = random.Next(1, 4); i > 0; i--)
                {
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                }

                return bytes;
            case 1:
                return bytes[..random.Next(bytes.Length)];
            case 2:
                bytes[random.Next(16, bytes.Length)] = (byte)random.Next(0xc0, 0x100); // payload format bytes
                return bytes;
            default:
                var junk = new byte[random.Next(1, 64)];
                random.NextBytes(junk);
                return random.Next(2) == 0 ? junk : [.. bytes, .. junk];
        }
    }

    [Fact]
    public void Ten_thousand_random_and_mutated_packets_never_throw_from_the_decoders()
    {
        var random = new Random(42);
        var outcomes = new Dictionary<FpnnDecodeStatus, int>();
        var pushes = 0;
        for (var i = 0; i < 12000; i++)
        {
            byte[] input;
            if (i % 3 == 0)
            {
                input = new byte[random.Next(0, 80)];
                random.NextBytes(input);
                if (random.Next(2) == 0 && input.Length >= 8)
                {
                    "FPNN"u8.CopyTo(input);
                    input[4] = 1;
                    input[5] = 0x80;
                }
            }
            else
            {
                input = Mutate(ValidPush(random), random);
            }

            using var decoder = new FpnnStreamDecoder(4096);
            var status = decoder.Feed(input, packet =>
            {
                if (RtmPushDecoder.TypeOf(packet.Method) is { } type && RtmPushDecoder.TryDecode(type, packet.Payload, out var push, out _))
                {
                    pushes++;
                    RtmNormalizer.ToPosted("rtm", push, RtmRig.DefaultOptions(new Uri("ws://x:1/")), DateTimeOffset.UnixEpoch, out _);
                }

                try
                {
                    MsgPackTree.Decode(packet.Payload);
                    _ = new RtmAnswer(1, packet.Payload.ToArray()).ErrorText;
                }
                catch (MsgPackException)
                {
                    // A clean, typed error.
                }
            }, out _);
            outcomes[status] = outcomes.GetValueOrDefault(status) + 1;
        }

        output.WriteLine(string.Join(", ", outcomes.Select(o => $"{o.Key}: {o.Value}")) + $"; pushes decoded: {pushes}");
        Assert.True(outcomes.GetValueOrDefault(FpnnDecodeStatus.Malformed) > 1000);
        Assert.True(pushes > 1000);
    }

    [Fact]
    public void Packets_split_and_coalesced_across_messages_decode_as_a_stream()
    {
        var random = new Random(5);
        var packets = Enumerable.Range(0, 200).Select(_ => ValidPush(random)).ToList();
        var stream = packets.SelectMany(p => p).ToArray();
        using var decoder = new FpnnStreamDecoder();
        var seen = 0;
        for (var offset = 0; offset < stream.Length;)
        {
            var take = Math.Min(random.Next(1, 700), stream.Length - offset);
            Assert.NotEqual(FpnnDecodeStatus.Malformed, decoder.Feed(stream.AsSpan(offset, take), _ => seen++, out _));
            offset += take;
        }

        Assert.Equal(200, seen);
        Assert.Equal(0, decoder.PendingBytes);
    }

    /// <summary>
    /// FPNN cannot resynchronise a stream, so a malformed packet closes the connection and the session
    /// reconnects (protocols/rtm.md). To put 10,000 frames through live sessions, each round sends
    /// 99 valid pushes and then one random or mutated frame, and waits until the session has read
    /// them (the connector's own frame counter) or has ended; frames sent to a session that a malformed
    /// frame already ended are not counted. Rounds go on until the sessions read 10,000 fuzz frames.
    /// </summary>
    [Fact]
    public async Task A_live_session_fed_ten_thousand_random_and_mutated_frames_keeps_recovering()
    {
        const string name = "rtm-live-fuzz";
        const int perRound = 100;
        const int target = 10_000;
        using var telemetry = new ConnectorTelemetry(name);
        await using var rig = await RtmRig.StartSimulatorAsync(output, new RtmSimulatorOptions { PingInterval = null });
        var room = new EndpointRef(name, EndpointKind.Room, RtmRig.Room.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var context = new ConnectorContext(name, [room], rig.Cursors, rig.Logging.Factory, TimeProvider.System);
        await using var connector = new RtmConnector(context, RtmRig.DefaultOptions(rig.Simulator.Url) with { CatchUpLimit = 0 });
        var sink = new RecordingSink();
        using var stop = new CancellationTokenSource();
        var run = connector.RunAsync(sink, stop.Token);
        await Eventually.TrueAsync(() => connector.Status.IsConnected && rig.Simulator.InRoom(RtmRig.BridgeUid, RtmRig.Room), TimeSpan.FromSeconds(10), "logged in");
        var fuzzRead = 0L;
        var noise = 0;
        var random = new Random(9);
        for (var round = 0; fuzzRead < target && round < 5 * target / perRound; round++)
        {
            // Every malformed frame is counted as an error before it ends its session: wait for the next session.
            await Eventually.TrueAsync(() => telemetry.Reconnects >= telemetry.Errors && connector.Status.IsConnected && rig.Simulator.InRoom(RtmRig.BridgeUid, RtmRig.Room), TimeSpan.FromSeconds(10), $"the session recovered before round {round}");
            var before = telemetry.FramesReceived;
            var reconnectsBefore = telemetry.Reconnects;
            for (var i = 0; i < perRound - 1; i++)
            {
                await rig.Simulator.SendRawAsync(RtmRig.BridgeUid, ValidPush(random));
            }

            await rig.Simulator.SendRawAsync(RtmRig.BridgeUid, random.Next(2) == 0 ? Mutate(ValidPush(random), random) : RandomBytes(random));
            noise++;
            await Eventually.TrueAsync(() => telemetry.FramesReceived >= before + perRound || telemetry.Reconnects > reconnectsBefore, TimeSpan.FromSeconds(10), $"the session read round {round} or ended");
            await Task.Delay(20); // a truncated packet waits for bytes; a readable mutation ends nothing
            fuzzRead += Math.Min(perRound, telemetry.FramesReceived - before);
        }

        await Eventually.TrueAsync(() => telemetry.Reconnects >= telemetry.Errors && connector.Status.IsConnected && rig.Simulator.InRoom(RtmRig.BridgeUid, RtmRig.Room), TimeSpan.FromSeconds(10), "the session recovered after the fuzzing");
        await rig.Simulator.SendAsync(RtmRig.Alice, RtmConversationType.Room, RtmRig.Room, "still works");
        await Eventually.TrueAsync(() => sink.Posted.Any(p => p.Body.Text == "still works"), TimeSpan.FromSeconds(10), "a normal push arrives after the fuzzing");
        output.WriteLine($"fuzz frames read by live sessions {fuzzRead} ({noise} of them random or mutated), errors {telemetry.Errors}, reconnects {telemetry.Reconnects}, frames sent {telemetry.FramesSent}, posted {sink.Posted.Count}");
        Assert.True(fuzzRead >= target, $"only {fuzzRead} fuzz frames reached a live session");
        Assert.True(telemetry.Errors >= 1 && telemetry.Reconnects >= 1, "malformed frames were reported and reconnected");
        Assert.True(telemetry.Reconnects <= noise, $"{telemetry.Reconnects} reconnects for {noise} random or mutated frames: only a malformed frame ends a session");
        Assert.True(telemetry.FramesSent >= target * 9 / 10, $"the valid pushes between the noise were answered ({telemetry.FramesSent} frames sent)");
        await stop.CancelAsync();
        await run;
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(1, 200)];
        random.NextBytes(bytes);
        return bytes;
    }
}
