using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Bridge.Benchmarks.Relay;

/// <summary>
/// The bridge as its own process (<c>dotnet Bridge.Host.dll run --config FILE</c>), so its resident
/// memory is its own and not the simulators' or the load generator's. Samples VmRSS from
/// /proc while it runs; VmHWM is the kernel's peak.
/// </summary>
public sealed class BridgeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly CancellationTokenSource _sampling = new();
    private readonly Task _sampler;
    private long _peakSampledRss;

    private BridgeProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _sampler = SampleAsync(_sampling.Token);
    }

    public int Id => _process.Id;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>The highest VmRSS sampled (every 100 ms) since <see cref="ResetPeak"/>, in bytes.</summary>
    public long PeakSampledRss => Interlocked.Read(ref _peakSampledRss);

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task<BridgeProcess> StartAsync(string configPath, int healthPort, TimeSpan readyTimeout, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Bridge.Host.dll");
        var psi = new ProcessStartInfo("dotnet", [dll, "run", "--config", configPath])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(configPath)!,
        };
        foreach (var (key, value) in environment)
        {
            psi.Environment[key] = value;
        }

        var bridge = new BridgeProcess(Process.Start(psi) ?? throw new InvalidOperationException("could not start the bridge"));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < readyTimeout)
        {
            if (bridge._process.HasExited)
            {
                throw new InvalidOperationException($"the bridge exited during start:\n{bridge.Output}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{healthPort}/readyz"), cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return bridge;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }

        await bridge.DisposeAsync().ConfigureAwait(false);
        throw new TimeoutException($"the bridge was not ready within {readyTimeout.TotalSeconds:0} s:\n{bridge.Output}");
    }

    /// <summary>VmRSS now, in bytes (0 once the process is gone).</summary>
    public long Rss() => Status("VmRSS:");

    /// <summary>VmHWM: the kernel's peak resident set size of the process, in bytes.</summary>
    public long PeakRss() => Status("VmHWM:");

    public void ResetPeak() => Interlocked.Exchange(ref _peakSampledRss, Rss());

    private long Status(string key)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            {
                if (line.StartsWith(key, StringComparison.Ordinal))
                {
                    var kb = line[key.Length..].Trim().Split(' ')[0];
                    return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }

    private async Task SampleAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var rss = Rss();
                var peak = Interlocked.Read(ref _peakSampledRss);
                if (rss > peak)
                {
                    Interlocked.CompareExchange(ref _peakSampledRss, rss, peak);
                }

                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>SIGTERM, then SIGKILL if it has not exited within 20 s.</summary>
    public async ValueTask DisposeAsync()
    {
        await _sampling.CancelAsync().ConfigureAwait(false);
        await _sampler.ConfigureAwait(false);
        if (!_process.HasExited)
        {
            using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync().ConfigureAwait(false);
            }

            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
        _sampling.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Length > 200_000)
            {
                _output.Remove(0, 100_000); // keep the latest lines
            }

            _output.AppendLine(line);
        }
    }
}
