using System.Reflection;
using Bridge.Host.Bus;
using Bridge.Tests.Infrastructure;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bridge.Tests.Host;

/// <summary>
/// The watchdog's verdict with the bus's receive side reporting healthy: sends that keep timing
/// out with none confirmed (a stuck publishing side after a broker restart) trip it once the
/// recovery window has passed; a confirmed send in between resets it; an unreachable broker is an
/// outage, not a stuck bus.
/// </summary>
public class BusWatchdogTests
{
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(400);

    [Fact]
    public async Task Sends_that_keep_timing_out_while_the_consumers_look_healthy_trip_the_watchdog()
    {
        var (watchdog, sends, lifetime) = Create(brokerReachable: true);
        sends.TimedOut();
        await watchdog.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => watchdog.Tripped, TimeSpan.FromSeconds(10), "the watchdog gave up on the stuck sends");
        Assert.True(lifetime.ApplicationStopping.IsCancellationRequested);
        await watchdog.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_confirmed_send_resets_the_window_and_an_unreachable_broker_never_trips_it()
    {
        // A wide window against short timeout spans, so a loaded machine's late timers cannot
        // stretch one span past it; the loop still runs twice the window.
        var wide = TimeSpan.FromSeconds(2);
        var (watchdog, sends, lifetime) = Create(brokerReachable: true, wide);
        await watchdog.StartAsync(CancellationToken.None);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < wide * 2)
        {
            sends.TimedOut();
            await Task.Delay(wide / 40);
            sends.Confirmed();
            await Task.Delay(wide / 40);
        }

        Assert.False(watchdog.Tripped);
        await watchdog.StopAsync(CancellationToken.None);

        var (outage, failing, _) = Create(brokerReachable: false);
        failing.TimedOut();
        await outage.StartAsync(CancellationToken.None);
        await Task.Delay(Window * 4);
        Assert.False(outage.Tripped);
        Assert.False(lifetime.ApplicationStopping.IsCancellationRequested);
        await outage.StopAsync(CancellationToken.None);
    }

    [Fact]
    public void The_send_monitor_reports_how_long_sends_have_failed_until_one_is_confirmed()
    {
        var sends = new BusSendMonitor(TimeProvider.System);
        Assert.Null(sends.FailingFor);
        sends.TimedOut();
        var first = sends.FailingFor;
        Assert.NotNull(first);
        Thread.Sleep(20);
        sends.TimedOut(); // a later timeout keeps the first one's start
        Assert.True(sends.FailingFor > first);
        sends.Confirmed();
        Assert.Null(sends.FailingFor);
    }

    private static (BusWatchdog Watchdog, BusSendMonitor Sends, Lifetime Lifetime) Create(bool brokerReachable, TimeSpan? window = null)
    {
        var sends = new BusSendMonitor(TimeProvider.System);
        var lifetime = new Lifetime();
        var options = new BusWatchdogOptions(window ?? Window, TimeSpan.FromMilliseconds(50), _ => Task.FromResult(brokerReachable));
        var watchdog = new BusWatchdog(HealthyBus.Create(), sends, options, lifetime, TimeProvider.System, NullLogger<BusWatchdog>.Instance);
        return (watchdog, sends, lifetime);
    }

    private sealed class Lifetime : IHostApplicationLifetime
    {
        private readonly CancellationTokenSource _stopping = new();

        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => _stopping.Token;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication() => _stopping.Cancel();
    }

    /// <summary>A bus whose receive side always reports healthy; nothing else of it is used.</summary>
    public class HealthyBus : DispatchProxy
    {
        public static IBusControl Create() => DispatchProxy.Create<IBusControl, HealthyBus>();

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
            targetMethod?.Name == nameof(IBusControl.CheckHealth)
                ? BusHealthResult.Healthy("ready", new Dictionary<string, EndpointHealthResult>())
                : throw new NotSupportedException(targetMethod?.Name);
    }
}
