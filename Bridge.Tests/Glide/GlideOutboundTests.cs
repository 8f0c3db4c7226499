using System.Text.Json;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Configuration;
using Bridge.Connectors.Glide;
using Bridge.Contracts.V1;
using Bridge.Simulators.Glide;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.Glide;

/// <summary>Sends to each endpoint kind with tickets and acks, and every typed failure.</summary>
public sealed class GlideOutboundTests(ITestOutputHelper output)
{
    private static OutboundMessage Message(EndpointKind kind, string target, string text, string? key = null) =>
        new(new EndpointRef("glide", kind, target), MessageBody.FromText(text), key ?? Guid.NewGuid().ToString("N"), new Participant("rtm", "7", "Seven"), Guid.NewGuid());

    private static async Task<(GlideRig Rig, GlideConnector Connector)> StartAsync(ITestOutputHelper output, Func<GlideRig, GlideOptions>? options = null, Func<GlideSimulatorOptions, GlideSimulatorOptions>? sim = null)
    {
        var rig = await GlideRig.StartAsync(output, sim);
        rig.Sim.CreateUser("1002");
        var connector = rig.Start(options?.Invoke(rig) ?? rig.Options());
        await GlideRig.ConnectedAsync(connector);
        return (rig, connector);
    }

    /// <summary>Tickets from the business API with the bridge account's API token (no local gateway secret).</summary>
    private static Task<(GlideRig Rig, GlideConnector Connector)> StartWithApiTicketsAsync(ITestOutputHelper output) =>
        StartAsync(output, r => r.Options() with
        {
            GatewaySecret = null,
            ApiUrl = r.Sim.ApiUrl,
            ApiToken = new Secret(r.Sim.CreateUser(GlideRig.BridgeUid, online: false).ApiToken),
        });

    [Fact]
    public async Task A_chat_to_a_uid_is_ticketed_acknowledged_and_delivered_with_the_idempotency_key()
    {
        var (rig, connector) = await StartAsync(output);
        await using var _ = rig;
        var message = Message(EndpointKind.User, "1002", "hi from the bridge", "0123456789abcdef0123456789abcdef");
        var result = await connector.SendAsync(message, CancellationToken.None);
        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal("900:0123456789abcdef0123456789abcdef", result.NativeMessageId);

        // The server acknowledges before it delivers: wait for the push.
        await Eventually.TrueAsync(() => rig.Sim.Received("1002", GlideActions.Chat).Count > 0, TimeSpan.FromSeconds(5), "the push reached 1002");
        var push = Assert.Single(rig.Sim.Received("1002", GlideActions.Chat));
        var data = JsonDocument.Parse(push.Data!).RootElement;
        Assert.Equal("0123456789abcdef0123456789abcdef", data.GetProperty("cliMid").GetString());
        Assert.Equal("900", data.GetProperty("from").GetString());
        Assert.Equal("hi from the bridge", data.GetProperty("content").GetString());
        Assert.Equal(1, data.GetProperty("type").GetInt32());
    }

    [Fact]
    public async Task A_group_send_is_acknowledged_and_carries_the_origin_marker()
    {
        var (rig, connector) = await StartAsync(output);
        await using var _ = rig;
        rig.Sim.CreateChannel("room");
        rig.Sim.Subscribe("room", GlideRig.BridgeUid);
        rig.Sim.Subscribe("room", "1002");
        var message = Message(EndpointKind.Group, "room", "to the channel");
        var result = await connector.SendAsync(message, CancellationToken.None);
        Assert.True(result.Succeeded, result.ToString());
        // The server acknowledges before it fans the message out: wait for the push.
        await Eventually.TrueAsync(() => rig.Sim.Received("1002", GlideActions.Group).Count > 0, TimeSpan.FromSeconds(5), "the push reached 1002");
        var push = Assert.Single(rig.Sim.Received("1002", GlideActions.Group));
        Assert.Equal("900", push.From);
        Assert.Equal("room", push.To);
        Assert.Equal(OriginMarker.Format(message.EventId), push.Extra![OriginMarker.Key]);
        Assert.Equal(2, JsonDocument.Parse(push.Data!).RootElement.GetProperty("seq").GetInt64());
    }

    [Theory]
    [InlineData("nowhere", null, "channel does not exist")]
    [InlineData("room", null, "not member of channel")]
    [InlineData("room", GlidePerm.Read, "permission denied: write")]
    public async Task Channel_refusals_are_rejected_with_the_servers_text(string channel, GlidePerm? perm, string error)
    {
        var (rig, connector) = await StartAsync(output);
        await using var _ = rig;
        rig.Sim.CreateChannel("room");
        if (perm is { } p)
        {
            rig.Sim.Subscribe("room", GlideRig.BridgeUid, p);
        }

        var result = await connector.SendAsync(Message(EndpointKind.Group, channel, "x"), CancellationToken.None);
        Assert.Equal(SendFailureKind.Rejected, result.Failure);
        Assert.Equal(error, result.Reason);
        Assert.Equal(GlideActions.NotifyError, result.Code);
    }

    [Theory]
    [InlineData("muted", "channel is muted")]
    [InlineData("blocked", "channel is blocked")]
    [InlineData("closed", "channel closed")]
    [InlineData("full", "too many messages,the group message queue is full")]
    public async Task Channel_states_are_rejected_with_the_servers_text(string state, string error)
    {
        var (rig, connector) = await StartAsync(output);
        await using var _ = rig;
        rig.Sim.CreateChannel("room");
        rig.Sim.Subscribe("room", GlideRig.BridgeUid);
        rig.Sim.SetChannelState("room", muted: state == "muted", blocked: state == "blocked", closed: state == "closed", queueFull: state == "full");
        var result = await connector.SendAsync(Message(EndpointKind.Group, "room", "x"), CancellationToken.None);
        Assert.Equal(SendFailureKind.Rejected, result.Failure);
        Assert.Equal(error, result.Reason);
    }

    [Fact]
    public async Task Rooms_are_unsupported_and_a_stopped_connector_is_not_connected()
    {
        await using var rig = await GlideRig.StartAsync(output);
        var idle = new GlideConnector(new ConnectorContext("glide", [], new MemoryCursorStore(), rig.Logs, TimeProvider.System), rig.Options());
        Assert.Equal(SendFailureKind.Unsupported, (await idle.SendAsync(Message(EndpointKind.Room, "r", "x"), CancellationToken.None)).Failure);
        Assert.Equal(SendFailureKind.NotConnected, (await idle.SendAsync(Message(EndpointKind.User, "1002", "x"), CancellationToken.None)).Failure);
    }

    [Fact]
    public async Task No_ack_in_time_is_a_timeout()
    {
        var (rig, connector) = await StartAsync(output, r => r.Options() with { SendTimeout = TimeSpan.FromMilliseconds(300) });
        await using var _ = rig;
        rig.Sim.Stall(GlideRig.BridgeUid, true);
        var result = await connector.SendAsync(Message(EndpointKind.User, "1002", "x"), CancellationToken.None);
        Assert.Equal(SendFailureKind.Timeout, result.Failure);
        Assert.True(result.IsTransient);
    }

    [Fact]
    public async Task An_oversize_message_is_too_large()
    {
        var (rig, connector) = await StartAsync(output, r => r.Options() with { MaxFrameBytes = 4096 });
        await using var _ = rig;
        var result = await connector.SendAsync(Message(EndpointKind.User, "1002", new string('x', 5000)), CancellationToken.None);
        Assert.Equal(SendFailureKind.TooLarge, result.Failure);
        Assert.Empty(rig.Sim.Received("1002", GlideActions.Chat));
    }

    [Fact]
    public async Task A_wrong_local_ticket_is_forbidden_and_typed()
    {
        // A configured credential whose deliver secret differs from the configured ticket key.
        var (rig, connector) = await StartAsync(output, r => r.Options() with
        {
            GatewaySecret = null,
            Credential = new Secret(r.Sim.MintCredential(GlideRig.BridgeUid, deliverSecret: "real")),
            DeliverSecret = new Secret("stale"),
        });
        await using var _ = rig;
        var result = await connector.SendAsync(Message(EndpointKind.User, "1002", "x"), CancellationToken.None);
        Assert.Equal(SendFailureKind.Rejected, result.Failure);
        Assert.Equal("ticket expired", result.Reason);
        Assert.Equal(GlideActions.NotifyForbidden, result.Code);
    }

    [Fact]
    public async Task Api_tickets_are_cached_per_target_and_refreshed_once_after_a_rotation()
    {
        var (rig, connector) = await StartWithApiTicketsAsync(output);
        await using var _ = rig;
        Assert.True((await connector.SendAsync(Message(EndpointKind.User, "1002", "one"), CancellationToken.None)).Succeeded);
        Assert.True((await connector.SendAsync(Message(EndpointKind.User, "1002", "two"), CancellationToken.None)).Succeeded);

        rig.Sim.RotateSecret(GlideRig.BridgeUid, "rotated");
        var result = await connector.SendAsync(Message(EndpointKind.User, "1002", "three"), CancellationToken.None);
        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal(3, rig.Sim.Received("1002", GlideActions.Chat).Count);
        Assert.Contains(rig.LogLines.Lines, l => l.Contains("refused (ticket expired)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_pipelined_send_refused_for_its_ticket_renews_it_and_returns_the_refusal_for_the_consumer_to_send_again()
    {
        var (rig, connector) = await StartWithApiTicketsAsync(output);
        await using var _ = rig;
        Assert.True(connector.Capabilities.PipelinedSends);
        var first = new SendWritten();
        Assert.True((await connector.SendAsync(Message(EndpointKind.User, "1002", "one"), first, CancellationToken.None)).Succeeded);
        Assert.True(first.IsSet);

        rig.Sim.RotateSecret(GlideRig.BridgeUid, "rotated");
        var refused = new SendWritten();
        var two = Message(EndpointKind.User, "1002", "two");
        var result = await connector.SendAsync(two, refused, CancellationToken.None);
        Assert.Equal(SendFailureKind.Rejected, result.Failure);
        Assert.Equal(GlideActions.NotifyForbidden, result.Code);
        Assert.True(refused.IsSet);
        Assert.Single(rig.Sim.Received("1002", GlideActions.Chat));

        // Sent again in its turn (one at a time): the renewed ticket goes through.
        Assert.True((await connector.SendAsync(two, CancellationToken.None)).Succeeded);
        Assert.Equal(2, rig.Sim.Received("1002", GlideActions.Chat).Count);
    }

    [Fact]
    public async Task V16_ack_shapes_complete_sends()
    {
        var (rig, connector) = await StartAsync(output, sim: o => o with { V16Acks = true });
        await using var _ = rig;
        rig.Sim.CreateChannel("room");
        rig.Sim.Subscribe("room", GlideRig.BridgeUid);
        Assert.True((await connector.SendAsync(Message(EndpointKind.User, "1002", "x"), CancellationToken.None)).Succeeded);
        Assert.True((await connector.SendAsync(Message(EndpointKind.Group, "room", "y"), CancellationToken.None)).Succeeded);
    }

    [Fact]
    public async Task Concurrent_retries_of_one_key_put_one_copy_on_the_wire()
    {
        var (rig, connector) = await StartAsync(output);
        await using var _ = rig;
        var message = Message(EndpointKind.User, "1002", "once");
        var results = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => connector.SendAsync(message, CancellationToken.None)));
        Assert.All(results, r => Assert.True(r.Succeeded, r.ToString()));
        Assert.True(rig.Sim.Received("1002", GlideActions.Chat).Count < 5);
    }
}
