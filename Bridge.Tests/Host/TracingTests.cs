using Bridge.Tests.Infrastructure;
using Bridge.Tests.Infrastructure.Loopback;
using Xunit.Abstractions;

namespace Bridge.Tests.Host;

[Trait("Category", "Integration")]
public class TracingTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_relayed_message_is_one_trace_with_ingest_route_and_deliver_spans()
    {
        await using var receiver = new OtlpReceiver();
        await receiver.StartAsync();
        string a = $"a-{Guid.NewGuid():N}", b = $"b-{Guid.NewGuid():N}";
        var yaml = BridgeTestHost.TwoLoopbackYaml(a, b, extra: $$"""
            health: { enabled: false }
            telemetry: { otlp: "{{receiver.Endpoint}}", protocol: http/protobuf, service: bridge-trace-test }
            """);
        var bridge = await BridgeTestHost.StartAsync(yaml, output);
        var alpha = LoopbackBackend.Get(a);
        var beta = LoopbackBackend.Get(b);
        try
        {
            alpha.Post("room/1", "u", "traced", nativeId: $"traced-{Guid.NewGuid():N}"); // a unique event id: other bridges run in this process
            await Eventually.TrueAsync(() => beta.Delivered.Count == 1, TimeSpan.FromSeconds(20), "the message was relayed");
            await Task.Delay(300);
        }
        finally
        {
            await bridge.DisposeAsync();
        }

        var eventId = beta.Delivered[0].EventId.ToString("N");
        await Eventually.TrueAsync(() => receiver.Spans.Any(s => s.Name == "deliver" && s.Attributes.GetValueOrDefault("bridge.event_id") == eventId), TimeSpan.FromSeconds(15), "the deliver span was exported");
        var spans = receiver.Spans;
        var ingest = Assert.Single(spans, s => s.Name == "ingest" && s.Attributes.GetValueOrDefault("bridge.event_id") == eventId && !s.Attributes.ContainsKey("bridge.outcome"));
        var route = Assert.Single(spans, s => s.Name == "route" && s.Attributes.GetValueOrDefault("bridge.event_id") == eventId);
        var deliver = Assert.Single(spans, s => s.Name == "deliver" && s.Attributes.GetValueOrDefault("bridge.event_id") == eventId);
        foreach (var s in spans.Where(s => s.TraceId == ingest.TraceId))
        {
            output.WriteLine($"{s.TraceId} {s.SpanId} <- {s.ParentSpanId} {s.Name}");
        }

        Assert.Equal(ingest.TraceId, route.TraceId);
        Assert.Equal(ingest.TraceId, deliver.TraceId);
        Assert.True(spans.Count(s => s.TraceId == ingest.TraceId) >= 5, "MassTransit's send and receive spans join the same trace");
        Assert.All(spans.Where(s => s.TraceId == ingest.TraceId && s.SpanId != ingest.SpanId), s => Assert.NotEqual(string.Empty, s.ParentSpanId));

        // Metrics are flushed when the bridge stops: the relay's own and the runtime's, side by side.
        await Eventually.TrueAsync(() => receiver.MetricNames.Contains("bridge.messages.relayed"), TimeSpan.FromSeconds(15), "the bridge's metrics were exported");
        Assert.Contains("dotnet.gc.pause.time", receiver.MetricNames);
        Assert.Contains("dotnet.thread_pool.queue.length", receiver.MetricNames);
    }
}
