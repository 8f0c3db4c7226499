using Bridge.Connectors.Configuration;

namespace Bridge.Connectors.Abstractions;

/// <summary>
/// Creates connectors of one <c>type:</c>. The host binds every connector's settings at start;
/// a connector whose settings have errors is never created (nor is any other: a bad file never
/// starts a half-configured bridge).
/// </summary>
public interface IConnectorFactory
{
    /// <summary>The value of <c>type:</c> in the YAML file, for example <c>rtm</c>.</summary>
    string Type { get; }

    /// <summary>Binds and validates the settings; every problem goes to <paramref name="errors"/>.</summary>
    object? BindOptions(ConnectorSettings settings, ConfigErrors errors);

    IConnector Create(ConnectorContext context, object options);
}

/// <summary>Typed base for a factory with an options record.</summary>
public abstract class ConnectorFactory<TOptions> : IConnectorFactory
    where TOptions : class
{
    public abstract string Type { get; }

    public object? BindOptions(ConnectorSettings settings, ConfigErrors errors)
    {
        var reader = new SettingsReader(settings, errors);
        var options = Bind(reader);
        reader.ReportUnknownKeys();
        return options;
    }

    public IConnector Create(ConnectorContext context, object options) => Create(context, (TOptions)options);

    protected abstract TOptions? Bind(SettingsReader settings);

    protected abstract IConnector Create(ConnectorContext context, TOptions options);
}
