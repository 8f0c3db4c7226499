using System.Text;
using Bridge.Contracts.V1;

namespace Bridge.Host.Routing;

/// <summary>Applies a route's format template: {source}, {sender}, {text}, {route}.</summary>
public static class MessageFormatter
{
    /// <summary>One builder per thread, reused: a delivery's text is formatted once per target.</summary>
    [ThreadStatic]
    private static StringBuilder? _builder;

    /// <summary>Texts longer than this get a builder of their own, so a thread does not keep a large one.</summary>
    private const int ReusedCapacity = 4096;

    public static string Apply(string template, string source, string sender, string text, string route)
    {
        var capacity = template.Length + text.Length + sender.Length + 16;
        var result = capacity <= ReusedCapacity ? (_builder ??= new StringBuilder(ReusedCapacity)).Clear() : new StringBuilder(capacity);
        var i = 0;
        while (i < template.Length)
        {
            var open = template.IndexOf('{', i);
            if (open < 0)
            {
                result.Append(template, i, template.Length - i);
                break;
            }

            result.Append(template, i, open - i);
            var close = template.IndexOf('}', open + 1);
            if (close < 0)
            {
                result.Append(template, open, template.Length - open);
                break;
            }

            var name = template.AsSpan(open + 1, close - open - 1);
            _ = name switch
            {
                "source" => result.Append(source),
                "sender" => result.Append(sender),
                "text" => result.Append(text),
                "route" => result.Append(route),
                _ => result.Append(template, open, close - open + 1),
            };
            i = close + 1;
        }

        var formatted = result.ToString();
        if (result.Capacity > ReusedCapacity && ReferenceEquals(result, _builder))
        {
            // A template that repeats {text} outgrew the estimate: the thread does not keep the larger builder.
            _builder = null;
        }

        return formatted;
    }

    /// <summary>The body as it goes to a target: text through the template, media kept with a formatted caption.</summary>
    public static MessageBody Format(MessageBody body, string template, string source, string sender, string route) => body.Kind switch
    {
        BodyKind.Text or BodyKind.System => body with { Text = Apply(template, source, sender, body.Text ?? string.Empty, route) },
        _ => body with { Text = Apply(template, source, sender, body.Text ?? body.FileName ?? string.Empty, route).TrimEnd() },
    };
}
