using System.Net.Sockets;
using System.Text.Json;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.ErlangGateway;
using Bridge.Contracts.V1;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.ErlangGateway;

/// <summary>Sends to users, groups and chosen members; MsgId from the idempotency key; typed failures; the TCP path.</summary>
public class ErlangOutboundTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    private static EndpointRef User(uint uid) => new("erl", EndpointKind.User, uid.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static EndpointRef Group(string id) => new("erl", EndpointKind.Group, id);

    [Fact]
    public async Task A_send_to_a_user_is_a_publish_with_the_idempotency_key_as_msgid_in_the_json_envelope()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        var connector = await h.RunConnectedAsync();
        var message = ErlangHarness.Outbound(User(ErlangHarness.AliceUid), "hello alice 你好");

        var result = await connector.SendAsync(message, CancellationToken.None);

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal(message.IdempotencyKey, result.NativeMessageId);
        var delivery = Assert.Single(h.Simulator.ReceivedBy(ErlangHarness.AliceUid));
        Assert.Equal(message.IdempotencyKey, delivery.MsgId);
        Assert.Equal(ErlangCommand.Publish, delivery.Push.Command);
        Assert.Equal(ErlangHarness.BridgeUid, delivery.Push.FromUid);
        using var json = JsonDocument.Parse(delivery.Push.Payload);
        Assert.Equal("1000", json.RootElement.GetProperty("from").GetString());
        Assert.Equal("1001", json.RootElement.GetProperty("to").GetString());
        Assert.Equal("hello alice 你好", json.RootElement.GetProperty("content").GetString());
        Assert.Equal(OriginMarker.Format(message.EventId), json.RootElement.GetProperty(OriginMarker.Key).GetString());
    }

    [Fact]
    public async Task In_text_mode_the_payload_is_the_text_itself()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        var connector = await h.RunConnectedAsync(h.Options() with { Payload = PayloadFormat.Text });

        var result = await connector.SendAsync(ErlangHarness.Outbound(User(ErlangHarness.BobUid), "just text"), CancellationToken.None);

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal("just text", Assert.Single(h.Simulator.ReceivedBy(ErlangHarness.BobUid)).Text);
    }

    [Fact]
    public async Task A_send_to_a_group_is_a_group_publish_delivered_to_the_other_members()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        var connector = await h.RunConnectedAsync();

        var result = await connector.SendAsync(ErlangHarness.Outbound(Group("7"), "to the group"), CancellationToken.None);

        Assert.True(result.Succeeded, result.ToString());
        foreach (var uid in new[] { ErlangHarness.AliceUid, ErlangHarness.BobUid })
        {
            var push = Assert.Single(h.Simulator.ReceivedBy(uid)).Push;
            Assert.Equal(ErlangCommand.GroupPublish, push.Command);
            Assert.Equal(7u, push.GroupId);
            using var json = JsonDocument.Parse(push.Payload);
            Assert.False(json.RootElement.TryGetProperty("to", out _));
        }

        Assert.Empty(h.Simulator.ReceivedBy(ErlangHarness.BridgeUid));
    }

    [Fact]
    public async Task A_group_target_with_a_member_list_is_a_group_part_publish_to_those_members()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        var connector = await h.RunConnectedAsync();

        var result = await connector.SendAsync(ErlangHarness.Outbound(Group("7:1002"), "only bob"), CancellationToken.None);

        Assert.True(result.Succeeded, result.ToString());
        var push = Assert.Single(h.Simulator.ReceivedBy(ErlangHarness.BobUid)).Push;
        Assert.Equal(ErlangCommand.GroupPartPublish, push.Command);
        Assert.Equal([1002u], push.Uids);
        Assert.Empty(h.Simulator.ReceivedBy(ErlangHarness.AliceUid));
    }

    [Fact]
    public async Task A_retried_send_reuses_the_msgid()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        var connector = await h.RunConnectedAsync();
        var message = ErlangHarness.Outbound(User(ErlangHarness.AliceUid), "retry me");

        var first = await connector.SendAsync(message, CancellationToken.None);
        var second = await connector.SendAsync(message with { EventId = message.EventId }, CancellationToken.None);

        Assert.Equal(first.NativeMessageId, second.NativeMessageId);
        Assert.All(h.Simulator.ReceivedBy(ErlangHarness.AliceUid), d => Assert.Equal(message.IdempotencyKey, d.MsgId));
    }

    [Fact]
    public async Task A_key_that_is_not_32_hex_digits_is_hashed_to_a_stable_msgid()
    {
        Assert.Equal(ErlangMsgIds.FromIdempotencyKey("delivery-1"), ErlangMsgIds.FromIdempotencyKey("delivery-1"));
        Assert.Matches("^[0-9a-f]{32}$", ErlangMsgIds.FromIdempotencyKey("delivery-1"));
        Assert.Equal("550e8400e29b41d4a716446655440000", ErlangMsgIds.FromIdempotencyKey("550e8400e29b41d4a716446655440000"));
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Typed_failures_too_large_not_connected_unsupported_and_bad_target()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        var idle = h.Create(h.Options());
        Assert.Equal(SendFailureKind.NotConnected, (await idle.SendAsync(ErlangHarness.Outbound(User(1001), "x"), CancellationToken.None)).Failure);

        var connector = await h.RunConnectedAsync(h.Options() with { Payload = PayloadFormat.Text });
        var tooLarge = await connector.SendAsync(ErlangHarness.Outbound(User(1001), new string('a', 65_536)), CancellationToken.None);
        Assert.Equal(SendFailureKind.TooLarge, tooLarge.Failure);
        Assert.Contains("65536 bytes exceeds the gateway's limit of 65535 bytes", tooLarge.Reason, StringComparison.Ordinal);
        var fits = await connector.SendAsync(ErlangHarness.Outbound(User(1001), new string('a', 65_535)), CancellationToken.None);
        Assert.True(fits.Succeeded, fits.ToString());

        Assert.Equal(SendFailureKind.Unsupported, (await connector.SendAsync(ErlangHarness.Outbound(new EndpointRef("erl", EndpointKind.Room, "1"), "x"), CancellationToken.None)).Failure);
        var badUser = await connector.SendAsync(ErlangHarness.Outbound(new EndpointRef("erl", EndpointKind.User, "alice"), "x"), CancellationToken.None);
        Assert.Equal(SendFailureKind.Rejected, badUser.Failure);
        Assert.Equal(SendFailureKind.Rejected, (await connector.SendAsync(ErlangHarness.Outbound(Group("7:x"), "x"), CancellationToken.None)).Failure);
    }

    [Fact]
    public async Task The_android_limit_can_be_configured()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        var connector = await h.RunConnectedAsync(h.Options() with { Payload = PayloadFormat.Text, MaxPayloadBytes = 32_767 });

        var result = await connector.SendAsync(ErlangHarness.Outbound(User(1001), new string('b', 32_768)), CancellationToken.None);

        Assert.Equal(SendFailureKind.TooLarge, result.Failure);
    }

    [Fact]
    public async Task A_send_without_an_ack_times_out()
    {
        await using var h = await ErlangHarness.StartAsync(output, o => o with { NeverAckSends = true });
        var connector = await h.RunConnectedAsync(h.Options() with { AckTimeout = TimeSpan.FromMilliseconds(300) });

        var result = await connector.SendAsync(ErlangHarness.Outbound(User(1001), "lost ack"), CancellationToken.None);

        Assert.Equal(SendFailureKind.Timeout, result.Failure);
        Assert.Contains("no PUB_ACK", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_send_over_the_tcp_interface_is_acked_and_delivered()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        var connector = await h.RunConnectedAsync(h.Options() with { SendPath = SendPath.Tcp });
        var message = ErlangHarness.Outbound(User(ErlangHarness.AliceUid), "via tcp");

        var result = await connector.SendAsync(message, CancellationToken.None);
        var group = await connector.SendAsync(ErlangHarness.Outbound(Group("7"), "group still via websocket"), CancellationToken.None);

        Assert.True(result.Succeeded, result.ToString());
        Assert.True(group.Succeeded, group.ToString());
        var deliveries = h.Simulator.ReceivedBy(ErlangHarness.AliceUid);
        Assert.Equal(0u, deliveries.Single(d => d.MsgId == message.IdempotencyKey).Push.FromUid); // the TCP interface has no login
        Assert.Equal(ErlangHarness.BridgeUid, deliveries.Single(d => d.MsgId == group.NativeMessageId).Push.FromUid);
    }

    [Fact]
    public async Task The_tcp_interface_answers_the_protocol_doc_vector_byte_for_byte()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", h.Simulator.TcpPort);
        var stream = client.GetStream();

        await stream.WriteAsync(ErlangCodecTests.Hex($"00 00 00 32 03 00 00 04 d2 {ErlangCodecTests.MsgIdHex} 00 0b {ErlangCodecTests.HelloHex}"));
        var reply = new byte[37];
        await stream.ReadExactlyAsync(reply);

        Assert.Equal(ErlangCodecTests.Hex($"00 00 00 21 04 {ErlangCodecTests.MsgIdHex}"), reply);
        Assert.Equal("hello world", Assert.Single(h.Simulator.ReceivedBy(1234)).Text);
    }

    [Fact]
    public async Task The_tcp_path_reconnects_after_the_server_restarts()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        var connector = await h.RunConnectedAsync(h.Options() with { SendPath = SendPath.Tcp });
        Assert.True((await connector.SendAsync(ErlangHarness.Outbound(User(1001), "one"), CancellationToken.None)).Succeeded);

        await h.Simulator.RestartAsync();
        await h.WaitForStateAsync(connector, SessionState.Connected);

        SendResult? result = null;
        await Eventually.TrueAsync(
            () =>
            {
                result = connector.SendAsync(ErlangHarness.Outbound(User(1001), "two"), CancellationToken.None).GetAwaiter().GetResult();
                return result.Succeeded;
            },
            Wait,
            "a send over a new TCP connection succeeded");
        Assert.Equal(2, h.Simulator.ReceivedBy(1001).Count);
    }

    [Fact]
    public async Task Two_thousand_concurrent_sends_are_all_acked()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        var connector = await h.RunConnectedAsync();
        const int count = 2_000;

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var results = await Task.WhenAll(Enumerable.Range(0, count).Select(i =>
            connector.SendAsync(ErlangHarness.Outbound(User(i % 2 == 0 ? ErlangHarness.AliceUid : ErlangHarness.BobUid), $"s{i}"), CancellationToken.None)));
        watch.Stop();

        output.WriteLine($"{count} concurrent sends acked in {watch.ElapsedMilliseconds} ms ({count / watch.Elapsed.TotalSeconds:0} msg/s)");
        Assert.All(results, r => Assert.True(r.Succeeded, r.ToString()));
        Assert.Equal(count, h.Simulator.ReceivedBy(ErlangHarness.AliceUid).Count + h.Simulator.ReceivedBy(ErlangHarness.BobUid).Count);
    }

    [Fact]
    public async Task Simulated_users_exchange_messages_with_the_bridge_both_ways()
    {
        await using var h = await ErlangHarness.StartAsync(output);
        var connector = await h.RunConnectedAsync();

        await h.AliceSendsToBridgeAsync("question");
        var posted = (await h.Sink.WaitForAsync<MessagePosted>(1))[0];
        var reply = await connector.SendAsync(ErlangHarness.Outbound(posted.Conversation, "answer"), CancellationToken.None);

        Assert.True(reply.Succeeded, reply.ToString());
        using var json = JsonDocument.Parse(Assert.Single(h.Simulator.ReceivedBy(ErlangHarness.AliceUid)).Push.Payload);
        Assert.Equal("answer", json.RootElement.GetProperty("content").GetString());
    }
}
