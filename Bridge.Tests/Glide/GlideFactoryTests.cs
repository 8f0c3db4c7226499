using Bridge.Connectors;
using Bridge.Connectors.Configuration;
using Bridge.Connectors.Glide;

namespace Bridge.Tests.Glide;

/// <summary>Option binding and validation for <c>type: glide</c>.</summary>
public sealed class GlideFactoryTests
{
    private static (GlideOptions? Options, ConfigErrors Errors) Bind(params (string Key, string Value)[] values)
    {
        var settings = new ConnectorSettings("glide", "glide", "bridge.yaml", 3, 3,
            values.Select((v, i) => (v.Key, Value: new SettingValue(v.Value, 4 + i, 5))).ToDictionary(v => v.Key, v => v.Value));
        var errors = new ConfigErrors();
        var options = (GlideOptions?)new GlideConnectorFactory().BindOptions(settings, errors);
        return (options, errors);
    }

    [Fact]
    public void The_factory_is_registered_as_glide() =>
        Assert.Contains(ConnectorCatalog.BuiltIn, f => f.Type == "glide" && f is GlideConnectorFactory);

    [Fact]
    public void A_minting_configuration_binds_with_defaults()
    {
        var (options, errors) = Bind(("url", "ws://glide:8083/ws"), ("uid", "900"), ("gatewaySecret", "secret_key"));
        Assert.False(errors.Any, errors.ToString());
        Assert.Equal(TimeSpan.FromSeconds(30), options!.HeartbeatInterval);
        Assert.Equal(TimeSpan.FromSeconds(75), options.SilenceWindow);
        Assert.True(options.HasLocalTickets);
        Assert.DoesNotContain("secret_key", options.ToString());
    }

    [Fact]
    public void Missing_and_inconsistent_settings_are_all_reported_with_their_keys()
    {
        var (_, errors) = Bind(("url", "http://x"), ("uid", "a_b"), ("apiToken", "t"), ("silenceWindow", "10s"), ("heartbeatInterval", "20s"), ("bogus", "1"));
        var text = errors.ToString();
        Assert.Contains("connectors.glide.url", text);
        Assert.Contains("connectors.glide.uid: a Glide uid must not contain '_'", text);
        Assert.Contains("connectors.glide.apiUrl: is required with apiToken", text);
        Assert.Contains("connectors.glide.silenceWindow: must be longer than heartbeatInterval", text);
        Assert.Contains("connectors.glide.bogus: unknown key", text);
        Assert.DoesNotContain("t\n", text);
    }

    [Fact]
    public void A_credential_without_a_ticket_source_is_refused()
    {
        var (_, errors) = Bind(("url", "ws://glide:8083/ws"), ("uid", "900"), ("credential", "abc"));
        Assert.Contains("connectors.glide.deliverSecret: tickets need", errors.ToString());
        Assert.DoesNotContain("abc", errors.ToString());
    }

    [Fact]
    public void No_credential_source_is_refused()
    {
        var (_, errors) = Bind(("url", "ws://glide:8083/ws"), ("uid", "900"));
        Assert.Contains("connectors.glide.credential: one of credential, gatewaySecret or apiToken", errors.ToString());
    }
}
