using Bridge.Contracts.V1;
using Bridge.Host.Delivery;

namespace Bridge.Tests.Host;

/// <summary>How overlapping delivery batches keep each target conversation in queue (delivery tag) order.</summary>
public class DeliveryOrderTests
{
    private static readonly EndpointRef X = new("beta", EndpointKind.Room, "x");
    private static readonly EndpointRef Y = new("beta", EndpointKind.Room, "y");
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(150);

    [Fact]
    public async Task A_later_tag_waits_for_the_earlier_one_and_follows_it_in_their_shared_conversation_only()
    {
        var order = new DeliveryOrder(Long, TimeProvider.System);
        var second = order.AdmitAsync("c1", 2, [Deliver(X), Deliver(Y)], default);
        await Task.Delay(Settle);
        Assert.False(second.IsCompleted);

        using var a = await order.AdmitAsync("c1", 1, [Deliver(X)], default);
        using var b = await second.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(b.AfterGap);
        Assert.True(a.PreviousIn(X).IsCompleted);
        Assert.True(b.PreviousIn(Y).IsCompleted);
        Assert.False(b.PreviousIn(X).IsCompleted);

        a.Finished(X);
        await b.PreviousIn(X).WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Tags_in_order_are_admitted_at_once_and_chain_per_conversation()
    {
        var order = new DeliveryOrder(Long, TimeProvider.System);
        using var a = await order.AdmitAsync("c1", 1, [Deliver(X)], default);
        using var b = await order.AdmitAsync("c1", 2, [Deliver(X)], default);
        using var c = await order.AdmitAsync("c1", 3, [Deliver(X), Deliver(Y)], default);
        Assert.False(b.PreviousIn(X).IsCompleted);
        Assert.True(c.PreviousIn(Y).IsCompleted);

        a.Finished(X);
        await b.PreviousIn(X).WaitAsync(TimeSpan.FromSeconds(10));
        await Task.Delay(Settle);
        Assert.False(c.PreviousIn(X).IsCompleted);
        b.Finished(X);
        await c.PreviousIn(X).WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_tag_that_never_arrives_holds_the_next_one_for_the_gap_timeout_only_and_the_waiting_ones_keep_their_order()
    {
        var order = new DeliveryOrder(TimeSpan.FromMilliseconds(200), TimeProvider.System);
        using var first = await order.AdmitAsync("c1", 1, [Deliver(Y)], default);

        // Tag 2 is lost (moved to _error by the transport); 4 arrives before 3.
        var fourth = order.AdmitAsync("c1", 4, [Deliver(X)], default);
        await Task.Delay(20);
        var third = order.AdmitAsync("c1", 3, [Deliver(X)], default);
        using var c = await third.WaitAsync(TimeSpan.FromSeconds(10));
        using var d = await fourth.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(c.PreviousIn(X).IsCompleted);
        Assert.False(d.PreviousIn(X).IsCompleted);
        Assert.True(c.AfterGap || d.AfterGap);

        // Past the gap, the next tag goes at once.
        var fifth = order.AdmitAsync("c1", 5, [Deliver(Y)], default);
        Assert.True(fifth.IsCompleted);
        (await fifth).Dispose();
    }

    [Fact]
    public async Task A_new_consumer_tag_starts_again_from_one_and_a_late_batch_of_the_old_channel_does_not_wait()
    {
        var order = new DeliveryOrder(Long, TimeProvider.System);
        using (await order.AdmitAsync("old", 1, [Deliver(X)], default))
        {
        }

        var waitingOnOld = order.AdmitAsync("old", 3, [Deliver(X)], default);
        Assert.False(waitingOnOld.IsCompleted);

        // The channel was replaced: the old channel's waiting batch is let go, the new one starts at 1.
        var restarted = order.AdmitAsync("new", 1, [Deliver(X)], default);
        Assert.True(restarted.IsCompleted);
        (await waitingOnOld.WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
        (await restarted).Dispose();
        var late = order.AdmitAsync("old", 7, [Deliver(Y)], default);
        Assert.True(late.IsCompleted);
        (await late).Dispose();
        Assert.False(order.AdmitAsync("new", 3, [Deliver(Y)], default).IsCompleted);
    }

    [Fact]
    public async Task An_instruction_an_earlier_batch_still_holds_is_looked_up_again_once_that_one_is_settled()
    {
        var order = new DeliveryOrder(Long, TimeProvider.System);
        var again = Deliver(X);
        using var a = await order.AdmitAsync("c1", 1, [again, Deliver(X)], default);
        using var b = await order.AdmitAsync("c1", 2, [again, Deliver(Y)], default);
        Assert.Null(a.EarlierCopyOf(again.EventId, X));
        var earlier = b.EarlierCopyOf(again.EventId, X);
        Assert.NotNull(earlier);
        Assert.Null(b.EarlierCopyOf(Guid.NewGuid(), Y));

        a.Finished(X);
        await Task.Delay(Settle);
        Assert.False(earlier.IsCompleted);
        a.Settled(again.EventId, X);
        await earlier.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_batch_that_ends_without_finishing_its_conversations_still_lets_the_next_ones_go_and_leaves_nothing_behind()
    {
        var order = new DeliveryOrder(Long, TimeProvider.System);
        var held = Deliver(X);
        var a = await order.AdmitAsync("c1", 1, [held, Deliver(Y)], default);
        using var b = await order.AdmitAsync("c1", 2, [held, Deliver(Y)], default);
        Assert.Equal(2, order.OpenConversations);

        a.Dispose();
        await b.PreviousIn(X).WaitAsync(TimeSpan.FromSeconds(10));
        await b.PreviousIn(Y).WaitAsync(TimeSpan.FromSeconds(10));
        await b.EarlierCopyOf(held.EventId, X)!.WaitAsync(TimeSpan.FromSeconds(10));
        b.Dispose();
        Assert.Equal(0, order.OpenConversations);
    }

    [Fact]
    public async Task A_cancelled_wait_throws_and_does_not_hold_later_tags()
    {
        var order = new DeliveryOrder(TimeSpan.FromMilliseconds(200), TimeProvider.System);
        using var cts = new CancellationTokenSource();
        var waiting = order.AdmitAsync("c1", 2, [Deliver(X)], cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);

        using var first = await order.AdmitAsync("c1", 1, [Deliver(X)], default);
        var third = order.AdmitAsync("c1", 3, [Deliver(X)], default);
        using var c = await third.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(c.AfterGap);
    }

    private static DeliverMessage Deliver(EndpointRef target) => new(
        Guid.NewGuid(),
        "r",
        new EndpointRef("alpha", EndpointKind.Room, "a"),
        target,
        DeliveryAction.Post,
        new Participant("alpha", "u1"),
        MessageBody.FromText("hi"),
        "key",
        DateTimeOffset.UnixEpoch,
        DateTimeOffset.UnixEpoch);
}
