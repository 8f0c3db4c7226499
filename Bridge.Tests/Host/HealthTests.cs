using System.Net;
using Bridge.Host.Health;
using Bridge.Tests.Infrastructure;
using Bridge.Tests.Infrastructure.Loopback;
using Xunit.Abstractions;

namespace Bridge.Tests.Host;

[Trait("Category", "Integration")]
public class HealthTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Readiness_follows_the_bus_and_every_connector_while_liveness_stays_up()
    {
        string a = $"a-{Guid.NewGuid():N}", b = $"b-{Guid.NewGuid():N}";
        var yaml = BridgeTestHost.TwoLoopbackYaml(a, b, extra: "health: { port: 0 }");
        await using var bridge = await BridgeTestHost.StartAsync(yaml, output);
        var port = bridge.Service<HealthServer>().Port;
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        await Eventually.TrueAsync(() => bridge.Service<HealthServer>().Readiness().Ready, TimeSpan.FromSeconds(10), "the bridge is ready");
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode);
        var ready = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Contains("\"alpha\"", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        LoopbackBackend.Get(b).Down = true;
        var notReady = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
        var body = await notReady.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        Assert.Contains("TransientDisconnect", body, StringComparison.Ordinal);
        Assert.Contains("backend is down", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode);
    }
}
