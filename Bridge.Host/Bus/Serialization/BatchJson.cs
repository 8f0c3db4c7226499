using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Bridge.Host.Bus.Serialization;

/// <summary>
/// The options the batch serializers use: the source-generated metadata without the contracts'
/// computed properties (<c>InboundEvent.EventId</c>, <c>EndpointRef.Path</c>, ...), which are
/// derived on read and would only make every body larger.
/// </summary>
internal static class BatchJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(BatchJsonContext.Default.Options)
        {
            TypeInfoResolver = BatchJsonContext.Default.WithAddedModifier(WithoutComputedProperties),
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
