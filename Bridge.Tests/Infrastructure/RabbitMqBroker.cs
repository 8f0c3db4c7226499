using System.Diagnostics;

namespace Bridge.Tests.Infrastructure;

/// <summary>The test broker started by scripts/test.sh (or a developer's broker on 5672).</summary>
public static class RabbitMqBroker
{
    public static Uri Url { get; } = new(Environment.GetEnvironmentVariable("BRIDGE_TEST_RABBITMQ_URL") ?? "amqp://guest:guest@127.0.0.1:5672/");

    public static string Host => Url.Host;

    public static int Port => Url.Port;

    /// <summary>The YAML bus section for a test bridge on this broker, with its own queue prefix.</summary>
    public static string BusYaml(string queuePrefix, int routePartitions = 4, int deliveryPartitions = 2) => $$"""
        bus:
          transport: rabbitmq
          rabbitmq: { host: {{Host}}, port: {{Port}}, username: guest, password: guest }
          queuePrefix: {{queuePrefix}}
          routePartitions: {{routePartitions}}
          deliveryPartitions: {{deliveryPartitions}}
          recoveryWindow: 45s
        """;

    /// <summary>Stops and starts the broker (data kept), through scripts/broker.sh.</summary>
    public static async Task RestartAsync(TimeSpan downFor)
    {
        await RunBrokerScriptAsync("stop");
        await Task.Delay(downFor);
        await RunBrokerScriptAsync("start");
    }

    private static async Task RunBrokerScriptAsync(string command)
    {
        var script = Path.Combine(RepoRoot(), "scripts", "broker.sh");
        var psi = new ProcessStartInfo("bash", [script, command, Port.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"broker.sh {command} failed: {await stderr}");
        }
    }

    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Bridge.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root (Bridge.sln) not found");
    }
}
