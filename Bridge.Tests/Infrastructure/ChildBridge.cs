using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Bridge.Tests.Infrastructure;

/// <summary>
/// The bridge as a real child process (<c>dotnet Bridge.Host.dll run --config FILE</c>), for tests
/// that kill it with SIGKILL. Its console output is kept for the test log.
/// </summary>
public sealed class ChildBridge : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ChildBridge(Process process, int healthPort)
    {
        _process = process;
        HealthPort = healthPort;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int HealthPort { get; }

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

    public bool HasExited => _process.HasExited;

    /// <summary>The exit code, once <see cref="HasExited"/>.</summary>
    public int ExitCode => _process.ExitCode;

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts the bridge on a config file and waits until /readyz answers 200.</summary>
    public static async Task<ChildBridge> StartAsync(string configPath, int healthPort, TimeSpan readyTimeout)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Bridge.Host.dll");
        var psi = new ProcessStartInfo("dotnet", [dll, "run", "--config", configPath])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(configPath)!,
        };
        var child = new ChildBridge(Process.Start(psi)!, healthPort);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < readyTimeout)
        {
            if (child.HasExited)
            {
                throw new InvalidOperationException($"the bridge exited during start:\n{child.Output}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{healthPort}/readyz"));
                if (response.IsSuccessStatusCode)
                {
                    return child;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        await child.DisposeAsync();
        throw new TimeoutException($"the bridge was not ready within {readyTimeout.TotalSeconds:0} s:\n{child.Output}");
    }

    /// <summary>SIGTERM (what a container stop sends) and wait for the exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: no shutdown code runs, nothing is flushed, no goodbye is said.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
