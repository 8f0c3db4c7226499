using Bridge.Host.Bus;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bridge.Host;

/// <summary>
/// Owns the bridge host for the life of the process. When the bus watchdog gives up on a bus that
/// stays stuck after a broker outage (<see cref="BusWatchdog"/>), the runner stops that host and
/// starts a fresh one from the same configuration: a new bus with new broker connections, new
/// backend sessions, the same store. Nothing is lost across the swap: pushes were acknowledged to
/// backends only after the broker confirmed them, and unacknowledged deliveries went back to
/// their queues. After <see cref="MaxConsecutiveRestarts"/> swaps that did not hold for
/// <see cref="StableAfter"/>, the runner ends with exit code 70 for the process supervisor.
/// </summary>
public sealed partial class BridgeRunner(Func<IHost> build, TimeProvider time) : IAsyncDisposable
{
    /// <summary>Exit code when the bus could not be brought back in process.</summary>
    public const int BusUnrecoverable = 70;

    public const int MaxConsecutiveRestarts = 3;

    public static readonly TimeSpan StableAfter = TimeSpan.FromMinutes(10);

    private readonly TaskCompletionSource<int> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile IHost? _current;
    private volatile bool _stopRequested;
    private Task? _watch;

    /// <summary>The host now running (replaced after a bus recovery).</summary>
    public IHost Current => _current ?? throw new InvalidOperationException("the bridge has not been started");

    /// <summary>How many times the host was replaced because of a stuck bus.</summary>
    public int Restarts { get; private set; }

    /// <summary>Completes when the bridge has ended for good: 0 after a requested stop, 70 when the bus could not be recovered.</summary>
    public Task<int> Completion => _completion.Task;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_current is not null)
        {
            throw new InvalidOperationException("the bridge runner was already started");
        }

        _current = await StartHostAsync(cancellationToken).ConfigureAwait(false);
        _watch = WatchAsync();
    }

    /// <summary>Stops the running host (connectors say goodbye first) and waits until the runner has ended.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopRequested = true;
        if (_current is { } host)
        {
            StopApplication(host);
        }

        if (_watch is not null)
        {
            await _watch.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<IHost> StartHostAsync(CancellationToken cancellationToken)
    {
        var host = build();
        try
        {
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    private async Task WatchAsync()
    {
        var consecutive = 0;
        var startedAt = time.GetTimestamp();
        while (true)
        {
            var host = Current;
            await WhenStoppingAsync(host).ConfigureAwait(false);
            var tripped = host.Services.GetService<BusWatchdog>() is { Tripped: true };
            if (!tripped || _stopRequested)
            {
                await StopQuietlyAsync(host).ConfigureAwait(false);
                _completion.TrySetResult(0);
                return;
            }

            consecutive = time.GetElapsedTime(startedAt) > StableAfter ? 1 : consecutive + 1;
            var logger = LoggerOf(host);
            if (consecutive > MaxConsecutiveRestarts)
            {
                GivingUp(logger, MaxConsecutiveRestarts);
                await StopQuietlyAsync(host).ConfigureAwait(false);
                _completion.TrySetResult(BusUnrecoverable);
                return;
            }

            Replacing(logger, consecutive, MaxConsecutiveRestarts);
            await StopQuietlyAsync(host).ConfigureAwait(false);
            _current = null;
            host.Dispose();
            try
            {
                _current = await StartHostAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Console.Error.WriteLine($"A fresh bridge host could not start ({ex.GetType().Name}: {ex.Message}); exiting with code {BusUnrecoverable}.");
                _completion.TrySetResult(BusUnrecoverable);
                return;
            }

            Restarts++;
            startedAt = time.GetTimestamp();
            Replaced(LoggerOf(Current));
            if (_stopRequested)
            {
                StopApplication(Current); // a stop asked for during the swap
            }
        }
    }

    private static void StopApplication(IHost host) => host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();

    private static ILogger LoggerOf(IHost host) => host.Services.GetRequiredService<ILoggerFactory>().CreateLogger<BridgeRunner>();

    private static Task WhenStoppingAsync(IHost host)
    {
        var stopping = host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        stopping.Register(() => signal.TrySetResult());
        return signal.Task;
    }

    private static async Task StopQuietlyAsync(IHost host)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(45));
            await host.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or AggregateException or InvalidOperationException)
        {
            StopFailed(LoggerOf(host), ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await StopAsync(timeout.Token).ConfigureAwait(false);
        }
        finally
        {
            _current?.Dispose();
            _current = null;
        }
    }

    [LoggerMessage(EventId = 7101, Level = LogLevel.Warning, Message = "Replacing the bridge host with a fresh bus and fresh sessions after the bus stayed stuck (attempt {Attempt} of {Max})")]
    private static partial void Replacing(ILogger logger, int attempt, int max);

    [LoggerMessage(EventId = 7102, Level = LogLevel.Information, Message = "The bridge host was replaced; relaying resumes")]
    private static partial void Replaced(ILogger logger);

    [LoggerMessage(EventId = 7103, Level = LogLevel.Critical, Message = "The bus stayed stuck after {Max} fresh starts in a row; exiting with code 70 for the process supervisor")]
    private static partial void GivingUp(ILogger logger, int max);

    [LoggerMessage(EventId = 7105, Level = LogLevel.Warning, Message = "The bridge host did not stop cleanly")]
    private static partial void StopFailed(ILogger logger, Exception exception);
}
