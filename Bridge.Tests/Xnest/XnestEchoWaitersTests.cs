using Bridge.Connectors.Xnest;
using Bridge.Tests.Infrastructure;

namespace Bridge.Tests.Xnest;

public class XnestEchoWaitersTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task An_echo_confirms_the_oldest_send_of_its_text_and_stops_its_deadline()
    {
        var waiters = new XnestEchoWaiters(XnestEchoWaiters.NewDeadlines(TimeProvider.System));
        var (first, second) = SentTwice(waiters, "hello", "hello");
        Assert.Equal(2, waiters.Timed);

        Assert.True(waiters.Complete("hello", "n1"));
        Assert.Equal("n1", await first.Task.WaitAsync(Wait));
        Assert.False(second.Task.IsCompleted);
        Assert.Equal(1, waiters.Timed);

        Assert.True(waiters.Complete("hello", "n2"));
        Assert.Equal("n2", await second.Task.WaitAsync(Wait));
        Assert.Equal(0, waiters.Timed);
        Assert.False(waiters.Complete("hello", "n3"));
    }

    [Fact]
    public async Task A_send_without_its_echo_fails_at_its_deadline_on_the_rooms_clock_and_leaves_the_queue()
    {
        var clock = new ManualTimestamps();
        var waiters = new XnestEchoWaiters(XnestEchoWaiters.NewDeadlines(clock));
        var waiter = waiters.Register("lost");
        waiters.Watch(waiter, TimeSpan.FromMilliseconds(100));

        // The sweep's timer runs in real time; the deadline is the room's clock, which has not moved.
        await Task.Delay(300);
        Assert.False(waiter.Task.IsCompleted);

        clock.Advance(TimeSpan.FromMilliseconds(150));
        await Assert.ThrowsAsync<TimeoutException>(() => waiter.Task.WaitAsync(Wait));
        Assert.Equal(0, waiters.Timed);
        Assert.False(waiters.Complete("lost", "late"));
    }

    [Fact]
    public async Task Rooms_sharing_one_sweep_each_lose_only_their_own_wait_at_its_deadline()
    {
        var deadlines = XnestEchoWaiters.NewDeadlines(TimeProvider.System);
        var roomA = new XnestEchoWaiters(deadlines);
        var roomB = new XnestEchoWaiters(deadlines);
        var quick = roomA.Register("text");
        var slow = roomB.Register("text");
        roomA.Watch(quick, TimeSpan.FromMilliseconds(50));
        roomB.Watch(slow, Wait);

        await Assert.ThrowsAsync<TimeoutException>(() => quick.Task.WaitAsync(Wait));
        Assert.Equal(1, deadlines.Count);
        Assert.False(roomA.Complete("text", "late"));
        Assert.True(roomB.Complete("text", "n1"));
        Assert.Equal("n1", await slow.Task.WaitAsync(Wait));
        Assert.Equal(0, deadlines.Count);
    }

    [Fact]
    public async Task A_send_whose_caller_gave_up_still_takes_its_own_echo_so_the_next_send_of_that_text_gets_the_next()
    {
        var waiters = new XnestEchoWaiters(XnestEchoWaiters.NewDeadlines(TimeProvider.System));
        var (abandoned, next) = SentTwice(waiters, "same", "same");
        abandoned.TrySetCanceled();

        Assert.False(waiters.Complete("same", "echo-of-abandoned"));
        Assert.False(next.Task.IsCompleted);
        Assert.True(waiters.Complete("same", "echo-of-next"));
        Assert.Equal("echo-of-next", await next.Task.WaitAsync(Wait));
        Assert.Equal(0, waiters.Timed);
    }

    [Fact]
    public async Task A_lost_connection_fails_every_send_still_waiting_and_clears_the_deadlines()
    {
        var waiters = new XnestEchoWaiters(XnestEchoWaiters.NewDeadlines(TimeProvider.System));
        var (a, b) = SentTwice(waiters, "a", "b");

        waiters.FailAll(new InvalidOperationException("gone"));

        Assert.Equal("gone", (await Assert.ThrowsAsync<InvalidOperationException>(() => a.Task)).Message);
        await Assert.ThrowsAsync<InvalidOperationException>(() => b.Task);
        Assert.Equal(0, waiters.Timed);
        Assert.False(waiters.Complete("a", "late"));
    }

    [Fact]
    public void A_send_removed_before_its_frame_went_out_is_never_timed_and_its_text_is_free()
    {
        var waiters = new XnestEchoWaiters(XnestEchoWaiters.NewDeadlines(TimeProvider.System));
        var failed = waiters.Register("x");
        waiters.Remove(failed);

        Assert.Equal(0, waiters.Timed);
        Assert.False(waiters.Complete("x", "n"));
    }

    /// <summary>Two sends whose frames went out, waiting for their echoes (deadlines far off).</summary>
    private static (EchoWaiter First, EchoWaiter Second) SentTwice(XnestEchoWaiters waiters, string first, string second)
    {
        var a = waiters.Register(first);
        var b = waiters.Register(second);
        waiters.Watch(a, Wait);
        waiters.Watch(b, Wait);
        return (a, b);
    }
}
