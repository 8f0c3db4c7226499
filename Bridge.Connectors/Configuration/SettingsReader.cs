using System.Globalization;

namespace Bridge.Connectors.Configuration;

/// <summary>
/// Typed, validating access to one connector's settings. Every getter records a precise error
/// (file, line, key, what is wrong) instead of throwing, so a file with several mistakes reports
/// them all; <see cref="ReportUnknownKeys"/> then flags keys nothing asked for (usually typos).
/// </summary>
public sealed class SettingsReader(ConnectorSettings settings, ConfigErrors errors)
{
    private readonly HashSet<string> _used = new(StringComparer.Ordinal) { "type" };

    public ConnectorSettings Settings => settings;

    public string Name => settings.ConnectorName;

    public bool Has(string key)
    {
        _used.Add(key);
        return settings.Values.ContainsKey(key);
    }

    public string? OptionalString(string key)
    {
        _used.Add(key);
        return settings.Values.TryGetValue(key, out var v) ? v.Text : null;
    }

    public string RequiredString(string key)
    {
        _used.Add(key);
        if (settings.Values.TryGetValue(key, out var v) && v.Text.Length > 0)
        {
            return v.Text;
        }

        Error(key, v is null ? "is required" : "must not be empty");
        return string.Empty;
    }

    public string String(string key, string defaultValue) => OptionalString(key) is { Length: > 0 } s ? s : defaultValue;

    public Secret? OptionalSecret(string key) => OptionalString(key) is { } s ? new Secret(s) : null;

    public Secret RequiredSecret(string key) => new(RequiredString(key));

    public long Int64(string key, long defaultValue, long min = long.MinValue, long max = long.MaxValue)
    {
        var text = OptionalString(key);
        if (text is null)
        {
            return defaultValue;
        }

        if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
        {
            Error(key, $"'{text}' is not a whole number");
            return defaultValue;
        }

        if (value < min || value > max)
        {
            Error(key, $"{value} is out of range ({min} to {max})");
            return defaultValue;
        }

        return value;
    }

    public long RequiredInt64(string key, long min = long.MinValue, long max = long.MaxValue)
    {
        if (!Has(key))
        {
            Error(key, "is required");
            return 0;
        }

        return Int64(key, 0, min, max);
    }

    public int Int32(string key, int defaultValue, int min = int.MinValue, int max = int.MaxValue) =>
        (int)Int64(key, defaultValue, min, max);

    public bool Bool(string key, bool defaultValue)
    {
        var text = OptionalString(key);
        if (text is null)
        {
            return defaultValue;
        }

        switch (text.ToLowerInvariant())
        {
            case "true" or "yes" or "on" or "1": return true;
            case "false" or "no" or "off" or "0": return false;
            default:
                Error(key, $"'{text}' is not true or false");
                return defaultValue;
        }
    }

    /// <summary>A duration: <c>500ms</c>, <c>30s</c>, <c>5m</c>, <c>1h</c>, or plain seconds.</summary>
    public TimeSpan Duration(string key, TimeSpan defaultValue, TimeSpan? min = null, TimeSpan? max = null)
    {
        var text = OptionalString(key);
        if (text is null)
        {
            return defaultValue;
        }

        if (!DurationParser.TryParse(text, out var value))
        {
            Error(key, $"'{text}' is not a duration (for example 500ms, 30s, 5m, 1h)");
            return defaultValue;
        }

        if ((min is { } lo && value < lo) || (max is { } hi && value > hi))
        {
            Error(key, $"{text} is out of range ({min?.ToString() ?? "0"} to {max?.ToString() ?? "unbounded"})");
            return defaultValue;
        }

        return value;
    }

    public Uri? Uri(string key, bool required, params string[] schemes)
    {
        var text = required ? RequiredString(key) : OptionalString(key);
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (!System.Uri.TryCreate(text, UriKind.Absolute, out var uri) || (schemes.Length > 0 && !schemes.Contains(uri.Scheme)))
        {
            Error(key, $"'{text}' is not an absolute {string.Join(" or ", schemes)} URL");
            return null;
        }

        return uri;
    }

    public TEnum Enum<TEnum>(string key, TEnum defaultValue)
        where TEnum : struct, Enum
    {
        var text = OptionalString(key);
        if (text is null)
        {
            return defaultValue;
        }

        if (System.Enum.TryParse<TEnum>(text.Replace("-", string.Empty, StringComparison.Ordinal), ignoreCase: true, out var value)
            && System.Enum.IsDefined(value))
        {
            return value;
        }

        Error(key, $"'{text}' is not one of: {string.Join(", ", System.Enum.GetNames<TEnum>().Select(n => n.ToLowerInvariant()))}");
        return defaultValue;
    }

    /// <summary>The items of a sequence setting (<c>key.0</c>, <c>key.1</c>, …) or a single scalar.</summary>
    public IReadOnlyList<string> List(string key)
    {
        _used.Add(key);
        if (settings.Values.TryGetValue(key, out var single))
        {
            return [single.Text];
        }

        var items = new List<string>();
        for (var i = 0; settings.Values.TryGetValue($"{key}.{i}", out var item); i++)
        {
            _used.Add($"{key}.{i}");
            items.Add(item.Text);
        }

        return items;
    }

    /// <summary>Records an error against a key (for checks that span several keys).</summary>
    public void Error(string key, string message)
    {
        var (line, column) = settings.Values.TryGetValue(key, out var v) ? (v.Line, v.Column) : (settings.Line, settings.Column);
        errors.Add(settings.File, line, column, settings.KeyPath(key), message);
    }

    public void ReportUnknownKeys()
    {
        foreach (var (key, value) in settings.Values)
        {
            if (_used.Contains(key))
            {
                continue;
            }

            var dot = key.IndexOf('.', StringComparison.Ordinal);
            if (dot > 0 && _used.Contains(key[..dot]))
            {
                continue;
            }

            errors.Add(settings.File, value.Line, value.Column, settings.KeyPath(key),
                settings.KeyPrefix is null ? $"unknown key for a connector of type '{settings.Type}'" : "unknown key");
        }
    }
}
