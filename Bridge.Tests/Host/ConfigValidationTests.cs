using System.Diagnostics;
using Bridge.Connectors.Configuration;
using Bridge.Host.Configuration;
using Bridge.Host.Delivery;
using Bridge.Tests.Infrastructure;

namespace Bridge.Tests.Host;

public class ConfigValidationTests
{
    private const string FiveMistakes = """
        bus:
          transport: rabbitmq
          rabbitmq: { host: localhost, port: not-a-port, password: ${BRIDGE_TEST_PW} }
        colour: blue
        connectors:
          alpha: { type: loopback, backend: x }
          beta: { type: carrier-pigeon }
          gamma: { type: loopback }
        routes:
          - name: lobby
            mirror:
              - alpha: room/1
              - delta: room/2
            format: "{sender} says {text}"
        """;

    private const string MinimalRoutes = """
        connectors:
          alpha: { type: loopback, backend: x }
          beta: { type: loopback, backend: y }
        routes:
          - mirror: [alpha: room/1, beta: room/2]

        """;

    private static readonly Func<string, string?> Env = name => name == "BRIDGE_TEST_PW" ? "s3cr3t-value" : null;

    [Fact]
    public void A_file_with_five_mistakes_reports_all_five_with_line_and_key()
    {
        var ex = Assert.Throws<ConfigurationInvalidException>(() => ConfigLoader.Load(FiveMistakes, "bridge.yaml", BridgeTestHost.Factories, Env));
        var errors = ex.Errors.Select(e => e.ToString()).ToArray();

        Assert.Equal(5, errors.Length);
        Assert.Contains(errors, e => e.StartsWith("bridge.yaml:3:", StringComparison.Ordinal) && e.Contains("bus.rabbitmq.port", StringComparison.Ordinal) && e.Contains("not a whole number", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("bridge.yaml:4:1:", StringComparison.Ordinal) && e.Contains("colour", StringComparison.Ordinal) && e.Contains("unknown top-level key", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("bridge.yaml:7:", StringComparison.Ordinal) && e.Contains("connectors.beta.type", StringComparison.Ordinal) && e.Contains("carrier-pigeon", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("bridge.yaml:8:", StringComparison.Ordinal) && e.Contains("connectors.gamma.backend", StringComparison.Ordinal) && e.Contains("is required", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("bridge.yaml:13:", StringComparison.Ordinal) && e.Contains("routes.lobby.mirror", StringComparison.Ordinal) && e.Contains("'delta' is not a configured connector", StringComparison.Ordinal));
        Assert.DoesNotContain(errors, e => e.Contains("s3cr3t-value", StringComparison.Ordinal));
    }

    [Fact]
    public void Unknown_placeholders_relay_kinds_missing_variables_and_bad_durations_are_reported()
    {
        var yaml = """
            delivery: { retryDelay: soon }
            connectors:
              alpha: { type: loopback, backend: ${NOT_SET_ANYWHERE} }
              beta: { type: loopback, backend: y, speed: 11 }
            routes:
              - mirror: [alpha: room/1, beta: user/2]
                format: "{who}: {text}"
                relay: [text, smoke]
              - from: [alpha: room/1]
            """;
        var ex = Assert.Throws<ConfigurationInvalidException>(() => ConfigLoader.Load(yaml, "f.yaml", BridgeTestHost.Factories, _ => null));
        var text = string.Join('\n', ex.Errors);

        Assert.Contains("f.yaml:1:", text, StringComparison.Ordinal);
        Assert.Contains("'soon' is not a duration", text, StringComparison.Ordinal);
        Assert.Contains("environment variable NOT_SET_ANYWHERE is not set", text, StringComparison.Ordinal);
        Assert.Contains("connectors.beta.speed: unknown key", text, StringComparison.Ordinal);
        Assert.Contains("unknown placeholder {who}", text, StringComparison.Ordinal);
        Assert.Contains("'smoke' is not a relay kind", text, StringComparison.Ordinal);
        Assert.Contains("needs both from: and to:", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Broken_yaml_syntax_is_one_clear_error_with_its_position()
    {
        var ex = Assert.Throws<ConfigurationInvalidException>(() => ConfigLoader.Load("connectors:\n  a: { type: loopback\nroutes: [", "x.yaml", BridgeTestHost.Factories, _ => null));
        var error = Assert.Single(ex.Errors);
        Assert.Equal("(syntax)", error.Key);
        Assert.True(error.Line >= 2);
    }

    [Fact]
    public void A_valid_file_loads_with_defaults_and_substituted_secrets_that_never_print()
    {
        var yaml = """
            bus: { transport: rabbitmq, rabbitmq: { password: "${BRIDGE_TEST_PW}" } }
            connectors:
              alpha: { type: loopback, backend: x }
              beta: { type: loopback, backend: y }
            users:
              - { alpha: "1", beta: "2", name: Ann }
            routes:
              - name: m
                mirror: [alpha: room/1, "beta:group/2"]
            """;
        var config = ConfigLoader.Load(yaml, "ok.yaml", BridgeTestHost.Factories, Env);

        Assert.Equal(BusTransport.RabbitMq, config.Bus.Transport);
        Assert.Equal("s3cr3t-value", config.Bus.RabbitMq.Password.Reveal());
        Assert.DoesNotContain("s3cr3t", config.Bus.RabbitMq.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", config.ToString(), StringComparison.Ordinal);
        Assert.Equal(RouteConfig.DefaultFormat, config.Routes[0].Format);
        Assert.Equal(2, config.Routes[0].Mirror.Count);
        Assert.Equal(StoreProvider.Sqlite, config.Store.Provider);
        Assert.Equal(TimeSpan.FromDays(30), config.Store.Retention);
        Assert.Equal(2, config.Bus.DeliveryConcurrency);
        Assert.Equal(2, DeliveryOrdering.ConcurrencyFor(config.Bus));
        Assert.Equal(1, DeliveryOrdering.ConcurrencyFor(config.Bus with { Transport = BusTransport.InMemory }));
    }

    [Fact]
    public void Delivery_concurrency_outside_1_to_16_is_refused_with_its_key()
    {
        var yaml = """
            bus: { transport: rabbitmq, deliveryConcurrency: 0 }
            connectors:
              alpha: { type: loopback, backend: x }
            """;
        var ex = Assert.Throws<ConfigurationInvalidException>(() => ConfigLoader.Load(yaml, "c.yaml", BridgeTestHost.Factories, _ => null));
        Assert.Contains(ex.Errors, e => e.Key == "bus.deliveryConcurrency");
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("7d", 7 * 24)]
    [InlineData("1h", 1)]
    public void Store_retention_takes_a_duration_or_zero_for_forever(string value, int hours)
    {
        var config = LoadWithRoutes($"store: {{ retention: {value} }}\n");
        Assert.Equal(TimeSpan.FromHours(hours), config.Store.Retention);
    }

    [Fact]
    public void A_store_retention_under_an_hour_is_refused_with_its_key()
    {
        var error = SingleErrorWithRoutes("store:\n  retention: 30m\n");
        Assert.StartsWith("r.yaml:2:", error, StringComparison.Ordinal);
        Assert.Contains("store.retention", error, StringComparison.Ordinal);
        Assert.Contains("at least 1h", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, 250)]
    [InlineData("1s", 1000)]
    [InlineData("0", 0)]
    public void Delivery_outcomeProbe_defaults_to_250ms_and_zero_turns_it_off(string? value, int milliseconds)
    {
        var delivery = value is null ? string.Empty : $"delivery: {{ outcomeProbe: {value} }}\n";
        var config = LoadWithRoutes(delivery);
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), config.Delivery.OutcomeProbe);
    }

    [Fact]
    public void A_negative_outcomeProbe_is_refused_with_its_key()
    {
        var error = SingleErrorWithRoutes("delivery:\n  outcomeProbe: -1s\n");
        Assert.StartsWith("r.yaml:2:", error, StringComparison.Ordinal);
        Assert.Contains("delivery.outcomeProbe", error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_sample_configuration_for_the_compose_file_is_valid()
    {
        var path = Path.Combine(RabbitMqBroker.RepoRoot(), "docker", "bridge.yaml");
        var config = ConfigLoader.LoadFile(path, Bridge.Connectors.ConnectorCatalog.BuiltIn, name => $"value-of-{name}");

        Assert.Equal(["rtm", "xnest", "glide", "erl", "pbim"], config.Connectors.Select(c => c.Name));
        Assert.Equal(5, config.Routes[0].Mirror.Count);
        Assert.Equal(BusTransport.RabbitMq, config.Bus.Transport);
        var direct = Assert.Single(config.Routes, r => r.Name == "support-inbox");
        Assert.Equal("pbim:user/sam", Assert.Single(direct.From).ToString());
        Assert.Equal("rtm:user/55", Assert.Single(direct.To).ToString());
    }

    [Fact]
    public async Task Validate_command_lists_every_error_and_exits_non_zero()
    {
        var file = Path.Combine(Path.GetTempPath(), $"bridge-validate-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, FiveMistakes.Replace("${BRIDGE_TEST_PW}", "pw", StringComparison.Ordinal));
        try
        {
            var (exit, stdout, stderr) = await RunHostAsync("validate", file);
            Assert.Equal(1, exit);
            var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(lines.Count(l => l.StartsWith(file + ":", StringComparison.Ordinal)) >= 5, stderr);
            Assert.Contains(lines, l => l.Contains("unknown top-level key", StringComparison.Ordinal));
            Assert.Contains("error(s)", stderr, StringComparison.Ordinal);
            Assert.Empty(stdout.Trim());
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Loads <paramref name="sections"/> followed by <see cref="MinimalRoutes"/>, as <c>r.yaml</c>.</summary>
    private static BridgeConfig LoadWithRoutes(string sections) =>
        ConfigLoader.Load(sections + MinimalRoutes, "r.yaml", BridgeTestHost.Factories, _ => null);

    /// <summary>The one error <see cref="LoadWithRoutes"/> refuses <paramref name="sections"/> with, as printed.</summary>
    private static string SingleErrorWithRoutes(string sections) =>
        Assert.Single(Assert.Throws<ConfigurationInvalidException>(() => LoadWithRoutes(sections)).Errors).ToString();

    private static async Task<(int Exit, string Stdout, string Stderr)> RunHostAsync(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Bridge.Host.dll");
        var psi = new ProcessStartInfo("dotnet", [dll, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }
}
