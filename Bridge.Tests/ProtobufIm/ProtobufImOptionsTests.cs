using Bridge.Connectors;
using Bridge.Connectors.Configuration;
using Bridge.Connectors.ProtobufIm;
using Bridge.Simulators.ProtobufIm;

namespace Bridge.Tests.ProtobufIm;

public class ProtobufImOptionsTests
{
    private static (ProtobufImOptions? Options, ConfigErrors Errors) Bind(params (string Key, string Value)[] values)
    {
        var settings = new ConnectorSettings("pbim", "protobuf-im", "bridge.yaml", 3, 5,
            values.Select((v, i) => (v.Key, new SettingValue(v.Value, 4 + i, 7))).ToDictionary(p => p.Key, p => p.Item2));
        var errors = new ConfigErrors();
        var factory = ConnectorCatalog.BuiltIn.Single(f => f.Type == "protobuf-im");
        return ((ProtobufImOptions?)factory.BindOptions(settings, errors), errors);
    }

    [Fact]
    public void A_minimal_configuration_binds_with_the_documented_defaults()
    {
        var (options, errors) = Bind(("url", "ws://pbim:8081/ws"), ("userId", "bridge"), ("token", "demo_token_bridge"));
        Assert.False(errors.Any, errors.ToString());
        Assert.Equal(new Uri("ws://pbim:8081/ws"), options!.Url);
        Assert.Equal(TimeSpan.FromSeconds(30), options.HeartbeatInterval);
        Assert.Equal(TimeSpan.FromSeconds(10), options.RequestTimeout);
        Assert.Equal(TimeSpan.FromSeconds(75), options.Reconnect.SilenceWindow);
        Assert.Equal(100, options.SyncPageSize);
        Assert.False(options.SyncHistoryOnFirstStart);
        Assert.Equal("***", options.Token.ToString());
    }

    [Fact]
    public void Problems_are_reported_with_file_line_and_key_and_never_show_the_token()
    {
        var jwt = ImJwt.Create("s3cret", """{"user_id":"someone-else","exp":4102444800}""");
        var (_, errors) = Bind(("url", "http://pbim/ws"), ("userId", "bridge"), ("token", jwt), ("protocolVersion", "v3"),
            ("heartbeatInterval", "30s"), ("silenceWindow", "10s"), ("syncPageSize", "500"), ("tpyo", "1"));
        var text = errors.ToString();
        Assert.Contains("bridge.yaml:4:7: connectors.pbim.url: 'http://pbim/ws' is not an absolute ws or wss URL", text, StringComparison.Ordinal);
        Assert.Contains("connectors.pbim.protocolVersion: 'v3' is not supported", text, StringComparison.Ordinal);
        Assert.Contains("connectors.pbim.token: the token authenticates as 'someone-else', not as userId 'bridge'", text, StringComparison.Ordinal);
        Assert.Contains("connectors.pbim.silenceWindow: must be longer than heartbeatInterval", text, StringComparison.Ordinal);
        Assert.Contains("connectors.pbim.syncPageSize: 500 is out of range", text, StringComparison.Ordinal);
        Assert.Contains("connectors.pbim.tpyo: unknown key", text, StringComparison.Ordinal);
        Assert.DoesNotContain(jwt, text, StringComparison.Ordinal);
    }

    [Fact]
    public void Required_keys_are_required()
    {
        var (_, errors) = Bind();
        var text = errors.ToString();
        Assert.Contains("connectors.pbim.url: is required", text, StringComparison.Ordinal);
        Assert.Contains("connectors.pbim.userId: is required", text, StringComparison.Ordinal);
        Assert.Contains("connectors.pbim.token: is required", text, StringComparison.Ordinal);
    }
}
