using Bridge.Tests.Infrastructure;
using Bridge.Tests.Infrastructure.Loopback;
using Xunit.Abstractions;

namespace Bridge.Tests.Host;

/// <summary>
/// Posts to one conversation on a connector that allows pipelining: the target is a loopback
/// backend that receives sends in the order written and answers each after a delay, through the
/// real RabbitMQ test broker. The window bounds the unanswered sends; a failed attempt is sent
/// again before anything later goes out, so the backend ends up with every post once, in order.
/// </summary>
[Trait("Category", "Integration")]
public class PipelinedDeliveryTests(ITestOutputHelper output)
{
    private static string Unique(string name) => $"{name}-{Guid.NewGuid():N}";

    private async Task<(BridgeTestHost Bridge, LoopbackBackend Source, LoopbackBackend Target)> StartAsync(int window, Action<LoopbackBackend> target)
    {
        string a = Unique("src"), b = Unique("dst");
        var dst = LoopbackBackend.Get(b);
        target(dst);
        var yaml = $$"""
            {{RabbitMqBroker.BusYaml(Unique("pipe"))}}
            store: { path: {{BridgeTestHost.TempDatabase()}} }
            health: { enabled: false }
            delivery: { retries: 3, retryDelay: 20ms, sendTimeout: 5s, conversationWindow: {{window}} }
            connectors:
              src: { type: loopback, backend: {{a}} }
              dst: { type: loopback, backend: {{b}}, pipelined: true }
            routes:
              - from: [src: room/r]
                to: [dst: room/r]
                format: "{text}"
            """;
        var bridge = await BridgeTestHost.StartAsync(yaml, output);
        return (bridge, LoopbackBackend.Get(a), dst);
    }

    private static List<string> Texts(int count) => Enumerable.Range(0, count).Select(i => $"m{i:D2}").ToList();

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task Posts_to_one_conversation_are_unanswered_at_most_a_window_at_a_time_and_arrive_once_in_order(int window)
    {
        var (bridge, src, dst) = await StartAsync(window, t => t.AnswerDelay = TimeSpan.FromMilliseconds(30));
        await using var _ = bridge;
        var expected = Texts(60);
        foreach (var text in expected)
        {
            src.Post("room/r", "u1", text);
        }

        await Eventually.TrueAsync(() => dst.Delivered.Count == expected.Count, TimeSpan.FromSeconds(60), "every post arrived");
        await Task.Delay(300);
        output.WriteLine($"window {window}: at most {dst.MaxUnanswered} unanswered");
        Assert.Equal(expected, dst.TextsIn("room/r"));
        Assert.Equal(expected, dst.Received);
        if (window == 1)
        {
            Assert.Equal(1, dst.MaxUnanswered);
        }
        else
        {
            Assert.InRange(dst.MaxUnanswered, 2, window);
        }
    }

    /// <summary>Relays m00..m29 with a window of 4 to a target answering after 30 ms, one attempt faulted; returns the target once every post is there.</summary>
    private async Task<(LoopbackBackend Target, List<string> Expected)> RelayWithFaultAsync(string text, LoopbackFault fault, int sends)
    {
        var (bridge, src, dst) = await StartAsync(4, t =>
        {
            t.AnswerDelay = TimeSpan.FromMilliseconds(30);
            t.Faults = (posted, attempt) => posted == text && attempt == 1 ? fault : LoopbackFault.None;
        });
        await using var _ = bridge;
        var expected = Texts(30);
        foreach (var post in expected)
        {
            src.Post("room/r", "u1", post);
        }

        await Eventually.TrueAsync(() => dst.Received.Count == sends && dst.Delivered.Count == expected.Count, TimeSpan.FromSeconds(60), $"every post arrived, in {sends} sends");
        await Task.Delay(300);
        output.WriteLine(string.Join(" ", dst.Received));
        return (dst, expected);
    }

    [Fact]
    public async Task A_post_whose_answer_was_lost_is_sent_again_before_the_posts_beyond_the_window_and_stored_once()
    {
        var (dst, expected) = await RelayWithFaultAsync("m05", LoopbackFault.AnswerLost, 31);
        Assert.Equal(expected, dst.TextsIn("room/r"));
        var received = dst.Received.ToList();
        var retry = received.LastIndexOf("m05");
        Assert.True(retry > received.IndexOf("m05"), "m05 was sent again");
        Assert.All(received.Take(retry), t => Assert.True(string.CompareOrdinal(t, "m08") <= 0, $"{t} went out before the retry of m05"));
        Assert.Equal(expected.Count + 1, received.Count);
    }

    [Fact]
    public async Task A_post_whose_send_threw_once_is_sent_again_in_its_turn()
    {
        var (dst, expected) = await RelayWithFaultAsync("m07", LoopbackFault.Throws, 30);
        Assert.Equal(expected, dst.TextsIn("room/r"));
        Assert.Equal(expected, dst.Received);
    }

    [Fact]
    public async Task A_post_whose_send_always_throws_is_given_up_alone_and_the_rest_arrive_in_order()
    {
        var (bridge, src, dst) = await StartAsync(4, t =>
        {
            t.AnswerDelay = TimeSpan.FromMilliseconds(30);
            t.Faults = (posted, _) => posted == "m07" ? LoopbackFault.Throws : LoopbackFault.None;
        });
        await using var _ = bridge;
        var posts = Texts(30);
        foreach (var post in posts)
        {
            src.Post("room/r", "u1", post);
        }

        var expected = posts.Where(p => p != "m07").ToList();
        await Eventually.TrueAsync(() => dst.Delivered.Count == expected.Count, TimeSpan.FromSeconds(60), "every other post arrived");
        await Task.Delay(300);
        Assert.Equal(expected, dst.TextsIn("room/r"));
    }

    [Fact]
    public async Task A_post_that_was_never_written_holds_back_the_later_ones_until_it_got_through()
    {
        var (dst, expected) = await RelayWithFaultAsync("m06", LoopbackFault.NotSent, 30);
        Assert.Equal(expected, dst.TextsIn("room/r"));
        Assert.Equal(expected, dst.Received);
    }
}
