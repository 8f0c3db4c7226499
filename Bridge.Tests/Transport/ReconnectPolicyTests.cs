using Bridge.Connectors.Transport;

namespace Bridge.Tests.Transport;

public class ReconnectPolicyTests
{
    [Fact]
    public void Transient_delays_grow_exponentially_and_are_capped()
    {
        var policy = ReconnectPolicy.Default with { Jitter = 0 };
        var random = new Random(1);
        Assert.Equal(TimeSpan.FromMilliseconds(500), policy.DelayFor(SessionEndKind.Transient, 1, random));
        Assert.Equal(TimeSpan.FromMilliseconds(1000), policy.DelayFor(SessionEndKind.Transient, 2, random));
        Assert.Equal(TimeSpan.FromMilliseconds(2000), policy.DelayFor(SessionEndKind.Transient, 3, random));
        Assert.Equal(policy.MaxDelay, policy.DelayFor(SessionEndKind.Transient, 50, random));
    }

    [Fact]
    public void Jitter_stays_within_its_band()
    {
        var policy = ReconnectPolicy.Default with { Jitter = 0.2 };
        var random = new Random(7);
        var delays = Enumerable.Range(0, 1000).Select(_ => policy.DelayFor(SessionEndKind.Transient, 3, random).TotalMilliseconds).ToArray();
        Assert.All(delays, d => Assert.InRange(d, 1600, 2400));
        Assert.True(delays.Distinct().Count() > 100, "jitter should spread the delays");
    }

    [Fact]
    public void Bad_credentials_and_kicks_back_off_long()
    {
        var policy = ReconnectPolicy.Default with { Jitter = 0 };
        var random = new Random(1);
        Assert.Equal(TimeSpan.FromMinutes(1), policy.DelayFor(SessionEndKind.BadCredentials, 1, random));
        Assert.Equal(TimeSpan.FromMinutes(15), policy.DelayFor(SessionEndKind.BadCredentials, 10, random));
        Assert.Equal(TimeSpan.FromMinutes(5), policy.DelayFor(SessionEndKind.Kicked, 1, random));
    }
}

public class ReconnectPolicyLimitTests
{
    [Fact]
    public void Kicks_double_from_the_kick_delay_up_to_four_times_it()
    {
        var policy = ReconnectPolicy.Default with { Jitter = 0, KickedDelay = TimeSpan.FromSeconds(10) };
        var random = new Random(1);
        Assert.Equal(TimeSpan.FromSeconds(20), policy.DelayFor(SessionEndKind.Kicked, 2, random));
        Assert.Equal(TimeSpan.FromSeconds(40), policy.DelayFor(SessionEndKind.Kicked, 9, random));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    [InlineData(int.MaxValue)]
    public void Odd_failure_counts_stay_within_the_start_and_the_cap(int failures)
    {
        var policy = ReconnectPolicy.Default with { Jitter = 0.5 };
        var random = new Random(3);
        for (var i = 0; i < 200; i++)
        {
            var delay = policy.DelayFor(SessionEndKind.Transient, failures, random);
            Assert.InRange(delay, policy.InitialDelay * 0.5, policy.MaxDelay * 1.5);
        }
    }

    [Fact]
    public void Jitter_never_makes_a_delay_negative()
    {
        var policy = ReconnectPolicy.Default with { Jitter = 3 };
        var random = new Random(5);
        Assert.All(Enumerable.Range(0, 500), _ => Assert.True(policy.DelayFor(SessionEndKind.Transient, 1, random) >= TimeSpan.Zero));
    }
}
