using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Glide;
using Bridge.Contracts.V1;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.Glide;

/// <summary>Receive and send spans carry the backend's ids; frames, errors and reconnects are counted.</summary>
public sealed class GlideTelemetryTests(ITestOutputHelper output)
{
    private const string Name = "glide-telemetry";

    [Fact]
    public async Task Spans_carry_the_native_ids_and_frames_errors_and_reconnects_are_counted()
    {
        using var telemetry = new ConnectorTelemetry(Name);
        await using var rig = await GlideRig.StartAsync(output);
        var sink = new RecordingSink();
        // The rig's 1.5 s silence window would end the session if a busy machine held up the
        // simulator's heartbeats, and the chat pushed meanwhile would go with it (seen once in a
        // full suite under load): this test counts the one reconnect it causes itself.
        var connector = rig.Start(rig.Options() with { SilenceWindow = TimeSpan.FromSeconds(15) }, sink, Name);
        await GlideRig.ConnectedAsync(connector);
        rig.Sim.CreateUser("1001");

        rig.Sim.SendChat("1001", GlideRig.BridgeUid, "traced in", cliMid: "T1");
        var posted = Assert.Single(await sink.WaitForAsync<MessagePosted>(1));
        await Eventually.TrueAsync(() => telemetry.Span("receive " + GlideActions.Chat, "bridge.native_message_id", "1001:T1") is not null, TimeSpan.FromSeconds(10), "the receive span ended");
        Assert.Equal(posted.Conversation.ToString(), telemetry.Span("receive " + GlideActions.Chat, "bridge.native_message_id", "1001:T1")!.GetTagItem("bridge.conversation"));

        var message = new OutboundMessage(new EndpointRef(Name, EndpointKind.User, "1001"), MessageBody.FromText("traced out"), Guid.NewGuid().ToString("N"), new Participant("rtm", "7", "Seven"), Guid.NewGuid());
        var result = await connector.SendAsync(message, CancellationToken.None);
        Assert.True(result.Succeeded, result.ToString());
        telemetry.AssertSendSpan("send " + GlideActions.Chat, message.IdempotencyKey, "1001", result.NativeMessageId);

        Assert.True(telemetry.FramesReceived >= 3, $"frames received {telemetry.FramesReceived} (hello, notify.success, the chat, ack.message)");
        Assert.True(telemetry.FramesSent >= 2, $"frames sent {telemetry.FramesSent} (ack.request, the chat)");
        Assert.Equal(0, telemetry.Errors);
        Assert.Equal(0, telemetry.Reconnects);

        Assert.True(rig.Sim.PushRaw(GlideRig.BridgeUid, "{not json"u8.ToArray()));
        await Eventually.TrueAsync(() => telemetry.Errors == 1, TimeSpan.FromSeconds(5), "the undecodable frame was counted as an error");

        Assert.True(rig.Sim.Drop(GlideRig.BridgeUid));
        await Eventually.TrueAsync(() => telemetry.Reconnects >= 1 && connector.Status.IsConnected, TimeSpan.FromSeconds(10), "the reconnect was counted");
    }
}
