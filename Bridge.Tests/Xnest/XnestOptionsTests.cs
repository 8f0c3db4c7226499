using Bridge.Connectors;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Configuration;
using Bridge.Connectors.Xnest;
using Bridge.Contracts.V1;
using Bridge.Tests.Infrastructure;

namespace Bridge.Tests.Xnest;

public class XnestOptionsTests
{
    private static (XnestOptions? Options, ConfigErrors Errors) Bind(params (string Key, string Value)[] values)
    {
        var settings = new ConnectorSettings("lobby", "xnest", "bridge.yaml", 3, 3,
            values.Select((v, i) => (v.Key, Value: new SettingValue(v.Value, 4 + i, 15))).ToDictionary(v => v.Key, v => v.Value));
        var errors = new ConfigErrors();
        var factory = ConnectorCatalog.BuiltIn.Single(f => f.Type == "xnest");
        return ((XnestOptions?)factory.BindOptions(settings, errors), errors);
    }

    [Fact]
    public void A_full_configuration_binds()
    {
        var (options, errors) = Bind(("url", "wss://xnest:8443/xgate/websocket"), ("nickname", "桥"), ("storeHistory", "false"),
            ("changeName", "true"), ("catchUp", "false"), ("sendTimeout", "5s"), ("probeInterval", "20s"), ("watchdog", "1m"), ("dedupeWindow", "100"));
        Assert.False(errors.Any, errors.ToString());
        Assert.Equal(new Uri("wss://xnest:8443/xgate/websocket"), options!.Url);
        Assert.Equal(("桥", false, true, false), (options.Nickname, options.StoreHistory, options.ChangeName, options.CatchUp));
        Assert.Equal((TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(20), TimeSpan.FromMinutes(1), 100), (options.SendTimeout, options.ProbeInterval, options.Watchdog, options.DedupeWindow));
        Assert.Equal("wss://xnest:8443/xgate/websocket/f45c%2F1?nickname=%E6%A1%A5&is_store_history=false", options.RoomUrl("f45c/1").AbsoluteUri);
    }

    [Fact]
    public void Defaults_apply_and_is_store_history_is_left_out_unless_configured()
    {
        var (options, errors) = Bind(("url", "ws://xnest:8080/xgate/websocket/"));
        Assert.False(errors.Any, errors.ToString());
        Assert.Equal(("bridge", (bool?)null, true), (options!.Nickname, options.StoreHistory, options.CatchUp));
        Assert.Equal((TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(75)), (options.ProbeInterval, options.Watchdog));
        Assert.Equal("ws://xnest:8080/xgate/websocket/lobby?nickname=bridge", options.RoomUrl("lobby").AbsoluteUri);
    }

    [Theory]
    [InlineData("url", "http://x/y", "connectors.lobby.url: 'http://x/y' is not an absolute ws or wss URL")]
    [InlineData("sendTimeout", "soon", "connectors.lobby.sendTimeout: 'soon' is not a duration (for example 500ms, 30s, 5m, 1h)")]
    [InlineData("watchdog", "10s", "connectors.lobby.watchdog: must be longer than probeInterval (30 s), or a quiet room reconnects for nothing")]
    [InlineData("storeHistory", "maybe", "connectors.lobby.storeHistory: 'maybe' is not true or false")]
    [InlineData("tokne", "x", "connectors.lobby.tokne: unknown key for a connector of type 'xnest'")]
    public void Mistakes_are_reported_with_file_line_and_key(string key, string value, string expected)
    {
        var values = new List<(string, string)> { (key, value) };
        if (key != "url")
        {
            values.Add(("url", "ws://xnest:8080/xgate/websocket"));
        }

        var (_, errors) = Bind(values.ToArray());
        var error = Assert.Single(errors.All);
        Assert.Equal("bridge.yaml", error.File);
        Assert.Equal(4, error.Line);
        Assert.Equal(expected, $"{error.Key}: {error.Message}");
    }

    [Fact]
    public void A_missing_url_is_an_error_and_no_options_are_made()
    {
        var (options, errors) = Bind();
        Assert.Null(options);
        Assert.Equal("connectors.lobby.url: is required", $"{errors.All.Single().Key}: {errors.All.Single().Message}");
    }

    [Fact]
    public void The_connector_opens_one_room_per_room_endpoint_and_per_room_of_a_user_endpoint()
    {
        var (options, _) = Bind(("url", "ws://xnest:8080/xgate/websocket"));
        EndpointRef[] endpoints =
        [
            new("lobby", EndpointKind.Room, "a"),
            new("lobby", EndpointKind.Room, "a"),
            new("lobby", EndpointKind.User, "b/<0.1.0>"),
            new("lobby", EndpointKind.User, "no-room"),
        ];
        var context = new ConnectorContext("lobby", endpoints, new MemoryCursorStore(), Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, TimeProvider.System);
        var connector = ConnectorCatalog.BuiltIn.Single(f => f.Type == "xnest").Create(context, options!);
        Assert.Equal(["a", "b"], ((XnestConnector)connector).Rooms.Order());
        Assert.Equal(("b/x", "<0.1.0>"), XnestConnector.SplitUser("b/x/<0.1.0>"));
        Assert.Null(XnestConnector.SplitUser("nopid/"));
        Assert.Equal(ConnectorCapabilities.Kinds(EndpointKind.Room, EndpointKind.User), connector.Capabilities.SendKinds);
    }
}
