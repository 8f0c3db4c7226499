using Bridge.Connectors.Rtm;
using Bridge.Contracts.V1;
using Bridge.Host.Connectors;
using Bridge.Host.Demo.Backends;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.Integration;

/// <summary>
/// A delete on one backend reaches the mirrored copies through the id map, with real connectors
/// and RabbitMQ: a protobuf-IM revoke (a newer server's revoke push) deletes the RTM copy with
/// delmsg, and is skipped with a log line on xnest, which cannot delete.
/// </summary>
[Trait("Category", "Integration")]
public class CrossBackendDeleteTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_revoke_on_protobuf_im_deletes_the_rtm_copy_and_is_skipped_where_deletes_are_impossible()
    {
        await using var pbim = new ProtobufImDemoBackend();
        await using var rtm = new RtmDemoBackend();
        await using var xnest = new XnestDemoBackend();
        foreach (var b in new Bridge.Host.Demo.IDemoBackend[] { pbim, rtm, xnest })
        {
            await b.StartAsync(CancellationToken.None);
        }

        pbim.Simulator.Options.RevokePush = true;
        var yaml = $$"""
            {{RabbitMqBroker.BusYaml($"t-{Guid.NewGuid():N}")}}
            store: { path: {{BridgeTestHost.TempDatabase()}} }
            health: { enabled: false }
            connectors:
              {{pbim.Name}}: {{pbim.ConnectorYaml}}
              {{rtm.Name}}: {{rtm.ConnectorYaml}}
              {{xnest.Name}}: {{xnest.ConnectorYaml}}
            routes:
              - name: trio
                mirror: [{{pbim.Name}}: {{pbim.MirrorEndpoint}}, {{rtm.Name}}: {{rtm.MirrorEndpoint}}, {{xnest.Name}}: {{xnest.MirrorEndpoint}}]
                format: "{text}"
            """;
        await using var bridge = await BridgeTestHost.StartAsync(yaml, output);
        var registry = bridge.Service<ConnectorRegistry>();
        await Eventually.TrueAsync(() => registry.All.All(c => c.Status.State == SessionState.Connected), TimeSpan.FromSeconds(20), "all three connected");

        await pbim.SendAsync("to be revoked", CancellationToken.None);
        await Eventually.TrueAsync(() => rtm.Received().Count == 1 && xnest.Received().Count == 1, TimeSpan.FromSeconds(20), "the copies arrived");
        var original = pbim.Simulator.Messages.Last(m => m.SenderId == pbim.UserId);
        Assert.True(pbim.Simulator.Revoke(pbim.UserId, original.ServerId));

        await Eventually.TrueAsync(
            () => rtm.Simulator.History(RtmConversationType.Room, 1001).Any(m => m.Msg == "to be revoked" && m.Deleted),
            TimeSpan.FromSeconds(20),
            "the RTM copy was deleted with delmsg");
        await Eventually.TrueAsync(
            () => bridge.Logs.Lines.Any(l => l.Contains("Skipped Delete", StringComparison.Ordinal) && l.Contains("xnest cannot delete", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(20),
            "the xnest copy was skipped with a log line");
        Assert.Single(xnest.Received());
    }
}
