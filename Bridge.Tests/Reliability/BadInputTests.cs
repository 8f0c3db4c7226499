using System.Diagnostics;
using System.Text;
using Bridge.Contracts.V1;
using Bridge.Host.Connectors;
using Bridge.Host.Demo.Backends;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.Reliability;

/// <summary>
/// Bad input at bridge level: the Glide server feeds the bridge's live session 10,000 frames that
/// cannot decode (valid frames cut short, random text) and then one oversized frame, while an
/// Erlang gateway → RTM route carries a stream. The bridge stays up, the other route delivers
/// every message exactly once, each bad frame is logged exactly once with its reason, and Glide
/// messages relay again afterwards. (Per-connector live-session fuzzing with mutated frames is in
/// Rtm/RtmFuzzTests and Xnest/XnestSessionFuzzTests; codec properties for the others; a YAML file
/// with every kind of mistake in Host/ConfigValidationTests.)
/// </summary>
[Trait("Category", "Reliability")]
public class BadInputTests(ITestOutputHelper output)
{
    private const string DropLine = "glide: dropped a frame that does not decode: ";

    [Fact]
    public async Task Ten_thousand_undecodable_frames_into_a_live_session_leave_the_bridge_up_and_the_other_route_flowing()
    {
        const int Garbage = 10_000, Stream = 200;
        var seed = Environment.GetEnvironmentVariable("BRIDGE_TEST_FUZZ_SEED") is { Length: > 0 } s ? int.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : Random.Shared.Next();
        output.WriteLine($"seed {seed} (set BRIDGE_TEST_FUZZ_SEED to replay)");
        var random = new Random(seed);
        await using var glide = new GlideDemoBackend();
        await using var erl = new ErlangDemoBackend();
        await using var rtm = new RtmDemoBackend();
        await glide.StartAsync(CancellationToken.None);
        await erl.StartAsync(CancellationToken.None);
        await rtm.StartAsync(CancellationToken.None);
        var yaml = $$"""
            {{RabbitMqBroker.BusYaml($"bad-{Guid.NewGuid():N}")}}
            store: { path: {{BridgeTestHost.TempDatabase()}} }
            health: { enabled: false }
            connectors:
              {{glide.Name}}: {{glide.ConnectorYaml}}
              {{erl.Name}}: {{erl.ConnectorYaml}}
              {{rtm.Name}}: {{rtm.ConnectorYaml}}
            routes:
              - from: [{{erl.Name}}: {{erl.MirrorEndpoint}}, {{glide.Name}}: {{glide.MirrorEndpoint}}]
                to: [{{rtm.Name}}: {{rtm.MirrorEndpoint}}]
                format: "{text}"
            """;
        await using var bridge = await BridgeTestHost.StartAsync(yaml, output: null);
        var registry = bridge.Service<ConnectorRegistry>();
        await Eventually.TrueAsync(() => registry.All.All(c => c.Status.State == SessionState.Connected), TimeSpan.FromSeconds(30), "all connectors connected");
        await glide.SendAsync("glide-before", CancellationToken.None);
        await Eventually.TrueAsync(() => rtm.Received().Any(r => r.Text == "glide-before"), TimeSpan.FromSeconds(30), "a Glide message relayed before the garbage");

        var clock = Stopwatch.StartNew();
        var stream = Task.Run(async () =>
        {
            for (var i = 0; i < Stream; i++)
            {
                await erl.SendAsync($"e{i:D3}", CancellationToken.None);
                await Task.Delay(20);
            }
        });
        var valid = Encoding.UTF8.GetBytes("""{"ver":1,"seq":0,"action":"message.group","data":{"cliMid":"8F0C","mid":1,"seq":3,"from":"1001","to":"the_world_channel","type":1,"content":"hi","sendAt":1720000000123}}""");
        for (var i = 0; i < Garbage; i++)
        {
            var frame = i % 2 == 0
                ? valid[..random.Next(1, valid.Length - 1)] // cut short: never complete JSON
                : RandomText(random);
            Assert.True(glide.Simulator.PushRaw("900", frame), "the bridge's Glide session is there");
            if (i % 200 == 199)
            {
                await Task.Delay(10);
            }
        }

        await Eventually.TrueAsync(() => Drops(bridge) >= Garbage, TimeSpan.FromSeconds(60), "every bad frame was read and dropped");
        var garbageDone = clock.Elapsed;
        var oversized = Encoding.UTF8.GetBytes("{\"ver\":1,\"action\":\"message.group\",\"data\":{\"content\":\"" + new string('x', 4 << 20) + "\"}}");
        glide.Simulator.PushRaw("900", oversized);
        await stream;

        await Eventually.TrueAsync(() => registry.Find(glide.Name)!.Status.State == SessionState.Connected, TimeSpan.FromSeconds(60), "the Glide session is connected after the oversized frame");
        await glide.SendAsync("glide-after", CancellationToken.None);
        await Eventually.TrueAsync(
            () => rtm.Received().Any(r => r.Text == "glide-after") && rtm.Received().Count(r => r.Text.StartsWith('e')) >= Stream,
            TimeSpan.FromSeconds(60),
            "the stream and a Glide message sent after the garbage arrived");
        await Task.Delay(1000);

        var lines = bridge.Logs.Lines;
        var drops = lines.Where(l => l.Contains(DropLine, StringComparison.Ordinal)).ToList();
        var fromErl = rtm.Received().Select(r => r.Text).Where(t => t.StartsWith('e')).ToList();
        output.WriteLine($"{Garbage} undecodable frames read and dropped in {garbageDone.TotalSeconds:0.0} s, {drops.Count} log lines for them; " +
            $"oversized frame ({oversized.Length:N0} bytes): {lines.Count(l => l.Contains("glide", StringComparison.Ordinal) && (l.Contains("Transient", StringComparison.Ordinal) || l.Contains("too large", StringComparison.OrdinalIgnoreCase)))} session-end/size log line(s); " +
            $"Erlang → RTM during it: {fromErl.Count} of {Stream} ({fromErl.Distinct().Count()} distinct); Glide → RTM after it: {rtm.Received().Count(r => r.Text == "glide-after")}");
        foreach (var line in lines.Where(l => l.Contains("glide", StringComparison.Ordinal) && (l.Contains("Warning", StringComparison.Ordinal) || l.Contains("Error", StringComparison.Ordinal))).Take(20))
        {
            output.WriteLine(line);
        }

        Assert.Equal(Garbage, drops.Count); // each bad frame once (the oversized one ends the session instead, or is one more)
        Assert.All(drops, l => Assert.True(l.Length > l.IndexOf(DropLine, StringComparison.Ordinal) + DropLine.Length, "the line says why"));
        Assert.Equal(Enumerable.Range(0, Stream).Select(i => $"e{i:D3}"), fromErl);
        Assert.Single(rtm.Received(), r => r.Text == "glide-after");
        Assert.All(registry.All, c => Assert.Equal(SessionState.Connected, c.Status.State));
    }

    private static int Drops(BridgeTestHost bridge) => bridge.Logs.Lines.Count(l => l.Contains(DropLine, StringComparison.Ordinal));

    private static byte[] RandomText(Random random)
    {
        // Opens an object and never closes it: not JSON, whatever comes after.
        const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789\"':,[]{ \\/éß✓";
        var text = new StringBuilder("{");
        var length = random.Next(0, 200);
        for (var i = 0; i < length; i++)
        {
            text.Append(Alphabet[random.Next(Alphabet.Length)]);
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
