using System.Diagnostics;
using Bridge.Host.Demo.Backends;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.Reliability;

/// <summary>
/// Two bridges with overlapping routes on one broker, each with its own store and queue prefix:
/// bridge A mirrors X (RTM room) and Y (Erlang group 7), bridge B mirrors Y and Z (protobuf-IM
/// chat with paula). Y is one shared conversation where both bridges are members with their own
/// accounts. Every message reaches the two other conversations exactly once and nothing loops:
/// a bridge skips its own account's messages and relays the other bridge's (origin marker = the
/// relayed event's id).
/// </summary>
[Trait("Category", "Reliability")]
public class TwoBridgeOverlapTests(ITestOutputHelper output)
{
    private const uint BridgeBUid = 900002;

    [Fact]
    public async Task Two_bridges_sharing_one_conversation_relay_every_message_once_and_nothing_loops()
    {
        const int PerSource = 25;
        await using var x = new RtmDemoBackend("rtm");
        await using var y = new ErlangDemoBackend("erl");
        await using var z = new ProtobufImDemoBackend("pbim");
        await x.StartAsync(CancellationToken.None);
        await y.StartAsync(CancellationToken.None);
        await z.StartAsync(CancellationToken.None);
        y.Simulator.AddUser("bridge-b", "bridge-b-pass", BridgeBUid);
        y.Simulator.AddGroupMembers(7, BridgeBUid);
        var yForB = $"{{ type: erlang-gateway, url: \"{y.Simulator.WebSocketUrl}\", username: bridge-b, password: bridge-b-pass, payload: xywy-json, selfId: \"{BridgeBUid}\" }}";

        var yamlA = $$"""
            {{RabbitMqBroker.BusYaml($"two-a-{Guid.NewGuid():N}")}}
            store: { path: {{BridgeTestHost.TempDatabase()}} }
            health: { enabled: false }
            connectors:
              rtm: {{x.ConnectorYaml}}
              erl: {{y.ConnectorYaml}}
            routes:
              - mirror: [rtm: {{x.MirrorEndpoint}}, erl: {{y.MirrorEndpoint}}]
                format: "{text}"
            """;
        var yamlB = $$"""
            {{RabbitMqBroker.BusYaml($"two-b-{Guid.NewGuid():N}")}}
            store: { path: {{BridgeTestHost.TempDatabase()}} }
            health: { enabled: false }
            connectors:
              erl: {{yForB}}
              pbim: {{z.ConnectorYaml}}
            routes:
              - mirror: [erl: {{y.MirrorEndpoint}}, pbim: {{z.MirrorEndpoint}}]
                format: "{text}"
            """;

        var clock = Stopwatch.StartNew();
        await using var bridgeA = await BridgeTestHost.StartAsync(yamlA, output);
        await using var bridgeB = await BridgeTestHost.StartAsync(yamlB, output);
        await Eventually.TrueAsync(() => y.Simulator.IsOnline(900001) && y.Simulator.IsOnline(BridgeBUid), TimeSpan.FromSeconds(30), "both bridges are in the shared group");
        await Task.Delay(1000); // both connectors subscribed to their other side too

        for (var i = 0; i < PerSource; i++)
        {
            await x.SendAsync($"x{i:D2}", CancellationToken.None);
            await y.SendAsync($"y{i:D2}", CancellationToken.None);
            await z.SendAsync($"z{i:D2}", CancellationToken.None);
        }

        string[] Texts(string prefix) => [.. Enumerable.Range(0, PerSource).Select(i => $"{prefix}{i:D2}")];
        var atX = Texts("y").Concat(Texts("z")).ToList();
        var atY = Texts("x").Concat(Texts("z")).ToList();
        var atZ = Texts("x").Concat(Texts("y")).ToList();
        await Eventually.TrueAsync(
            () => x.Received().Count >= atX.Count && y.Received().Count >= atY.Count && z.Received().Count >= atZ.Count,
            TimeSpan.FromSeconds(60),
            "every message reached the two other conversations");
        await Task.Delay(3000); // time for a loop or duplicate to show

        var gotX = x.Received().Select(r => r.Text).ToList();
        var gotY = y.Received().Select(r => r.Text).ToList();
        var gotZ = z.Received().Select(r => r.Text).ToList();
        output.WriteLine($"{3 * PerSource} sent ({PerSource} on each of X, Y, Z); arrivals X {gotX.Count}/{atX.Count}, Y {gotY.Count}/{atY.Count}, Z {gotZ.Count}/{atZ.Count}; " +
            $"distinct X {gotX.Distinct().Count()}, Y {gotY.Distinct().Count()}, Z {gotZ.Distinct().Count()}; {clock.Elapsed.TotalSeconds:0.0} s");

        Assert.Equal(atX.Order(StringComparer.Ordinal), gotX.Order(StringComparer.Ordinal));
        Assert.Equal(atY.Order(StringComparer.Ordinal), gotY.Order(StringComparer.Ordinal));
        Assert.Equal(atZ.Order(StringComparer.Ordinal), gotZ.Order(StringComparer.Ordinal));
    }
}
