namespace Bridge.Connectors.Configuration;

/// <summary>One problem in the configuration file, with where it is.</summary>
public sealed record ConfigError(string File, int Line, int Column, string Key, string Message)
{
    public override string ToString() => $"{File}:{Line}:{Column}: {Key}: {Message}";
}

/// <summary>Collects every configuration problem so they can be reported together.</summary>
public sealed class ConfigErrors
{
    private readonly List<ConfigError> _errors = [];

    public IReadOnlyList<ConfigError> All => _errors;

    public bool Any => _errors.Count > 0;

    public void Add(ConfigError error) => _errors.Add(error);

    public void Add(string file, int line, int column, string key, string message) =>
        _errors.Add(new ConfigError(file, line, column, key, message));

    public override string ToString() => string.Join(Environment.NewLine, _errors);
}

/// <summary>Thrown when the configuration cannot be used; <see cref="Errors"/> lists every problem.</summary>
public sealed class ConfigurationInvalidException(IReadOnlyList<ConfigError> errors)
    : Exception($"The configuration has {errors.Count} error(s):{Environment.NewLine}{string.Join(Environment.NewLine, errors)}")
{
    public IReadOnlyList<ConfigError> Errors { get; } = errors;
}
