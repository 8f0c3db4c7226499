using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Bridge.Host.Bus.Serialization;

/// <summary>
/// The options the batch serializers use: the source-generated metadata without the contracts'
/// computed properties (<c>InboundEvent.EventId</c>, <c>EndpointRef.Path</c>, ...), which are
/// derived on read and would only make every body larger. Text is written as UTF-8, not escaped
/// beyond what JSON requires (quote, backslash, control characters): the default encoder writes
/// every non-ASCII character as a six-byte <c>\uXXXX</c>, twice the UTF-8 of a Chinese text, on
/// every hop through the broker. These bodies go only from the bridge to the bridge, never into
/// HTML, which is what the stricter escaping is for. A lone surrogate becomes U+FFFD either way.
/// </summary>
internal static class BatchJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(BatchJsonContext.Default.Options)
        {
            TypeInfoResolver = BatchJsonContext.Default.WithAddedModifier(WithoutComputedProperties),
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        options.MakeReadOnly();
        return options;
    }

    public static JsonTypeInfo<T> TypeInfo<T>() => (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T));

    private static void WithoutComputedProperties(JsonTypeInfo type)
    {
        if (type.Kind != JsonTypeInfoKind.Object)
        {
            return;
        }

        for (var i = type.Properties.Count - 1; i >= 0; i--)
        {
            if (type.Properties[i].Set is null && type.Properties[i].AssociatedParameter is null)
            {
                type.Properties.RemoveAt(i);
            }
        }
    }
}
