using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Bridge.Connectors.Abstractions;

namespace Bridge.Host.Bus.Serialization;

/// <summary>
/// What the batch converters share: strings read through a cache of the short ones that repeat
/// from event to event (connector names, conversation and user ids, display names), so a batch
/// read allocates them once, not per event; null and presence checks with the errors the
/// generated metadata gives; an enum read and written by the context's own (string) converter.
/// </summary>
internal static class BatchJsonReading
{
    private static readonly Utf8StringCache Interned = new(2048);

    /// <summary>Reads a string token (or null where <paramref name="nullable"/>), from the cache when it repeats.</summary>
    public static string? String(ref Utf8JsonReader reader, string property, bool nullable, bool intern = true)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return nullable ? null : throw new JsonException($"The property '{property}' must not be null.");
        }

        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException($"The property '{property}' must be a string, not {reader.TokenType}.");
        }

        return intern ? Utf8StringCache.GetString(ref reader, Interned) : reader.GetString();
    }

    /// <summary>
    /// Reads a string token (or null) as UTF-8 of its own (<see cref="JsonUtf8Text"/>), or as a slice
    /// of the body when that is read under a <see cref="ReceivedBatchLease"/>. Invalid UTF-8
    /// (which the bridge's writer never produces) is an error, as it is for a string read.
    /// </summary>
    public static ReadOnlyMemory<byte>? Utf8Text(ref Utf8JsonReader reader, string property)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException($"The property '{property}' must be a string, not {reader.TokenType}.");
        }

        return ReceivedBatchLease.TrySlice(ref reader, out var utf8) || JsonUtf8Text.TryRead(ref reader, out utf8)
            ? utf8
            : throw new JsonException($"The property '{property}' is not valid UTF-8.");
    }

    /// <summary>Moves to the value of the next property and says which it is; false at the object's end.</summary>
    public static bool NextProperty(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.EndObject)
        {
            return false;
        }

        if (reader.TokenType != JsonTokenType.PropertyName)
        {
            throw new JsonException($"Expected a property name, not {reader.TokenType}.");
        }

        return true;
    }

    /// <summary>When the current property has this name: steps onto its value and says so.</summary>
    public static bool Property(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        if (!reader.ValueTextEquals(name))
        {
            return false;
        }

        ToValue(ref reader);
        return true;
    }

    /// <summary>Steps onto the current property's value.</summary>
    private static void ToValue(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new JsonException("The JSON ends inside an object.");
        }
    }

    public static void ExpectObject(ref Utf8JsonReader reader, Type type)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException($"The JSON value could not be converted to {type.Name}: expected an object, not {reader.TokenType}.");
        }
    }

    public static T Required<T>(T? value, bool seen, string property, Type type)
    {
        if (!seen)
        {
            throw new JsonException($"JSON deserialization for type '{type.FullName}' was missing required properties including: '{property}'.");
        }

        return value!;
    }

    public static JsonTypeInfo<T> TypeInfo<T>(JsonSerializerOptions options) => (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
}
