using Bridge.Contracts.V1;

namespace Bridge.Host.Routing;

/// <summary>Applies a route's format template: {source}, {sender}, {text}, {route}.</summary>
public static class MessageFormatter
{
    /// <summary>
    /// The template with its placeholders filled (an unknown or unclosed one stays as written). The
    /// result is measured first and written straight into its string: a 60 KB text is 120 KB of
    /// characters, and a builder would add a second copy of that size to the large object heap. A
    /// template that is one placeholder and nothing else (the common <c>"{text}"</c>) returns the
    /// value itself.
    /// </summary>
    public static string Apply(string template, string source, string sender, string text, string route)
    {
        var values = new Values(source, sender, text, route);
        if (template.Length > 2 && template[0] == '{' && template.IndexOf('}') == template.Length - 1
            && values.Find(template.AsSpan(1, template.Length - 2)) is { } only)
        {
            return only;
        }

        var length = new Writer(Span<char>.Empty, measureOnly: true).Render(template, values);
        return string.Create(length, (template, values), static (span, state) => new Writer(span, measureOnly: false).Render(state.template, state.values));
    }

    private readonly record struct Values(string Source, string Sender, string Text, string Route)
    {
        public string? Find(ReadOnlySpan<char> name) => name switch
        {
            "source" => Source,
            "sender" => Sender,
            "text" => Text,
            "route" => Route,
            _ => null,
        };
    }

    /// <summary>Walks a template once, either counting the characters of the result or writing them.</summary>
    private ref struct Writer(Span<char> into, bool measureOnly)
    {
        private readonly Span<char> _into = into;
        private int _at;

        public int Render(ReadOnlySpan<char> template, in Values values)
        {
            var i = 0;
            while (i < template.Length)
            {
                var open = template[i..].IndexOf('{');
                if (open < 0)
                {
                    Put(template[i..]);
                    break;
                }

                open += i;
                Put(template[i..open]);
                var close = template[(open + 1)..].IndexOf('}');
                if (close < 0)
                {
                    Put(template[open..]);
                    break;
                }

                close += open + 1;
                Put(values.Find(template[(open + 1)..close]) ?? template[open..(close + 1)]);
                i = close + 1;
            }

            return _at;
        }

        private void Put(ReadOnlySpan<char> part)
        {
            if (!measureOnly)
            {
                part.CopyTo(_into[_at..]);
            }

            _at += part.Length;
        }
    }

    /// <summary>The body as it goes to a target: text through the template, media kept with a formatted caption.</summary>
    public static MessageBody Format(MessageBody body, string template, string source, string sender, string route) => body.Kind switch
    {
        BodyKind.Text or BodyKind.System => body with { Text = Apply(template, source, sender, body.Text ?? string.Empty, route) },
        _ => body with { Text = Apply(template, source, sender, body.Text ?? body.FileName ?? string.Empty, route).TrimEnd() },
    };
}
