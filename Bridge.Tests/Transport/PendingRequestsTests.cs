using Bridge.Connectors.Transport;

namespace Bridge.Tests.Transport;

public class PendingRequestsTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task An_answer_completes_the_waiter_and_forgets_the_key()
    {
        var pending = new PendingRequests<int, string>();
        var answer = pending.Register(1, out var isNew);
        var waiting = pending.WaitAsync(1, answer, Wait, CancellationToken.None);

        Assert.True(isNew);
        Assert.True(pending.TryComplete(1, "done"));
        Assert.Equal("done", await waiting);
        Assert.Equal(0, pending.Count);
        Assert.False(pending.TryComplete(1, "again"));
    }

    [Fact]
    public void A_second_register_of_an_in_flight_key_joins_the_first()
    {
        var pending = new PendingRequests<string, int>();
        var first = pending.Register("k", out var firstIsNew);
        var second = pending.Register("k", out var secondIsNew);

        Assert.True(firstIsNew);
        Assert.False(secondIsNew);
        Assert.Same(first, second);
        Assert.Equal(1, pending.Count);
    }

    [Fact]
    public async Task A_timeout_throws_TimeoutException_and_forgets_the_key()
    {
        var pending = new PendingRequests<int, int>();
        var answer = pending.Register(7, out _);

        var error = await Assert.ThrowsAsync<TimeoutException>(() => pending.WaitAsync(7, answer, TimeSpan.FromMilliseconds(30), CancellationToken.None));
        Assert.Contains("no answer within", error.Message, StringComparison.Ordinal);
        Assert.False(pending.Contains(7));
    }

    [Fact]
    public async Task FailAll_fails_every_waiter_with_the_given_error()
    {
        var pending = new PendingRequests<int, int>();
        var waiters = Enumerable.Range(0, 5).Select(i => pending.WaitAsync(i, pending.Register(i, out _), Wait, CancellationToken.None)).ToArray();

        pending.FailAll(new ConnectionLostException("connection dropped"));

        foreach (var waiter in waiters)
        {
            var error = await Assert.ThrowsAsync<ConnectionLostException>(() => waiter);
            Assert.Equal("connection dropped", error.Message);
        }

        Assert.Equal(0, pending.Count);
    }

    [Fact]
    public async Task A_stale_waiter_giving_up_does_not_forget_a_newer_request_under_the_same_key()
    {
        var pending = new PendingRequests<int, string>();
        using var staleCancel = new CancellationTokenSource();
        var stale = pending.WaitAsync(1, pending.Register(1, out _), Wait, staleCancel.Token);
        pending.Forget(1); // the first request was given up on; a retry reuses the key
        var retry = pending.Register(1, out var retryIsNew);

        await staleCancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stale);

        Assert.True(retryIsNew);
        Assert.True(pending.TryComplete(1, "answer to the retry"));
        Assert.Equal("answer to the retry", await retry.WaitAsync(Wait));
    }

    [Fact]
    public async Task An_answered_wait_leaves_no_deadline_behind()
    {
        var pending = new PendingRequests<int, string>();
        using var cancel = new CancellationTokenSource();
        var waiting = pending.WaitAsync(1, pending.Register(1, out _), Wait, cancel.Token);
        Assert.Equal(1, pending.Watched);

        Assert.True(pending.TryComplete(1, "done"));
        Assert.Equal("done", await waiting);
        Assert.Equal(0, pending.Watched);

        // The cancellation was let go with the answer: cancelling now changes nothing.
        await cancel.CancelAsync();
        Assert.Equal(TaskStatus.RanToCompletion, waiting.Status);
    }

    [Fact]
    public async Task Each_wait_ends_at_its_own_deadline()
    {
        var pending = new PendingRequests<int, string>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var slow = pending.WaitAsync(1, pending.Register(1, out _), Wait, CancellationToken.None);
        var quick = pending.WaitAsync(2, pending.Register(2, out _), TimeSpan.FromMilliseconds(60), CancellationToken.None);

        var error = await Assert.ThrowsAsync<TimeoutException>(() => quick);
        Assert.Equal("no answer within 0.06 s", error.Message);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(55), Wait / 2);
        Assert.False(pending.Contains(2));
        Assert.False(slow.IsCompleted);
        Assert.Equal(1, pending.Watched);

        Assert.True(pending.TryComplete(1, "late but in time"));
        Assert.Equal("late but in time", await slow);
        Assert.Equal(0, pending.Watched);
    }

    [Fact]
    public async Task A_wait_whose_key_was_forgotten_still_times_out()
    {
        var pending = new PendingRequests<int, int>();
        var waiting = pending.WaitAsync(3, pending.Register(3, out _), TimeSpan.FromMilliseconds(40), CancellationToken.None);
        pending.Forget(3);

        await Assert.ThrowsAsync<TimeoutException>(() => waiting.WaitAsync(Wait));
        Assert.Equal(0, pending.Watched);
    }

    [Fact]
    public async Task Cancelling_the_wait_forgets_the_key_and_its_deadline()
    {
        var pending = new PendingRequests<int, int>();
        using var cancel = new CancellationTokenSource();
        var waiting = pending.WaitAsync(4, pending.Register(4, out _), Wait, cancel.Token);

        await cancel.CancelAsync();

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Wait));
        Assert.Equal(cancel.Token, error.CancellationToken);
        Assert.False(pending.Contains(4));
        Assert.Equal(0, pending.Watched);
        Assert.False(pending.TryComplete(4, 1));
    }

    [Fact]
    public async Task A_wait_with_a_token_cancelled_already_ends_at_once()
    {
        var pending = new PendingRequests<int, int>();
        var waiting = pending.WaitAsync(5, pending.Register(5, out _), Wait, new CancellationToken(canceled: true));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Wait));
        Assert.False(pending.Contains(5));
        Assert.Equal(0, pending.Watched);
    }

    [Fact]
    public async Task A_joining_wait_ends_with_the_first_and_one_with_its_own_cancellation_gives_up_alone()
    {
        var pending = new PendingRequests<string, int>();
        var first = pending.WaitAsync("k", pending.Register("k", out _), TimeSpan.FromMilliseconds(50), CancellationToken.None);
        var joined = pending.WaitAsync("k", pending.Register("k", out _), Wait, CancellationToken.None);
        await Assert.ThrowsAsync<TimeoutException>(() => first.WaitAsync(Wait));
        await Assert.ThrowsAsync<TimeoutException>(() => joined.WaitAsync(Wait));

        var answer = pending.Register("j", out _);
        var watching = pending.WaitAsync("j", answer, Wait, CancellationToken.None);
        using var own = new CancellationTokenSource();
        var alone = pending.WaitAsync("j", answer, Wait, own.Token);
        await own.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => alone.WaitAsync(Wait));
        Assert.False(watching.IsCompleted);
    }

    [Fact]
    public async Task An_infinite_timeout_waits_until_answered()
    {
        var pending = new PendingRequests<int, string>();
        var waiting = pending.WaitAsync(6, pending.Register(6, out _), Timeout.InfiniteTimeSpan, CancellationToken.None);
        await Task.Delay(100);

        Assert.False(waiting.IsCompleted);
        Assert.Equal(0, pending.Watched);
        Assert.True(pending.TryComplete(6, "at last"));
        Assert.Equal("at last", await waiting);
    }
}
