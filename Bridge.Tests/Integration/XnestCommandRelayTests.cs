using Bridge.Host.Demo.Backends;
using Bridge.Tests.Infrastructure;
using Bridge.Tests.Infrastructure.Loopback;
using Xunit.Abstractions;

namespace Bridge.Tests.Integration;

/// <summary>
/// Text relayed into an xnest room from another backend, through the whole bridge and RabbitMQ,
/// never runs as an xnest command: the server sees plain text, no command runs and the room
/// robot stays silent.
/// </summary>
[Trait("Category", "Integration")]
public class XnestCommandRelayTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Xnest_commands_relayed_from_another_backend_arrive_as_plain_text_and_none_runs()
    {
        await using var xnest = new XnestDemoBackend();
        await xnest.StartAsync(CancellationToken.None);
        var loop = $"loop-{Guid.NewGuid():N}";
        await using var bridge = await BackendMirror.StartConnectedAsync(BackendMirror.Yaml(xnest, loop), xnest.Name, output);
        var xenaPid = xnest.UserId;
        string[] commands = [$"@to:{xenaPid}|x", "@changename:x", "@history:0", "@call:a|b", "@robot"];

        foreach (var text in commands)
        {
            LoopbackBackend.Get(loop).Post("room/mirror", "mallory", text);
        }

        await Eventually.TrueAsync(() => xnest.Received().Count >= commands.Length, TimeSpan.FromSeconds(30), "all five texts reached the room");
        await Task.Delay(1000);

        var shown = xnest.Received().Select(r => r.Text).ToList();
        Assert.Equal(commands.Select(c => "＠" + c[1..]), shown);
        Assert.Empty(xnest.Simulator.Commands);
        var sentToServer = xnest.Simulator.Texts.Select(t => t.Text).ToList();
        Assert.All(commands, c => Assert.DoesNotContain(c, sentToServer));
        Assert.DoesNotContain(xnest.Simulator.Texts, t => t.Text.StartsWith('@'));
    }
}
