using System.Text;

namespace Bridge.Host.Configuration;

/// <summary>
/// Replaces <c>${NAME}</c> and <c>${NAME:-default}</c> in a scalar with environment variables.
/// <c>$${</c> writes a literal <c>${</c>. A variable that is unset and has no default is an error.
/// </summary>
public static class EnvironmentSubstitution
{
    public static string Apply(string value, Func<string, string?> lookup, List<string> missing)
    {
        if (!value.Contains("${", StringComparison.Ordinal))
        {
            return value;
        }

        var result = new StringBuilder(value.Length);
        var i = 0;
        while (i < value.Length)
        {
            if (value[i] == '$' && i + 2 < value.Length && value[i + 1] == '$' && value[i + 2] == '{')
            {
                result.Append("${");
                i += 3;
                continue;
            }

            if (value[i] == '$' && i + 1 < value.Length && value[i + 1] == '{')
            {
                var end = value.IndexOf('}', i + 2);
                if (end < 0)
                {
                    result.Append(value, i, value.Length - i);
                    break;
                }

                var expression = value[(i + 2)..end];
                var sep = expression.IndexOf(":-", StringComparison.Ordinal);
                var name = sep >= 0 ? expression[..sep] : expression;
                var fallback = sep >= 0 ? expression[(sep + 2)..] : null;
                var found = lookup(name);
                if (string.IsNullOrEmpty(found))
                {
                    if (fallback is null)
                    {
                        missing.Add(name);
                    }

                    found = fallback ?? string.Empty;
                }

                result.Append(found);
                i = end + 1;
                continue;
            }

            result.Append(value[i]);
            i++;
        }

        return result.ToString();
    }
}
