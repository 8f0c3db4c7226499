using System.Diagnostics;
using Bridge.Connectors.Abstractions;
using Bridge.Contracts.V1;
using Bridge.Host.Configuration;
using Bridge.Host.Delivery;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bridge.Tests.Host;

/// <summary>
/// Send attempts share their timeout per slice of time: one linked source and timer per slice, and
/// still never less than the whole timeout for any attempt, nor a missed caller cancellation.
/// </summary>
public class SendDeadlinesTests
{
    [Fact]
    public async Task Attempts_starting_together_share_a_token_that_fires_no_earlier_than_the_timeout()
    {
        var timeout = TimeSpan.FromMilliseconds(400);
        using var deadlines = new SendDeadlines(timeout);
        var clock = Stopwatch.StartNew();
        var first = deadlines.For(CancellationToken.None);
        var second = deadlines.For(CancellationToken.None);
        Assert.Equal(first, second);
        var at = await FiredAfter(clock, second);
        Assert.True(at >= timeout, $"cancelled after {at.TotalMilliseconds} ms, before the {timeout.TotalMilliseconds} ms timeout");
    }

    [Fact]
    public async Task A_later_attempt_gets_a_slice_of_its_own_with_the_whole_timeout()
    {
        var timeout = TimeSpan.FromMilliseconds(320); // slices of 20 ms
        using var deadlines = new SendDeadlines(timeout);
        var first = deadlines.For(CancellationToken.None);
        await Task.Delay(60);
        var clock = Stopwatch.StartNew();
        var later = deadlines.For(CancellationToken.None);
        Assert.NotEqual(first, later);
        var at = await FiredAfter(clock, later);
        Assert.True(at >= timeout, $"cancelled {at.TotalMilliseconds} ms after the attempt started, before the {timeout.TotalMilliseconds} ms timeout");
    }

    [Fact]
    public void Another_caller_token_gets_its_own_slice_and_its_cancellation_reaches_the_attempt()
    {
        using var deadlines = new SendDeadlines(TimeSpan.FromMinutes(5));
        using var callerA = new CancellationTokenSource();
        using var callerB = new CancellationTokenSource();
        var a = deadlines.For(callerA.Token);
        var b = deadlines.For(callerB.Token);

        Assert.NotEqual(a, b);
        callerB.Cancel();
        Assert.True(b.IsCancellationRequested);
        Assert.False(a.IsCancellationRequested);
        Assert.False(deadlines.For(callerA.Token).IsCancellationRequested);
    }

    [Fact]
    public async Task A_send_that_gets_no_answer_times_out_and_is_retried_with_the_same_key()
    {
        var config = new DeliveryConfig(Retries: 1, RetryDelay: TimeSpan.FromMilliseconds(10), MaxRetryDelay: TimeSpan.FromMilliseconds(10), SendTimeout: TimeSpan.FromMilliseconds(200));
        using var sender = new TargetSender(config, TimeProvider.System, NullLogger.Instance);
        var connector = new SilentConnector();
        var target = new EndpointRef("silent", EndpointKind.Room, "1");
        var source = new EndpointRef("erl", EndpointKind.Group, "1");
        var d = new DeliverMessage(Guid.NewGuid(), "r", source, target, DeliveryAction.Post, new Participant("erl", "u1"), MessageBody.FromText("hi"), "key-1", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);

        var outcome = await sender.SendAsync(connector, d, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(DeliveryFailureKind.Timeout, outcome.Failure);
        Assert.Equal(2, outcome.Attempts);
        Assert.Equal(["key-1", "key-1"], connector.Keys);
    }

    /// <summary>How long after <paramref name="clock"/> started the token was cancelled.</summary>
    private static Task<TimeSpan> FiredAfter(Stopwatch clock, CancellationToken token)
    {
        var fired = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        token.Register(() => fired.TrySetResult(clock.Elapsed));
        return fired.Task.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
    }

    /// <summary>Accepts sends and never answers them; an attempt ends only when its token is cancelled.</summary>
    private sealed class SilentConnector : IConnector
    {
        public List<string> Keys { get; } = [];

        public string Name => "silent";

        public ConnectorCapabilities Capabilities { get; } = new(ConnectorCapabilities.Kinds(EndpointKind.Room));

        public ConnectorStatus Status { get; } = new(SessionState.Connected, null, DateTimeOffset.UtcNow);

        public event Action<ConnectorStatus>? StatusChanged { add { } remove { } }

        public Task RunAsync(IInboundSink sink, CancellationToken stoppingToken) => Task.Delay(Timeout.Infinite, stoppingToken);

        public async Task<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
        {
            lock (Keys)
            {
                Keys.Add(message.IdempotencyKey);
            }

            await Task.Delay(Timeout.Infinite, cancellationToken);
            return SendResult.Sent("never");
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
