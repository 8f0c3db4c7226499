using System.Text.RegularExpressions;
using Bridge.Host.Demo;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.Integration;

/// <summary>
/// All five backends mirrored through the real RabbitMQ broker: every simulated user's messages
/// reach the four other backends exactly once, in order per route, with the sender's name from
/// the users section and the route's format applied; nothing loops back. The directed route
/// (protobuf-IM user sam to RTM user 55) carries each of its messages to its one target only.
/// </summary>
[Trait("Category", "Integration")]
public partial class FiveWayMirrorTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Every_message_reaches_the_four_other_backends_exactly_once_and_in_order()
    {
        const int Rounds = 12;
        var console = new StringWriter();
        var runner = new DemoRunner(
            DemoCommand.Backends(),
            BridgeTestHost.Factories,
            new DemoOptions(Rounds, TimeSpan.FromMilliseconds(30), TimeSpan.FromSeconds(60), RabbitMqBroker.BusYaml($"five-{Guid.NewGuid():N}")),
            console);

        var exit = await runner.RunAsync(CancellationToken.None);
        output.WriteLine(console.ToString());

        Assert.Equal(0, exit);
        const int Mirrored = 5 * 4 * Rounds, Direct = Rounds;
        Assert.Equal(Mirrored + Direct, runner.Statistics.TotalSent);
        Assert.Equal(Mirrored + Direct, runner.Statistics.TotalDelivered);
        Assert.Equal(0, runner.Statistics.TotalDuplicates);
        var observations = runner.Observations;
        Assert.Equal(Mirrored + Direct, observations.Count);
        foreach (var route in observations.GroupBy(o => (o.From, o.Target)))
        {
            Assert.Equal(Enumerable.Range(1, Rounds), route.Select(o => o.Round));
        }

        var direct = observations.Where(o => o.Target == "rtm (direct)").ToList();
        Assert.Equal(Direct, direct.Count);
        Assert.All(direct, o => Assert.Equal($"[support] Sam: ticket #{o.Round} from pbim", o.Text));

        var names = new Dictionary<string, string> { ["rtm"] = "Rita", ["glide"] = "Gina", ["xnest"] = "Xena", ["pbim"] = "Paula", ["erl"] = "Erin" };
        Assert.All(observations.Except(direct), o =>
        {
            var m = Shown().Match(o.Text);
            Assert.True(m.Success, o.Text);
            Assert.Equal(o.From, m.Groups["source"].Value);
            Assert.Equal(names[o.From], m.Groups["sender"].Value);
        });
    }

    [GeneratedRegex(@"^\[(?<source>[a-z]+)\] (?<sender>[A-Za-z]+): hello #\d+ from [a-z]+$")]
    private static partial Regex Shown();
}
