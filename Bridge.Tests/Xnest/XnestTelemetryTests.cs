using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Xnest;
using Bridge.Contracts.V1;
using Bridge.Simulators.Xnest;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.Xnest;

/// <summary>Receive and send spans carry the backend's ids; frames, errors and reconnects are counted.</summary>
public sealed class XnestTelemetryTests(ITestOutputHelper output)
{
    private const string Name = "xnest-telemetry";

    [Fact]
    public async Task Spans_carry_the_native_ids_and_frames_errors_and_reconnects_are_counted()
    {
        using var telemetry = new ConnectorTelemetry(Name);
        await using var sim = new XnestSimulator();
        await sim.StartAsync();
        using var loggers = TestLoggerProvider.Factory(output, out _);
        var room = new EndpointRef(Name, EndpointKind.Room, "traced");
        var context = new ConnectorContext(Name, [room], new MemoryCursorStore(), loggers, TimeProvider.System);
        await using var connector = new XnestConnector(context, XnestRig.TestOptions(sim.BaseUrl));
        var sink = new RecordingSink();
        using var stop = new CancellationTokenSource();
        var run = connector.RunAsync(sink, stop.Token);
        await Eventually.TrueAsync(() => connector.OwnPid("traced") is { } pid && sim.Room("traced")?.Members.Any(m => m.Pid == pid) == true, TimeSpan.FromSeconds(10), "the bridge joined the room");

        sim.AddMember("traced", "alice").Send("traced in");
        var posted = (await sink.WaitForAsync<MessagePosted>(1))[0];
        await Eventually.TrueAsync(() => telemetry.Span("receive normal", "bridge.native_message_id", posted.NativeMessageId) is not null, TimeSpan.FromSeconds(10), "the receive span ended");
        Assert.Equal(room.ToString(), telemetry.Span("receive normal", "bridge.native_message_id", posted.NativeMessageId)!.GetTagItem("bridge.conversation"));

        var message = XnestRig.Message(room, "traced out");
        var result = await connector.SendAsync(message, CancellationToken.None);
        Assert.True(result.Succeeded, result.ToString());
        telemetry.AssertSendSpan("send room", message.IdempotencyKey, room.ToString(), result.NativeMessageId);

        Assert.True(telemetry.FramesReceived >= 5, $"frames received {telemetry.FramesReceived} (self, member_count, members, history, join, the message, the echo)");
        Assert.True(telemetry.FramesSent >= 1, $"frames sent {telemetry.FramesSent} (the text)");
        Assert.Equal(0, telemetry.Errors);
        Assert.Equal(0, telemetry.Reconnects);

        var refused = await connector.SendAsync(XnestRig.Message(new EndpointRef(Name, EndpointKind.Room, "elsewhere"), "x"), CancellationToken.None);
        Assert.False(refused.Succeeded);
        Assert.Equal(1, telemetry.Errors);

        sim.DropConnections("traced");
        await Eventually.TrueAsync(() => telemetry.Reconnects >= 1 && connector.Status.IsConnected, TimeSpan.FromSeconds(10), "the reconnect was counted");

        await stop.CancelAsync();
        await run;
    }
}
