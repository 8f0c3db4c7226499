using System.Globalization;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Rtm;
using Bridge.Contracts.V1;
using Bridge.Simulators.Rtm;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.Rtm;

/// <summary>Receive and send spans carry the backend's ids; frames, errors and reconnects are counted.</summary>
public sealed class RtmTelemetryTests(ITestOutputHelper output)
{
    private const string Name = "rtm-telemetry";

    [Fact]
    public async Task Spans_carry_the_native_ids_and_frames_errors_and_reconnects_are_counted()
    {
        using var telemetry = new ConnectorTelemetry(Name);
        await using var rig = await RtmRig.StartSimulatorAsync(output, new RtmSimulatorOptions { PingInterval = null });
        var room = new EndpointRef(Name, EndpointKind.Room, RtmRig.Room.ToString(CultureInfo.InvariantCulture));
        var context = new ConnectorContext(Name, [room], rig.Cursors, rig.Logging.Factory, TimeProvider.System);
        await using var connector = new RtmConnector(context, RtmRig.DefaultOptions(rig.Simulator.Url));
        var sink = new RecordingSink();
        using var stop = new CancellationTokenSource();
        var run = connector.RunAsync(sink, stop.Token);
        await Eventually.TrueAsync(() => connector.Status.IsConnected && rig.Simulator.InRoom(RtmRig.BridgeUid, RtmRig.Room), TimeSpan.FromSeconds(10), "logged in and in the room");

        await rig.Simulator.SendAsync(RtmRig.Alice, RtmConversationType.Room, RtmRig.Room, "traced in");
        var posted = (await sink.WaitForAsync<MessagePosted>(1))[0];
        await Eventually.TrueAsync(() => telemetry.Span("receive pushroommsg", "bridge.native_message_id", posted.NativeMessageId) is not null, TimeSpan.FromSeconds(10), "the receive span ended");
        Assert.Equal(posted.Conversation.Path, telemetry.Span("receive pushroommsg", "bridge.native_message_id", posted.NativeMessageId)!.GetTagItem("bridge.conversation"));

        var eventId = Guid.NewGuid();
        var message = new OutboundMessage(room, MessageBody.FromText("traced out"), Convert.ToHexStringLower(eventId.ToByteArray()), new Participant("other", "someone"), eventId);
        var result = await connector.SendAsync(message, CancellationToken.None);
        Assert.True(result.Succeeded, result.ToString());
        telemetry.AssertSendSpan("send sendroommsg", message.IdempotencyKey, room.Path, result.NativeMessageId);

        Assert.True(telemetry.FramesReceived >= 3, $"frames received {telemetry.FramesReceived} (auth and enterroom answers, the push, the send answer)");
        Assert.True(telemetry.FramesSent >= 3, $"frames sent {telemetry.FramesSent} (auth, enterroom, the push answer, sendroommsg)");
        Assert.Equal(0, telemetry.Errors);

        rig.Simulator.DropConnections(RtmRig.BridgeUid);
        await Eventually.TrueAsync(() => telemetry.Reconnects >= 1 && connector.Status.IsConnected, TimeSpan.FromSeconds(10), "the reconnect was counted");
        Assert.Equal(0, telemetry.Errors);

        await Eventually.TrueAsync(() => rig.Simulator.InRoom(RtmRig.BridgeUid, RtmRig.Room), TimeSpan.FromSeconds(10), "back in the room");
        await rig.Simulator.SendRawAsync(RtmRig.BridgeUid, [.. "XPNN"u8, 1, 0x80, 1, 0]);
        await Eventually.TrueAsync(() => telemetry.Errors == 1, TimeSpan.FromSeconds(5), "the packet with a bad magic was counted as an error");

        await stop.CancelAsync();
        await run;
    }
}
