using Bridge.Host.Delivery;

namespace Bridge.Tests.Host;

/// <summary>Which outcome events are published while nobody listens to their type, on a clock the test moves.</summary>
public class OutcomeAudienceTests
{
    private static readonly TimeSpan Probe = TimeSpan.FromMilliseconds(250);

    [Fact]
    public void A_type_is_heard_until_the_broker_returns_one_of_its_events()
    {
        var audience = new OutcomeAudience(new SteppingClock(), Probe);

        Assert.All(Enumerable.Range(0, 5), _ => Assert.True(audience.ShouldPublish(typeof(string))));
        Assert.False(audience.Heard(typeof(string)));
    }

    [Fact]
    public void An_unheard_type_is_published_once_per_probe_interval()
    {
        var clock = new SteppingClock();
        var audience = new OutcomeAudience(clock, Probe);

        Assert.True(audience.Unheard(typeof(string)));
        Assert.False(audience.Unheard(typeof(string)));
        Assert.False(audience.ShouldPublish(typeof(string)));
        clock.Advance(TimeSpan.FromMilliseconds(249));
        Assert.False(audience.ShouldPublish(typeof(string)));
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(audience.ShouldPublish(typeof(string)));
        Assert.False(audience.ShouldPublish(typeof(string)));
        clock.Advance(Probe);
        Assert.True(audience.ShouldPublish(typeof(string)));
        Assert.False(audience.ShouldPublish(typeof(string)));
    }

    [Fact]
    public void A_probe_that_is_routed_makes_every_event_of_the_type_published_again()
    {
        var clock = new SteppingClock();
        var audience = new OutcomeAudience(clock, Probe);
        audience.Unheard(typeof(string));
        clock.Advance(Probe);
        Assert.True(audience.ShouldPublish(typeof(string)));

        Assert.True(audience.Heard(typeof(string)));

        Assert.All(Enumerable.Range(0, 5), _ => Assert.True(audience.ShouldPublish(typeof(string))));
    }

    [Fact]
    public void Types_are_heard_or_unheard_each_on_their_own()
    {
        var audience = new OutcomeAudience(new SteppingClock(), Probe);
        audience.Unheard(typeof(string));

        Assert.False(audience.ShouldPublish(typeof(string)));
        Assert.True(audience.ShouldPublish(typeof(int)));
    }

    /// <summary>A monotonic clock that moves only when told.</summary>
    private sealed class SteppingClock : TimeProvider
    {
        private long _ticks = 1_000_000;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
