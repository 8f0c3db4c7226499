using Bridge.Contracts.V1;
using Bridge.Tests.Infrastructure;
using Bridge.Tests.Infrastructure.Loopback;
using Xunit.Abstractions;

namespace Bridge.Tests.Host;

/// <summary>Whole-bridge relays between loopback backends through the real RabbitMQ test broker.</summary>
[Trait("Category", "Integration")]
public class RelayTests(ITestOutputHelper output)
{
    private static string Unique(string name) => $"{name}-{Guid.NewGuid():N}";

    private static string MirrorYaml(string a, string b, string c, string extraRoute = "", string format = "[{source}] {sender}: {text}", string relay = "") => $"""
        {RabbitMqBroker.BusYaml(Unique("t"))}
        store: {"{"} path: {BridgeTestHost.TempDatabase()} {"}"}
        health: {"{"} enabled: false {"}"}
        delivery: {"{"} retries: 2, retryDelay: 50ms {"}"}
        connectors:
          alpha: {"{"} type: loopback, backend: {a} {"}"}
          beta: {"{"} type: loopback, backend: {b} {"}"}
          gamma: {"{"} type: loopback, backend: {c} {"}"}
        users:
          - {"{"} alpha: u1, beta: b-1, name: Alice {"}"}
        routes:
          - name: lobby
            mirror:
              - alpha: room/lobby
              - beta: group/g1
              - gamma: room/hall
            format: "{format}"
        {relay}
        {extraRoute}
        """;

    /// <summary>A bridge mirroring alpha room/lobby, beta group/g1 and gamma room/hall, with its three backends.</summary>
    private async Task<(BridgeTestHost Bridge, LoopbackBackend Alpha, LoopbackBackend Beta, LoopbackBackend Gamma)> StartMirrorAsync()
    {
        string a = Unique("a"), b = Unique("b"), c = Unique("c");
        var bridge = await BridgeTestHost.StartAsync(MirrorYaml(a, b, c), output);
        return (bridge, LoopbackBackend.Get(a), LoopbackBackend.Get(b), LoopbackBackend.Get(c));
    }

    [Fact]
    public async Task Three_endpoint_mirror_relays_every_message_to_the_two_others_exactly_once_and_in_order()
    {
        var (bridge, alpha, beta, gamma) = await StartMirrorAsync();
        await using var _ = bridge;

        const int PerBackend = 100;
        for (var i = 0; i < PerBackend; i++)
        {
            alpha.Post("room/lobby", "u1", $"a{i}");
            beta.Post("group/g1", "b-2", $"b{i}", senderName: "Bob");
            gamma.Post("room/hall", "c-9", $"c{i}");
        }

        await Eventually.TrueAsync(() => alpha.Delivered.Count == 2 * PerBackend && beta.Delivered.Count == 2 * PerBackend && gamma.Delivered.Count == 2 * PerBackend, TimeSpan.FromSeconds(60), "all 600 deliveries arrived");
        await Task.Delay(500);

        Assert.Equal(2 * PerBackend, alpha.Delivered.Count);
        Assert.Equal(Enumerable.Range(0, PerBackend).Select(i => $"[beta] Bob: b{i}"), alpha.TextsIn("room/lobby").Where(t => t.StartsWith("[beta]", StringComparison.Ordinal)));
        Assert.Equal(Enumerable.Range(0, PerBackend).Select(i => $"[gamma] c-9: c{i}"), beta.TextsIn("group/g1").Where(t => t.StartsWith("[gamma]", StringComparison.Ordinal)));
        Assert.Equal(Enumerable.Range(0, PerBackend).Select(i => $"[alpha] Alice: a{i}"), gamma.TextsIn("room/hall").Where(t => t.StartsWith("[alpha]", StringComparison.Ordinal)));
        Assert.Equal(0, alpha.Unacked + beta.Unacked + gamma.Unacked);
    }

    [Fact]
    public async Task A_redelivered_push_is_acknowledged_again_but_relayed_once()
    {
        string a = Unique("a"), b = Unique("b"), c = Unique("c");
        await using var bridge = await BridgeTestHost.StartAsync(MirrorYaml(a, b, c), output);
        var alpha = LoopbackBackend.Get(a);
        var beta = LoopbackBackend.Get(b);

        alpha.Post("room/lobby", "u1", "hello", nativeId: "m-1");
        await Eventually.TrueAsync(() => beta.Delivered.Count == 1, TimeSpan.FromSeconds(20), "the first copy arrived");
        var acked = alpha.Acked;
        alpha.Redeliver(new LoopbackPush("room/lobby", "u1", null, MessageBody.FromText("hello"), "m-1"));
        alpha.Redeliver(new LoopbackPush("room/lobby", "u1", null, MessageBody.FromText("hello"), "m-1"));
        alpha.Post("room/lobby", "u1", "after", nativeId: "m-2");
        await Eventually.TrueAsync(() => beta.Delivered.Count == 2, TimeSpan.FromSeconds(20), "the next message arrived");
        await Task.Delay(300);

        Assert.Equal(["[alpha] Alice: hello", "[alpha] Alice: after"], beta.TextsIn("group/g1"));
        Assert.Equal(0, alpha.Unacked);
    }

    [Fact]
    public async Task The_bridges_own_deliveries_echoed_back_by_a_backend_are_not_relayed_again()
    {
        var (bridge, alpha, beta, gamma) = await StartMirrorAsync();
        await using var _ = bridge;
        beta.EchoDeliveries = true;
        gamma.EchoDeliveries = true;

        for (var i = 0; i < 20; i++)
        {
            alpha.Post("room/lobby", "u1", $"m{i}");
        }

        await Eventually.TrueAsync(() => beta.Delivered.Count == 20 && gamma.Delivered.Count == 20, TimeSpan.FromSeconds(30), "the originals arrived");
        await Eventually.TrueAsync(() => beta.Unacked == 0 && gamma.Unacked == 0, TimeSpan.FromSeconds(30), "the echoes were acknowledged");
        await Task.Delay(1000);

        Assert.Empty(alpha.Delivered);
        Assert.Equal(20, beta.Delivered.Count);
        Assert.Equal(20, gamma.Delivered.Count);
    }

    [Fact]
    public async Task Filters_drop_unrelayed_kinds_and_the_template_and_user_names_are_applied()
    {
        string a = Unique("a"), b = Unique("b"), c = Unique("c");
        var yaml = MirrorYaml(a, b, c, format: "<{route}> {sender} via {source}: {text}", relay: "    relay: [text]");
        await using var bridge = await BridgeTestHost.StartAsync(yaml, output);
        var alpha = LoopbackBackend.Get(a);
        var beta = LoopbackBackend.Get(b);

        alpha.Post("room/lobby", "u1", MessageBody.Media(BodyKind.Image, "http://img/1.png"));
        alpha.Post("room/lobby", "u1", "text after the image");
        await Eventually.TrueAsync(() => beta.Delivered.Count >= 1, TimeSpan.FromSeconds(20), "the text arrived");
        await Task.Delay(500);

        var delivered = Assert.Single(beta.Delivered);
        Assert.Equal("<lobby> Alice via alpha: text after the image", delivered.Body.Text);
        Assert.Equal(BodyKind.Text, delivered.Body.Kind);
    }

    [Fact]
    public async Task A_directed_route_relays_only_from_its_sources()
    {
        string a = Unique("a"), b = Unique("b"), c = Unique("c");
        var yaml = MirrorYaml(a, b, c, extraRoute: """
              - name: inbox
                from: [gamma: user/support]
                to: [beta: user/55]
                format: "{text}"
            """);
        await using var bridge = await BridgeTestHost.StartAsync(yaml, output);
        var beta = LoopbackBackend.Get(b);
        var gamma = LoopbackBackend.Get(c);

        gamma.Post("user/support", "c-1", "need help");
        beta.Post("user/55", "b-55", "this goes nowhere");
        await Eventually.TrueAsync(() => beta.Delivered.Count == 1, TimeSpan.FromSeconds(20), "the support message arrived");
        await Task.Delay(500);

        Assert.Equal(["need help"], beta.TextsIn("user/55"));
        Assert.Empty(gamma.Delivered);
    }

    [Fact]
    public async Task A_down_target_holds_its_messages_while_the_other_targets_keep_flowing()
    {
        var (bridge, alpha, beta, gamma) = await StartMirrorAsync();
        await using var _ = bridge;
        beta.Down = true;

        for (var i = 0; i < 10; i++)
        {
            alpha.Post("room/lobby", "u1", $"m{i}");
        }

        await Eventually.TrueAsync(() => gamma.Delivered.Count == 10, TimeSpan.FromSeconds(20), "the healthy target got everything");
        Assert.Empty(beta.Delivered);
        beta.Down = false;
        await Eventually.TrueAsync(() => beta.Delivered.Count == 10, TimeSpan.FromSeconds(20), "the target got everything once back");
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"[alpha] Alice: m{i}"), beta.TextsIn("group/g1"));
    }

    [Fact]
    public async Task A_reply_points_at_the_mirrored_copy_on_every_other_side()
    {
        var (bridge, alpha, beta, gamma) = await StartMirrorAsync();
        await using var _ = bridge;

        alpha.Post("room/lobby", "u1", "first", nativeId: "orig-1");
        await Eventually.TrueAsync(() => beta.Delivered.Count == 1 && gamma.Delivered.Count == 1, TimeSpan.FromSeconds(20), "the copies arrived");
        beta.Post("group/g1", "b-2", "a reply", replyTo: beta.Delivered[0].NativeId);
        await Eventually.TrueAsync(() => alpha.Delivered.Count == 1 && gamma.Delivered.Count == 2, TimeSpan.FromSeconds(20), "the reply arrived");

        Assert.Equal("orig-1", alpha.Delivered[0].ReplyTo);
        Assert.Equal(gamma.Delivered[0].NativeId, gamma.Delivered[1].ReplyTo);
    }

    [Fact]
    public async Task A_delete_removes_the_mirrored_copies_and_an_unknown_target_is_skipped()
    {
        var (bridge, alpha, beta, gamma) = await StartMirrorAsync();
        await using var _ = bridge;

        alpha.Post("room/lobby", "u1", "to be deleted", nativeId: "orig-7");
        await Eventually.TrueAsync(() => beta.Delivered.Count == 1 && gamma.Delivered.Count == 1, TimeSpan.FromSeconds(20), "the copies arrived");
        alpha.DeleteMessage("room/lobby", "u1", "never-relayed");
        alpha.DeleteMessage("room/lobby", "u1", "orig-7");
        await Eventually.TrueAsync(() => beta.Deleted.Count == 1 && gamma.Deleted.Count == 1, TimeSpan.FromSeconds(20), "both copies were deleted");

        Assert.Equal([beta.Delivered[0].NativeId], beta.Deleted);
        Assert.Equal([gamma.Delivered[0].NativeId], gamma.Deleted);
        Assert.Single(beta.Delivered);
        Assert.Contains(bridge.Logs.Lines, l => l.Contains("never-relayed", StringComparison.Ordinal) && l.Contains("Skipped", StringComparison.Ordinal));
    }
}
