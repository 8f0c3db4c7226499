using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Bridge.Contracts.V1;
using Bridge.Host.Connectors;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.Integration;

/// <summary>
/// Every simulator runs standalone (<c>dotnet run --project Bridge.Simulators -- &lt;type&gt; --port N</c>,
/// here the built <c>Bridge.Simulators.dll</c> as a child process), and the compose demo's connector
/// configuration (docker/bridge.yaml, with the compose file's default secrets) logs in to each of them.
/// </summary>
[Trait("Category", "Integration")]
public class StandaloneSimulatorTests(ITestOutputHelper output)
{
    /// <summary>compose service host:port in docker/bridge.yaml → simulator type.</summary>
    private static readonly (string Service, string Type)[] Services =
    [
        ("rtm-gate:13322", "rtm"),
        ("xnest:8080", "xnest"),
        ("glide:8083", "glide"),
        ("erl:9095", "erlang-gateway"),
        ("pbim:8081", "protobuf-im"),
    ];

    /// <summary>The defaults docker/compose.yaml gives the bridge.</summary>
    private static readonly Dictionary<string, string> ComposeSecrets = new(StringComparer.Ordinal)
    {
        ["RTM_TOKEN"] = "token-900001",
        ["GLIDE_SECRET"] = "secret_key",
        ["ERL_PASSWORD"] = "bridge",
        ["PBIM_TOKEN"] = "demo_token_bridge",
    };

    [Fact]
    public async Task Each_standalone_simulator_accepts_the_compose_demo_connectors()
    {
        var demo = await File.ReadAllTextAsync(Path.Combine(RabbitMqBroker.RepoRoot(), "docker", "bridge.yaml"));
        var connectorsAndRoutes = demo[demo.IndexOf("\nconnectors:", StringComparison.Ordinal)..];
        var simulators = new List<StandaloneProcess>();
        try
        {
            foreach (var (service, type) in Services)
            {
                var port = type == "erlang-gateway" ? FreePortWithTcpInterface() : ChildBridge.FreePort();
                simulators.Add(await StandaloneProcess.StartAsync(type, port));
                connectorsAndRoutes = connectorsAndRoutes.Replace(service, $"127.0.0.1:{port}", StringComparison.Ordinal);
            }

            foreach (var simulator in simulators)
            {
                output.WriteLine(simulator.Banner);
            }

            var yaml = $$"""
                {{RabbitMqBroker.BusYaml($"standalone-{Guid.NewGuid():N}")}}
                store: { path: {{BridgeTestHost.TempDatabase()}} }
                health: { enabled: false }
                {{connectorsAndRoutes}}
                """;
            await using var bridge = await BridgeTestHost.StartAsync(yaml, output, name => ComposeSecrets.GetValueOrDefault(name));
            var registry = bridge.Service<ConnectorRegistry>();
            var names = bridge.Config.Connectors.Select(c => c.Name).ToList();
            Assert.Equal(5, names.Count);
            await Eventually.TrueAsync(
                () => names.All(n => registry.Find(n)!.Status.State == SessionState.Connected),
                TimeSpan.FromSeconds(30),
                "every demo connector logged in: " + string.Join(", ", names.Select(n => $"{n}={registry.Find(n)!.Status.State}")));
            Assert.All(simulators, s => Assert.False(s.HasExited, s.Output));
        }
        finally
        {
            foreach (var simulator in simulators)
            {
                output.WriteLine($"--- {simulator.Type} output ---\n{simulator.Output}");
                await simulator.DisposeAsync();
            }
        }
    }

    /// <summary>The erlang-gateway simulator also listens on port + 10000 (its TCP interface).</summary>
    private static int FreePortWithTcpInterface()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var port = ChildBridge.FreePort();
            if (port + 10000 > IPEndPoint.MaxPort)
            {
                continue;
            }

            try
            {
                using var probe = new TcpListener(IPAddress.Loopback, port + 10000);
                probe.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken; try another.
            }
        }

        throw new InvalidOperationException("no free port pair for the erlang-gateway simulator");
    }

    private sealed class StandaloneProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();
        private readonly TaskCompletionSource<string> _banner = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private StandaloneProcess(string type, Process process)
        {
            Type = type;
            _process = process;
            process.OutputDataReceived += (_, e) => Append(e.Data, banner: true);
            process.ErrorDataReceived += (_, e) => Append(e.Data, banner: false);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public string Type { get; }

        public string Banner => _banner.Task.IsCompletedSuccessfully ? _banner.Task.Result : "(no banner)";

        public bool HasExited => _process.HasExited;

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

        /// <summary>Starts <c>dotnet Bridge.Simulators.dll TYPE --port PORT</c> and waits for its one-line description.</summary>
        public static async Task<StandaloneProcess> StartAsync(string type, int port)
        {
            var dll = Path.Combine(AppContext.BaseDirectory, "Bridge.Simulators.dll");
            var psi = new ProcessStartInfo("dotnet", [dll, type, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            var simulator = new StandaloneProcess(type, Process.Start(psi)!);
            var exited = simulator._process.WaitForExitAsync();
            var first = await Task.WhenAny(simulator._banner.Task, exited, Task.Delay(TestTimeouts.Scale(TimeSpan.FromSeconds(30))));
            if (first != simulator._banner.Task)
            {
                var text = simulator.Output;
                await simulator.DisposeAsync();
                throw new InvalidOperationException($"the {type} simulator did not start on port {port}:\n{text}");
            }

            Assert.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), simulator.Banner, StringComparison.Ordinal);
            return simulator;
        }

        private void Append(string? line, bool banner)
        {
            if (line is null)
            {
                return;
            }

            lock (_output)
            {
                _output.AppendLine(line);
            }

            if (banner)
            {
                _banner.TrySetResult(line);
            }
        }

        public ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }

            _process.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
