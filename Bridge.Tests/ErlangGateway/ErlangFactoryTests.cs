using Bridge.Connectors;
using Bridge.Connectors.Configuration;
using Bridge.Connectors.ErlangGateway;

namespace Bridge.Tests.ErlangGateway;

public class ErlangFactoryTests
{
    private static ConnectorSettings Settings(params (string Key, string Value)[] values) =>
        new("erl", "erlang-gateway", "bridge.yaml", 10, 3, values.Select((v, i) => (v.Key, new SettingValue(v.Value, 11 + i, 5))).ToDictionary(v => v.Key, v => v.Item2));

    [Fact]
    public void The_factory_is_registered_under_its_type()
    {
        Assert.Contains(ConnectorCatalog.BuiltIn, f => f.Type == "erlang-gateway" && f is ErlangGatewayConnectorFactory);
    }

    [Fact]
    public void Settings_bind_with_defaults_and_every_key()
    {
        var errors = new ConfigErrors();
        var options = (ErlangGatewayOptions?)new ErlangGatewayConnectorFactory().BindOptions(
            Settings(("url", "wss://im.example:8443/wss"), ("username", "bridge"), ("password", "pw"), ("role", "1"), ("clientId", "2"),
                ("payload", "xywy-json"), ("selfId", "900001"), ("sendPath", "tcp"), ("tcpPort", "19095"), ("ackTimeout", "5s"),
                ("silenceWindow", "90s"), ("maxPayloadBytes", "32767"), ("unknownSenderName", "IM")),
            errors);

        Assert.False(errors.Any, errors.ToString());
        Assert.NotNull(options);
        Assert.Equal((byte)1, options.Role);
        Assert.Equal((byte)2, options.ClientId);
        Assert.Equal(PayloadFormat.XywyJson, options.Payload);
        Assert.Equal("900001", options.Self);
        Assert.Equal(SendPath.Tcp, options.SendPath);
        Assert.Equal("im.example", options.EffectiveTcpHost);
        Assert.Equal(TimeSpan.FromSeconds(90), options.EffectiveReconnect.SilenceWindow);
        Assert.Equal(32767, options.MaxPayloadBytes);
        Assert.Equal("***", options.Password.ToString());
        Assert.DoesNotContain("pw", options.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_follow_the_readme()
    {
        var errors = new ConfigErrors();
        var options = (ErlangGatewayOptions?)new ErlangGatewayConnectorFactory().BindOptions(
            Settings(("url", "ws://im:9095/ws"), ("username", "bridge"), ("password", "pw")), errors);

        Assert.False(errors.Any, errors.ToString());
        Assert.Equal((byte)0, options!.Role);
        Assert.Null(options.ClientId);
        Assert.Equal(PayloadFormat.Text, options.Payload);
        Assert.Equal(SendPath.WebSocket, options.SendPath);
        Assert.Equal(19095, options.TcpPort);
        Assert.Equal("bridge", options.Self);
    }

    [Fact]
    public void Bad_settings_are_reported_with_file_line_and_key()
    {
        var errors = new ConfigErrors();
        var options = new ErlangGatewayConnectorFactory().BindOptions(
            Settings(("url", "http://im:9095/ws"), ("username", "bridge"), ("payload", "xml"), ("role", "300"), ("tcpPrt", "1")),
            errors);

        Assert.Null(options);
        var text = errors.ToString();
        Assert.Contains("bridge.yaml:11:5: connectors.erl.url: 'http://im:9095/ws' is not an absolute ws or wss URL", text, StringComparison.Ordinal);
        Assert.Contains("connectors.erl.password: is required", text, StringComparison.Ordinal);
        Assert.Contains("connectors.erl.payload: 'xml' is not one of: text, xywyjson", text, StringComparison.Ordinal);
        Assert.Contains("connectors.erl.role: 300 is out of range (0 to 255)", text, StringComparison.Ordinal);
        Assert.Contains("connectors.erl.tcpPrt: unknown key", text, StringComparison.Ordinal);
    }
}
