using Bridge.Contracts.V1;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.ErlangGateway;

/// <summary>Receive and send spans carry the backend's ids; frames, errors and reconnects are counted.</summary>
public sealed class ErlangTelemetryTests(ITestOutputHelper output)
{
    private const string Name = "erl-telemetry";

    [Fact]
    public async Task Spans_carry_the_native_ids_and_frames_errors_and_reconnects_are_counted()
    {
        using var telemetry = new ConnectorTelemetry(Name);
        await using var h = await ErlangHarness.StartAsync(output);
        var connector = await h.RunConnectedAsync(name: Name);

        var msgId = await h.AliceSendsToBridgeAsync("traced in");
        await Eventually.TrueAsync(() => telemetry.Span("receive PUBLISH", "bridge.native_message_id", msgId) is not null, TimeSpan.FromSeconds(10), "the receive span ended");
        var posted = Assert.Single(h.Sink.Posted, p => p.NativeMessageId == msgId);
        Assert.Equal(posted.Conversation.Path, telemetry.Span("receive PUBLISH", "bridge.native_message_id", msgId)!.GetTagItem("bridge.conversation"));

        var message = ErlangHarness.Outbound(new EndpointRef(Name, EndpointKind.User, ErlangHarness.AliceUid.ToString(System.Globalization.CultureInfo.InvariantCulture)), "traced out");
        var result = await connector.SendAsync(message, CancellationToken.None);
        Assert.True(result.Succeeded, result.ToString());
        telemetry.AssertSendSpan("send PUBLISH", message.IdempotencyKey, message.Target.ToString(), result.NativeMessageId);

        Assert.True(telemetry.FramesReceived >= 2, $"frames received {telemetry.FramesReceived} (CONNECT_ACK, PUBLISH)");
        Assert.True(telemetry.FramesSent >= 3, $"frames sent {telemetry.FramesSent} (CONNECT, PUB_ACK, PUBLISH)");
        Assert.Equal(0, telemetry.Errors);
        Assert.Equal(0, telemetry.Reconnects);

        await h.Simulator.SendRawAsync(ErlangHarness.BridgeUid, [0xEE, 0x01]);
        await Eventually.TrueAsync(() => telemetry.Errors == 1, TimeSpan.FromSeconds(5), "the malformed packet was counted as an error");

        h.Simulator.DropConnections(ErlangHarness.BridgeUid);
        await Eventually.TrueAsync(() => telemetry.Reconnects >= 1 && connector.Status.State == SessionState.Connected, TimeSpan.FromSeconds(10), "the reconnect was counted");
    }
}
