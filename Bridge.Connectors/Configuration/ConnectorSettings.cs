namespace Bridge.Connectors.Configuration;

/// <summary>A scalar from the configuration file and where it stands.</summary>
public sealed record SettingValue(string Text, int Line, int Column);

/// <summary>
/// The raw settings of one connector as the YAML file gave them (after <c>${ENV}</c> substitution),
/// with positions for error messages. Nested maps are flattened with dots (<c>tls.insecure</c>),
/// sequences with indexes (<c>rooms.0</c>).
/// </summary>
public sealed record ConnectorSettings(
    string ConnectorName,
    string Type,
    string File,
    int Line,
    int Column,
    IReadOnlyDictionary<string, SettingValue> Values)
{
    /// <summary>
    /// Prefix of key paths in error messages; null means <c>connectors.&lt;name&gt;.</c>. The host
    /// also reads its own sections (bus, store, …) through <see cref="SettingsReader"/> with a prefix.
    /// </summary>
    public string? KeyPrefix { get; init; }

    /// <summary>The configuration key path of a setting, as error messages name it.</summary>
    public string KeyPath(string key) => KeyPrefix is null ? $"connectors.{ConnectorName}.{key}" : $"{KeyPrefix}{key}";
}
