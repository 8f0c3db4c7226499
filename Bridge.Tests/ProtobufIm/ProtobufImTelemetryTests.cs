using Bridge.Connectors.Abstractions;
using Bridge.Contracts.V1;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.ProtobufIm;

/// <summary>Receive and send spans carry the backend's ids; frames, errors and reconnects are counted.</summary>
public sealed class ProtobufImTelemetryTests(ITestOutputHelper output)
{
    private const string Name = "pbim-telemetry";

    [Fact]
    public async Task Spans_carry_the_native_ids_and_frames_errors_and_reconnects_are_counted()
    {
        using var telemetry = new ConnectorTelemetry(Name);
        await using var rig = await ImRig.StartAsync(output);
        var connector = await rig.RunConnectedAsync(name: Name);

        rig.Simulator.SendDirect("alice", ImRig.Bridge, "traced in");
        var posted = (await rig.Sink.WaitForAsync<MessagePosted>(1))[0];
        await Eventually.TrueAsync(() => telemetry.Spans.Any(s => s.OperationName == "receive message" && Equals(s.GetTagItem("bridge.event_id"), posted.EventId)), TimeSpan.FromSeconds(10), "the receive span ended");
        var receive = telemetry.Spans.Single(s => s.OperationName == "receive message" && Equals(s.GetTagItem("bridge.event_id"), posted.EventId));
        Assert.Equal("single_alice_bridge", receive.GetTagItem("bridge.conversation"));
        Assert.False(string.IsNullOrEmpty(receive.GetTagItem("bridge.native_message_id") as string));
        Assert.Contains((string)receive.GetTagItem("bridge.native_message_id")!, posted.NativeMessageId, StringComparison.Ordinal);

        var message = new OutboundMessage(new EndpointRef(Name, EndpointKind.User, "alice"), MessageBody.FromText("traced out"), Guid.NewGuid().ToString("N"), new Participant("other", "u1", "User One"), Guid.NewGuid());
        var result = await connector.SendAsync(message, CancellationToken.None);
        Assert.True(result.Succeeded, result.ToString());
        telemetry.AssertSendSpan("send Text", message.IdempotencyKey, message.Target.ToString(), result.NativeMessageId);

        Assert.True(telemetry.FramesReceived >= 3, $"frames received {telemetry.FramesReceived} (AUTH_RSP, SYNC_RSP, PUSH_MSG, SEND_MSG_RSP)");
        Assert.True(telemetry.FramesSent >= 3, $"frames sent {telemetry.FramesSent} (AUTH_REQ, MSG_ACK, SEND_MSG_REQ)");
        Assert.Equal(0, telemetry.Errors);
        Assert.Equal(0, telemetry.Reconnects);

        Assert.True(rig.Simulator.Inject(ImRig.Bridge, [0x08, 0xff]));
        await Eventually.TrueAsync(() => telemetry.Errors == 1, TimeSpan.FromSeconds(5), "the malformed frame was counted as an error");

        rig.Simulator.Drop(ImRig.Bridge);
        await Eventually.TrueAsync(() => telemetry.Reconnects >= 1 && connector.Status.IsConnected, TimeSpan.FromSeconds(10), "the reconnect was counted");
    }
}
