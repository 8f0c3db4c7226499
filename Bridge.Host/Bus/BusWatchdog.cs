using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bridge.Host.Bus;

/// <summary>
/// A safety net for a known MassTransit 8 failure: when the broker connection dies while a
/// message is being acknowledged, a receive endpoint can stay stopped after the broker is back
/// (MassTransit issues #2072 and #5692). If the bus stays unhealthy for longer than
/// <see cref="BusWatchdogOptions.RecoveryWindow"/>, the watchdog stops and starts it in-process;
/// if it is still unhealthy one window later, it stops the host with exit code 70 so the process
/// supervisor (Docker, systemd) starts a fresh one. Nothing is lost either way: pushes are
/// acknowledged to backends only after the broker confirmed them, and unacknowledged deliveries
/// return to their queues.
/// </summary>
public sealed partial class BusWatchdog(
    IBusControl bus,
    BusWatchdogOptions options,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<BusWatchdog> logger) : BackgroundService
{
    public int Restarts { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        long? unhealthySince = null;
        var restarted = false;
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
            if (health.Status == BusHealthStatus.Healthy || !await options.BrokerReachable(stoppingToken).ConfigureAwait(false))
            {
                // Healthy, or the broker itself is down: MassTransit reconnects on its own once it is back.
                unhealthySince = null;
                restarted = false;
                continue;
            }

            unhealthySince ??= time.GetTimestamp();
            if (time.GetElapsedTime(unhealthySince.Value) < options.RecoveryWindow)
            {
                continue;
            }

            if (!restarted)
            {
                BusStuck(logger, options.RecoveryWindow.TotalSeconds, health.Description ?? health.Status.ToString());
                await RestartAsync(stoppingToken).ConfigureAwait(false);
                restarted = true;
                unhealthySince = time.GetTimestamp();
                continue;
            }

            GivingUp(logger, options.RecoveryWindow.TotalSeconds);
            Environment.ExitCode = 70;
            lifetime.StopApplication();
            return;
        }
    }

    private async Task RestartAsync(CancellationToken stoppingToken)
    {
        Restarts++;
        try
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            stop.CancelAfter(options.StopTimeout);
            await bus.StopAsync(stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            RestartStep(logger, "stop", ex.Message);
        }

        try
        {
            await bus.StartAsync(stoppingToken).ConfigureAwait(false);
            Restarted(logger);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            RestartStep(logger, "start", ex.Message);
        }
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "The bus has been unhealthy for {Seconds:0} s ({Detail}); restarting it")]
    private static partial void BusStuck(ILogger logger, double seconds, string detail);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Information, Message = "The bus was restarted")]
    private static partial void Restarted(ILogger logger);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Warning, Message = "Bus restart: {Step} failed: {Reason}")]
    private static partial void RestartStep(ILogger logger, string step, string reason);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Critical, Message = "The bus is still unhealthy {Seconds:0} s after a restart; stopping the process (exit code 70) so its supervisor starts a fresh one")]
    private static partial void GivingUp(ILogger logger, double seconds);
}

/// <summary>When to act, and how to tell that the broker itself is up (a stuck bus, not an outage).</summary>
public sealed record BusWatchdogOptions(TimeSpan RecoveryWindow, TimeSpan CheckInterval, TimeSpan StopTimeout, Func<CancellationToken, Task<bool>> BrokerReachable)
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
