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

public sealed class RtmNormalizerTests
{
    private static readonly RtmOptions Options = RtmRig.DefaultOptions(new Uri("ws://gate:1/service/websocket"));

    private static RtmPush Push(int mtype = 30, string msg = "hi", string attrs = "", long from = RtmRig.Alice) =>
        new(RtmConversationType.Group, from, 77, 5, mtype, msg, attrs, 1700000000000);

    [Fact]
    public void ExcludedUids_naming_the_bridge_uid_drop_the_push()
    {
        Assert.Null(RtmNormalizer.ToPosted("rtm", Push(attrs: $"{{\"excludedUids\":[1,{RtmRig.BridgeUid}]}}"), Options, DateTimeOffset.UnixEpoch, out var reason));
        Assert.Contains("excludedUids", reason, StringComparison.Ordinal);
        Assert.NotNull(RtmNormalizer.ToPosted("rtm", Push(attrs: "{\"excludedUids\":[1]}"), Options, DateTimeOffset.UnixEpoch, out _));
    }

    [Fact]
    public void Other_mtypes_follow_the_setting()
    {
        Assert.Null(RtmNormalizer.ToPosted("rtm", Push(mtype: 80), Options, DateTimeOffset.UnixEpoch, out _));
        var relayed = RtmNormalizer.ToPosted("rtm", Push(mtype: 80), Options with { OtherMtypes = RtmOtherMtypes.Relay }, DateTimeOffset.UnixEpoch, out _);
        Assert.Equal(Bridge.Contracts.V1.MessageBody.FromText("hi"), relayed!.Body);
        var system = RtmNormalizer.ToPosted("rtm", Push(mtype: 6), Options with { OtherMtypes = RtmOtherMtypes.Relay }, DateTimeOffset.UnixEpoch, out _);
        Assert.Equal(Bridge.Contracts.V1.BodyKind.System, system!.Body.Kind);
        Assert.NotNull(RtmNormalizer.ToPosted("rtm", Push(mtype: 90), Options with { TextMtype = 90 }, DateTimeOffset.UnixEpoch, out _));
    }

    [Fact]
    public void File_mtypes_accept_a_bare_url_too()
    {
        var posted = RtmNormalizer.ToPosted("rtm", Push(mtype: 50, msg: "https://f.example/doc.pdf"), Options, DateTimeOffset.UnixEpoch, out _);
        Assert.Equal(Bridge.Contracts.V1.MessageBody.Media(Bridge.Contracts.V1.BodyKind.File, "https://f.example/doc.pdf", "doc.pdf"), posted!.Body);
    }
}
