using System.Text;
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
        if (values.Find(OnlyPlaceholder(template)) is { } only)
        {
            return only;
        }

        var measure = new CharSink(Span<char>.Empty, text);
        Render(template, values, ref measure);
        return string.Create(measure.Length, (template, values), static (span, state) =>
        {
            var write = new CharSink(span, state.values.Text);
            Render(state.template, state.values, ref write);
        });
    }

    /// <summary>
    /// <see cref="Apply"/> for a text held as UTF-8: the result is UTF-8 too, the text copied into it
    /// as it is, so the text is never made a string on its way through the router.
    /// </summary>
    public static byte[] ApplyUtf8(string template, string source, string sender, ReadOnlySpan<byte> text, string route)
    {
        var values = new Values(source, sender, string.Empty, route);
        var measure = new Utf8Sink(Span<byte>.Empty, text);
        Render(template, values, ref measure);
        var result = new byte[measure.Length];
        var write = new Utf8Sink(result, text);
        Render(template, values, ref write);
        return result;
    }

    /// <summary>The placeholder's name when the template is that one placeholder and nothing else.</summary>
    private static ReadOnlySpan<char> OnlyPlaceholder(string template) =>
        template.Length > 2 && template[0] == '{' && template.IndexOf('}') == template.Length - 1 ? template.AsSpan(1, template.Length - 2) : default;

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

    /// <summary>Where a template is rendered to: literal parts and values as characters, and the text.</summary>
    private interface ISink
    {
        void Put(ReadOnlySpan<char> part);

        void PutText();
    }

    /// <summary>Walks a template once, putting its literal parts, the values of its placeholders and the text into a sink.</summary>
    private static void Render<TSink>(ReadOnlySpan<char> template, in Values values, ref TSink sink)
        where TSink : ISink, allows ref struct
    {
        var i = 0;
        while (i < template.Length)
        {
            var open = template[i..].IndexOf('{');
            if (open < 0)
            {
                sink.Put(template[i..]);
                break;
            }

            open += i;
            sink.Put(template[i..open]);
            var close = template[(open + 1)..].IndexOf('}');
            if (close < 0)
            {
                sink.Put(template[open..]);
                break;
            }

            close += open + 1;
            var name = template[(open + 1)..close];
            if (name.SequenceEqual("text"))
            {
                sink.PutText();
            }
            else
            {
                sink.Put(values.Find(name) ?? template[open..(close + 1)]);
            }

            i = close + 1;
        }
    }

    /// <summary>Counts the characters of the result, or writes them when given room.</summary>
    private ref struct CharSink(Span<char> into, string text) : ISink
    {
        private readonly Span<char> _into = into;

        public int Length { get; private set; }

        public void Put(ReadOnlySpan<char> part)
        {
            if (!_into.IsEmpty)
            {
                part.CopyTo(_into[Length..]);
            }

            Length += part.Length;
        }

        public void PutText() => Put(text);
    }

    /// <summary>Counts the UTF-8 bytes of the result, or writes them when given room.</summary>
    private ref struct Utf8Sink(Span<byte> into, ReadOnlySpan<byte> text) : ISink
    {
        private readonly Span<byte> _into = into;
        private readonly ReadOnlySpan<byte> _text = text;

        public int Length { get; private set; }

        public void Put(ReadOnlySpan<char> part) =>
            Length += _into.IsEmpty ? Encoding.UTF8.GetByteCount(part) : Encoding.UTF8.GetBytes(part, _into[Length..]);

        public void PutText()
        {
            if (!_into.IsEmpty)
            {
                _text.CopyTo(_into[Length..]);
            }

            Length += _text.Length;
        }
    }

    /// <summary>
    /// The body as it goes to a target: text through the template, media kept with a formatted
    /// caption. A text held as UTF-8 stays UTF-8; through the template <c>"{text}"</c> the body is
    /// passed on as it is.
    /// </summary>
    public static MessageBody Format(MessageBody body, string template, string source, string sender, string route)
    {
        if (body.Kind is BodyKind.Text or BodyKind.System && body.TryGetUtf8Text(out var utf8))
        {
            return OnlyPlaceholder(template).SequenceEqual("text")
                ? body
                : MessageBody.FromUtf8(body.Kind, ApplyUtf8(template, source, sender, utf8.Span, route), body.Url, body.FileName, body.Size);
        }

        return body.Kind switch
        {
            BodyKind.Text or BodyKind.System => body with { Text = Apply(template, source, sender, body.Text ?? string.Empty, route) },
            _ => body with { Text = Apply(template, source, sender, body.Text ?? body.FileName ?? string.Empty, route).TrimEnd() },
        };
    }
}
