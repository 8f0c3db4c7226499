using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bridge.Host.Bus;

/// <summary>
/// A safety net for a known MassTransit 8 failure: when the broker connection dies while a
/// message is being acknowledged, a receive endpoint can stay stopped after the broker is back
/// (MassTransit issues #2072 and #5692), or its sends stop being confirmed while the receive
/// endpoints look healthy (<see cref="BusSendMonitor"/>); restarting the same bus does not revive
/// it. If the bus stays unhealthy for longer than <see cref="BusWatchdogOptions.RecoveryWindow"/> while the
/// broker itself accepts connections, the watchdog marks itself <see cref="Tripped"/> and stops
/// the host; <see cref="BridgeRunner"/> then starts a fresh host (a new bus and new connections).
/// Nothing is lost: pushes are acknowledged to backends only after the broker confirmed them,
/// and unacknowledged deliveries return to their queues.
/// </summary>
public sealed partial class BusWatchdog(
    IBusControl bus,
    BusSendMonitor sends,
    BusWatchdogOptions options,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<BusWatchdog> logger) : BackgroundService
{
    /// <summary>Set when the watchdog stopped the host; the command line then exits with 70.</summary>
    public bool Tripped { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        long? unhealthySince = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.CheckInterval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var health = bus.CheckHealth();
            var healthy = health.Status == BusHealthStatus.Healthy && sends.FailingFor is null;
            if (healthy || !await options.BrokerReachable(stoppingToken).ConfigureAwait(false))
            {
                if (unhealthySince is not null && healthy)
                {
                    Recovered(logger);
                }

                // Healthy, or the broker itself is down: MassTransit reconnects on its own once it is back.
                unhealthySince = null;
                continue;
            }

            var detail = health.Status == BusHealthStatus.Healthy
                ? $"receive endpoints healthy, but no send confirmed for {sends.FailingFor?.TotalSeconds:0} s"
                : health.Description ?? health.Status.ToString();
            if (unhealthySince is null)
            {
                unhealthySince = time.GetTimestamp();
                Unhealthy(logger, detail, options.RecoveryWindow.TotalSeconds);
            }

            if (time.GetElapsedTime(unhealthySince.Value) < options.RecoveryWindow)
            {
                continue;
            }

            GivingUp(logger, options.RecoveryWindow.TotalSeconds, detail);
            Tripped = true;
            lifetime.StopApplication();
            return;
        }
    }

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "The bus is unhealthy while the broker is reachable ({Detail}); giving it {Seconds:0} s to recover")]
    private static partial void Unhealthy(ILogger logger, string detail, double seconds);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Information, Message = "The bus is healthy again")]
    private static partial void Recovered(ILogger logger);

    [LoggerMessage(EventId = 7001, Level = LogLevel.Critical, Message = "The bus has been unhealthy for {Seconds:0} s while the broker is reachable ({Detail}); stopping this host so that a fresh one replaces it")]
    private static partial void GivingUp(ILogger logger, double seconds, string detail);
}

/// <summary>When to act, and how to tell that the broker itself is up (a stuck bus, not an outage).</summary>
public sealed record BusWatchdogOptions(TimeSpan RecoveryWindow, TimeSpan CheckInterval, Func<CancellationToken, Task<bool>> BrokerReachable)
{
    /// <summary>True when a TCP connection to the broker's port succeeds within two seconds.</summary>
    public static Func<CancellationToken, Task<bool>> TcpProbe(string host, int port) => async cancellationToken =>
    {
        using var client = new System.Net.Sockets.TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await client.ConnectAsync(host, port, timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or OperationCanceledException)
        {
            return false;
        }
    };
}
