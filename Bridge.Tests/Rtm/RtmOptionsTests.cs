using Bridge.Connectors;
using Bridge.Connectors.Configuration;
using Bridge.Connectors.Rtm;

namespace Bridge.Tests.Rtm;

public sealed class RtmOptionsTests
{
    private static (RtmOptions? Options, ConfigErrors Errors) Bind(params (string Key, string Value)[] values)
    {
        var settings = new ConnectorSettings("rtm-main", "rtm", "bridge.yaml", 3, 3,
            values.Select((v, i) => (v.Key, Value: new SettingValue(v.Value, 4 + i, 5))).ToDictionary(v => v.Key, v => v.Value));
        var errors = new ConfigErrors();
        var options = new RtmConnectorFactory().BindOptions(settings, errors) as RtmOptions;
        return (options, errors);
    }

    [Fact]
    public void The_factory_is_registered_as_rtm() =>
        Assert.Contains(ConnectorCatalog.BuiltIn, f => f.Type == "rtm" && f is RtmConnectorFactory);

    [Fact]
    public void A_gate_endpoint_binds_with_defaults_and_the_token_never_prints()
    {
        var (options, errors) = Bind(("endpoint", "wss://rtm-gate:13322/service/websocket"), ("pid", "1000012"), ("uid", "900001"), ("token", "s3cret"), ("attrs.lang", "en"));
        Assert.False(errors.Any, errors.ToString());
        Assert.Equal(new Uri("wss://rtm-gate:13322/service/websocket"), options!.Endpoint);
        Assert.Equal((1000012L, 900001L, "s3cret"), (options.Pid, options.Uid, options.Token.Reveal()));
        Assert.Equal("en", options.AuthAttrs["lang"]);
        Assert.Equal((30, "WebSocket_2.7.6", TimeSpan.FromSeconds(60)), (options.TextMtype, options.Version, options.PingTimeout));
        Assert.Equal(TimeSpan.FromSeconds(60), options.Reconnect.KeepaliveWindow);
        Assert.DoesNotContain("s3cret", options.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Host_and_port_forms_use_the_ssl_setting()
    {
        var (options, errors) = Bind(("dispatch", "rtm-nx-front.example:13325"), ("ssl", "true"), ("pid", "1"), ("uid", "2"), ("token", "t"));
        Assert.False(errors.Any, errors.ToString());
        Assert.Equal(new Uri("wss://rtm-nx-front.example:13325/service/websocket"), options!.Dispatch);
        Assert.Null(options.Endpoint);
    }

    [Fact]
    public void Problems_are_reported_with_file_line_and_key()
    {
        var (_, errors) = Bind(("endpoint", "http://nope"), ("dispatch", "x:1"), ("uid", "abc"), ("textMtype", "40"), ("pingTimout", "5s"));
        var text = errors.ToString();
        Assert.Contains("bridge.yaml:4:5: connectors.rtm-main.endpoint", text, StringComparison.Ordinal);
        Assert.Contains("exactly one of 'endpoint'", text, StringComparison.Ordinal);
        Assert.Contains("connectors.rtm-main.pid: is required", text, StringComparison.Ordinal);
        Assert.Contains("connectors.rtm-main.token: is required", text, StringComparison.Ordinal);
        Assert.Contains("'abc' is not a whole number", text, StringComparison.Ordinal);
        Assert.Contains("40 is reserved by RTM", text, StringComparison.Ordinal);
        Assert.Contains("pingTimout: unknown key", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Native_ids_round_trip_what_delmsg_needs()
    {
        var id = new RtmNativeId(RtmConversationType.Group, 77, 900001, 1795308569080001);
        Assert.Equal("2:77:900001:1795308569080001", id.ToString());
        Assert.True(RtmNativeId.TryParse(id.ToString(), out var parsed));
        Assert.Equal(id, parsed);
        Assert.False(RtmNativeId.TryParse("9:1:2:3", out _));
        Assert.False(RtmNativeId.TryParse("1:2:3", out _));
    }
}
