using Bridge.Connectors.Configuration;
using YamlDotNet.RepresentationModel;

namespace Bridge.Host.Configuration;

/// <summary>Helpers over YamlDotNet's node tree: positions, scalars with <c>${ENV}</c> substitution, flattening.</summary>
internal sealed class YamlTree(string file, ConfigErrors errors, Func<string, string?> environment, IReadOnlyList<string> references)
{
    public string File => file;

    public ConfigErrors Errors => errors;

    public static (int Line, int Column) Position(YamlNode node) => ((int)node.Start.Line, (int)node.Start.Column);

    public void Error(YamlNode node, string key, string message)
    {
        var (line, column) = Position(node);
        errors.Add(file, line, column, key, message);
    }

    /// <summary>The scalar's text after <c>${ENV}</c> substitution; an unset variable is an error.</summary>
    public string Scalar(YamlScalarNode node, string key)
    {
        var missing = new List<string>();
        var text = EnvironmentSubstitution.Resolve(node.Value ?? string.Empty, references, environment, missing);
        foreach (var name in missing)
        {
            Error(node, key, $"environment variable {name} is not set (write ${{{name}:-default}} for a default)");
        }

        return text;
    }

    /// <summary>Flattens a mapping into dotted keys (nested maps) and indexed keys (sequences).</summary>
    public Dictionary<string, SettingValue> Flatten(YamlMappingNode map, string keyPath)
    {
        var values = new Dictionary<string, SettingValue>(StringComparer.Ordinal);
        Flatten(map, string.Empty, keyPath, values);
        return values;
    }

    private void Flatten(YamlNode node, string prefix, string keyPath, Dictionary<string, SettingValue> values)
    {
        switch (node)
        {
            case YamlMappingNode map:
                foreach (var (k, v) in map.Children)
                {
                    var name = (k as YamlScalarNode)?.Value ?? string.Empty;
                    Flatten(v, prefix.Length == 0 ? name : $"{prefix}.{name}", keyPath, values);
                }

                break;
            case YamlSequenceNode seq:
                for (var i = 0; i < seq.Children.Count; i++)
                {
                    Flatten(seq.Children[i], $"{prefix}.{i}", keyPath, values);
                }

                break;
            case YamlScalarNode scalar:
                var (line, column) = Position(scalar);
                values[prefix] = new SettingValue(Scalar(scalar, $"{keyPath}.{prefix}"), line, column);
                break;
        }
    }

    /// <summary>A reader over one top-level section, with errors keyed <c>section.key</c>.</summary>
    public SettingsReader Section(YamlNode? node, string section)
    {
        var values = node is YamlMappingNode map ? Flatten(map, section) : new Dictionary<string, SettingValue>();
        if (node is not null and not YamlMappingNode && !(node is YamlScalarNode { Value: null or "" }))
        {
            Error(node, section, "must be a mapping of keys to values");
        }

        var (line, column) = node is null ? (1, 1) : Position(node);
        var settings = new ConnectorSettings(section, section, file, line, column, values) { KeyPrefix = $"{section}." };
        return new SettingsReader(settings, errors);
    }
}
