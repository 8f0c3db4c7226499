using System.Diagnostics;
using System.Text.Json;
using Bridge.Host.Demo.Backends;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.Reliability;

/// <summary>
/// The bridge runs as a real child process and is killed with SIGKILL while 5,000 messages flow
/// between ack-capable backends in two streams (Erlang gateway → RTM, protobuf-IM → Erlang
/// gateway), while the Erlang server is still pushing and messages are in flight; the restarted bridge
/// relays every message exactly once (server resends and SYNC overlaps are deduplicated; at the
/// Erlang gateway, which keeps a re-sent PUBLISH, exactly once by MsgId, the protocol's identity).
/// </summary>
[Trait("Category", "Reliability")]
public class ProcessKillTests(ITestOutputHelper output)
{
    private const int PerStream = 2500;
    private const uint BridgeUid = 900001;
    private const uint ErinUid = 1234;

    [Fact]
    public async Task Killing_the_bridge_in_the_middle_of_5000_messages_loses_and_duplicates_nothing()
    {
        await using var erl = new ErlangDemoBackend();
        await using var rtm = new RtmDemoBackend();
        await using var pbim = new ProtobufImDemoBackend();
        await erl.StartAsync(CancellationToken.None);
        await rtm.StartAsync(CancellationToken.None);
        await pbim.StartAsync(CancellationToken.None);
        var directory = Directory.CreateTempSubdirectory("bridge-kill-");
        var config = Path.Combine(directory.FullName, "bridge.yaml");
        var healthPort = ChildBridge.FreePort();
        await File.WriteAllTextAsync(config, $$"""
            {{RabbitMqBroker.BusYaml($"kill-{Guid.NewGuid():N}")}}
            store: { path: {{Path.Combine(directory.FullName, "bridge.db")}} }
            health: { port: {{healthPort}} }
            connectors:
              {{erl.Name}}: {{erl.ConnectorYaml}}
              {{rtm.Name}}: {{rtm.ConnectorYaml}}
              {{pbim.Name}}: {{pbim.ConnectorYaml}}
            routes:
              - from: [{{erl.Name}}: {{erl.MirrorEndpoint}}]
                to: [{{rtm.Name}}: {{rtm.MirrorEndpoint}}]
                format: "{text}"
              - from: [{{pbim.Name}}: {{pbim.MirrorEndpoint}}]
                to: [{{erl.Name}}: {{erl.MirrorEndpoint}}]
                format: "{text}"
            """);

        var first = await ChildBridge.StartAsync(config, healthPort, TimeSpan.FromSeconds(60));
        var clock = Stopwatch.StartNew();
        var sentErl = 0;
        var sentPbim = 0;
        var killed = false;
        // The Erlang stream runs at most Window messages ahead of what RTM has received, so however
        // fast or slow the bridge is on this machine, the stream is still sending when the kill
        // comes and a window of its messages is in flight; after the kill it runs free, and the
        // server keeps pushing into the dead bridge's session.
        const int Window = 250;
        var erlStream = Task.Run(async () =>
        {
            for (var i = 0; i < PerStream; i++)
            {
                while (!Volatile.Read(ref killed) && i - rtm.Received().Count >= Window)
                {
                    await Task.Delay(2);
                }

                await erl.SendAsync($"e{i:D4}", CancellationToken.None);
                Interlocked.Increment(ref sentErl);
            }
        });
        var pbimStream = Task.Run(async () =>
        {
            for (var i = 0; i < PerStream; i++)
            {
                await pbim.SendAsync($"p{i:D4}", CancellationToken.None);
                Interlocked.Increment(ref sentPbim);
                if (i % 20 == 19)
                {
                    await Task.Delay(5);
                }
            }
        });

        int Arrived() => rtm.Received().Count + erl.Received().Count;
        // The bridge acknowledges a push within milliseconds of receiving it, so the kill is
        // placed by the streams instead: a quarter has arrived, the Erlang server is still
        // pushing and some of its messages are between the server, the bridge and RTM.
        await Eventually.TrueAsync(
            () => Arrived() >= PerStream / 4 && Volatile.Read(ref sentErl) - rtm.Received().Count >= 20,
            TimeSpan.FromSeconds(90),
            "a quarter of the 5,000 arrived while Erlang messages were in flight");
        var ackedAtKill = erl.Simulator.AcknowledgedBy(BridgeUid).Count;
        var unackedAtKill = erl.Simulator.UnacknowledgedCount(BridgeUid);
        var (erlSentAtKill, pbimSentAtKill, arrivedAtKill) = (Volatile.Read(ref sentErl), Volatile.Read(ref sentPbim), Arrived());
        var erlRelayedAtKill = rtm.Received().Count;
        first.Kill();
        Volatile.Write(ref killed, true);
        output.WriteLine($"killed after {arrivedAtKill} arrivals ({clock.Elapsed.TotalSeconds:0.0} s); Erlang: {erlSentAtKill} sent, {ackedAtKill} acks by the bridge (resends and echoes included), {unackedAtKill} pushed and not yet acknowledged, {erlRelayedAtKill} relayed to RTM; protobuf-IM: {pbimSentAtKill} sent");
        await Task.WhenAll(erlStream, pbimStream);

        await using var second = await ChildBridge.StartAsync(config, healthPort, TimeSpan.FromSeconds(60));
        await Eventually.TrueAsync(() => Arrived() >= 2 * PerStream, TimeSpan.FromSeconds(180), "all 5,000 arrived after the restart");
        await Task.Delay(3000);

        var atRtm = rtm.Received().Select(r => r.Text).ToList();
        var atErl = erl.Received().Select(r => r.Text).ToList();

        // The Erlang server does not de-duplicate a re-sent PUBLISH: its clients dedupe by MsgId
        // (the bridge's idempotency key, from event id + target). A send made before the kill but
        // not yet recorded is sent again after the restart with the same MsgId.
        var erlByMsgId = erl.Simulator.ReceivedBy(ErinUid)
            .Where(d => d.Push.FromUid == BridgeUid)
            .GroupBy(d => d.MsgId)
            .Select(g => (MsgId: g.Key, Copies: g.Count(), Content: Content(g.First().Text)))
            .ToList();
        output.WriteLine($"Erlang → RTM: {PerStream} sent, {atRtm.Count} delivered, {atRtm.Distinct().Count()} distinct ({erl.Simulator.Resends} server resends dropped); " +
            $"protobuf-IM → Erlang: {PerStream} sent, {atErl.Count} pushes delivered, {erlByMsgId.Count} distinct MsgIds " +
            $"({erlByMsgId.Count(m => m.Copies > 1)} re-sent after the restart with the same MsgId), {atErl.Distinct().Count()} distinct texts; {clock.Elapsed.TotalSeconds:0.0} s");
        if (atRtm.Count != PerStream || erlByMsgId.Count != PerStream)
        {
            output.WriteLine(first.Output);
            output.WriteLine(second.Output);
        }

        Assert.True(erlSentAtKill < PerStream, "the Erlang stream was still sending when the bridge was killed");
        Assert.True(erlRelayedAtKill < erlSentAtKill, "Erlang messages were in flight (sent, not yet relayed) when the bridge was killed");
        Assert.Equal(PerStream, atRtm.Count);
        Assert.Equal(Enumerable.Range(0, PerStream).Select(i => $"e{i:D4}").ToHashSet(), atRtm.ToHashSet());
        Assert.Equal(PerStream, erlByMsgId.Count);
        Assert.Equal(Enumerable.Range(0, PerStream).Select(i => $"p{i:D4}"), erlByMsgId.Select(m => m.Content).Order(StringComparer.Ordinal));
        Assert.Equal(atErl.Distinct().Count(), erlByMsgId.Count); // a copy never has a new MsgId
        directory.Delete(recursive: true);
    }

    private static string Content(string payload)
    {
        using var doc = JsonDocument.Parse(payload);
        var content = doc.RootElement.GetProperty("content");
        return content.ValueKind == JsonValueKind.String ? content.GetString()! : content.ToString();
    }
}
