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
