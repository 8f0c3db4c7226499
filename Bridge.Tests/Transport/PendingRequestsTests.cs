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
}
