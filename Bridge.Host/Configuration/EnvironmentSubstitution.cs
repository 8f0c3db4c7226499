using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Bridge.Host.Configuration;

/// <summary>
/// <c>${NAME}</c> and <c>${NAME:-default}</c> references to environment variables; <c>$${</c>
/// writes a literal <c>${</c>. References are swapped for inert tokens before the YAML is parsed
/// (so <c>{ password: ${PW} }</c> in a flow mapping parses, and a value containing YAML syntax
/// cannot change the file's structure), then resolved scalar by scalar, where an unset variable
/// without a default is reported at that scalar's position.
/// </summary>
public static partial class EnvironmentSubstitution
{
    private const string TokenPrefix = "__bridge_env_";

    /// <summary>Replaces every reference in the raw file with a token; <paramref name="references"/> gets the expressions.</summary>
    public static string Protect(string yaml, List<string> references)
    {
        if (!yaml.Contains('$', StringComparison.Ordinal))
        {
            return yaml;
        }

        var result = new StringBuilder(yaml.Length);
        var i = 0;
        while (i < yaml.Length)
        {
            if (yaml[i] == '$' && i + 2 < yaml.Length && yaml[i + 1] == '$' && yaml[i + 2] == '{')
            {
                result.Append(TokenPrefix).Append("lit__");
                i += 3;
                continue;
            }

            if (yaml[i] == '$' && i + 1 < yaml.Length && yaml[i + 1] == '{')
            {
                var end = yaml.IndexOfAny(['}', '\n'], i + 2);
                if (end > 0 && yaml[end] == '}')
                {
                    result.Append(TokenPrefix).Append(references.Count.ToString(CultureInfo.InvariantCulture)).Append("__");
                    references.Add(yaml[(i + 2)..end]);
                    i = end + 1;
                    continue;
                }
            }

            result.Append(yaml[i]);
            i++;
        }

        return result.ToString();
    }

    /// <summary>Resolves the tokens in one scalar; names of unset variables without a default go to <paramref name="missing"/>.</summary>
    public static string Resolve(string value, IReadOnlyList<string> references, Func<string, string?> lookup, List<string> missing)
    {
        if (!value.Contains(TokenPrefix, StringComparison.Ordinal))
        {
            return value;
        }

        return Token().Replace(value, m =>
        {
            if (m.Groups[1].Value == "lit")
            {
                return "${";
            }

            var expression = references[int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)];
            var sep = expression.IndexOf(":-", StringComparison.Ordinal);
            var name = sep >= 0 ? expression[..sep] : expression;
            var fallback = sep >= 0 ? expression[(sep + 2)..] : null;
            var found = lookup(name);
            if (!string.IsNullOrEmpty(found))
            {
                return found;
            }

            if (fallback is null)
            {
                missing.Add(name);
            }

            return fallback ?? string.Empty;
        });
    }

    [GeneratedRegex("__bridge_env_(lit|[0-9]+)__")]
    private static partial Regex Token();
}
