using System.Globalization;
using System.Text;
using System.Text.Json;
using Bridge.Connectors.Abstractions;

namespace Bridge.Connectors.Glide;

/// <summary>Token readers and Go-style error texts shared by the envelope and payload decoders.</summary>
public static partial class GlideDecoder
{
    private static Utf8JsonReader StartObject(ReadOnlySpan<byte> data, string goType)
    {
        var reader = new Utf8JsonReader(data, Options);
        try
        {
            if (!reader.Read())
            {
                throw new GlideDecodeException("unexpected end of JSON input");
            }
        }
        catch (JsonException ex)
        {
            throw Translate(data, ex, Expect.Value);
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw TypeError(reader, goType, null);
        }

        return reader;
    }

    private static bool NameIs(ref Utf8JsonReader reader, ReadOnlySpan<byte> lowerName)
    {
        if (!reader.ValueIsEscaped)
        {
            return reader.ValueSpan.Length == lowerName.Length && Ascii.EqualsIgnoreCase(reader.ValueSpan, lowerName);
        }

        Span<byte> buffer = stackalloc byte[64];
        if (reader.ValueSpan.Length > buffer.Length)
        {
            return false;
        }

        var n = reader.CopyString(buffer);
        return Ascii.EqualsIgnoreCase(buffer[..n], lowerName);
    }

    /// <summary>A string token's value; invalid UTF-8 (which the reader lets through) is a decode error.</summary>
    private static string? Text(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException)
        {
            throw new GlideDecodeException("invalid UTF-8 in JSON string");
        }
    }

    /// <summary>Like <see cref="Text"/>, through the cache.</summary>
    private static string CachedText(ref Utf8JsonReader reader, Utf8StringCache cache)
    {
        try
        {
            return Utf8StringCache.GetString(ref reader, cache);
        }
        catch (InvalidOperationException)
        {
            throw new GlideDecodeException("invalid UTF-8 in JSON string");
        }
    }

    private static string ReadAction(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return string.Empty;
        }

        if (reader.TokenType != JsonTokenType.String)
        {
            throw TypeError(reader, "string", "GlideMessage.action");
        }

        if (!reader.ValueIsEscaped)
        {
            var known = GlideActions.KnownUtf8;
            for (var i = 0; i < known.Length; i++)
            {
                if (reader.ValueSpan.SequenceEqual(known[i]))
                {
                    return GlideActions.Known[i];
                }
            }
        }

        return Text(ref reader)!;
    }

    private static string? String(ref Utf8JsonReader reader, string field, Utf8StringCache? cache = null) => reader.TokenType switch
    {
        JsonTokenType.String => cache is null ? Text(ref reader) : CachedText(ref reader, cache),
        JsonTokenType.Null => null,
        _ => throw TypeError(reader, "string", field),
    };

    private static long Int64(ref Utf8JsonReader reader, string field)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number when reader.TryGetInt64(out var value):
                return value;
            case JsonTokenType.Null:
                return 0;
            default:
                throw TypeError(reader, "int64", field);
        }
    }

    private static int Int32(ref Utf8JsonReader reader, string field)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number when reader.TryGetInt32(out var value):
                return value;
            case JsonTokenType.Null:
                return 0;
            default:
                throw TypeError(reader, "int32", field);
        }
    }

    /// <summary>Validates <c>extra</c> (a map of strings) and returns its byte range (0,0 for null).</summary>
    private static (int Start, int Length) ReadExtraRange(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return (0, 0);
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw TypeError(reader, "map[string]string", "GlideMessage.extra");
        }

        var start = (int)reader.TokenStartIndex;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            reader.Read();
            if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.Null))
            {
                throw TypeError(reader, "string", "GlideMessage.extra");
            }
        }

        return (start, (int)reader.BytesConsumed - start);
    }

    private static GlideDecodeException TypeError(Utf8JsonReader reader, string goType, string? field)
    {
        var kind = reader.TokenType switch
        {
            JsonTokenType.StartObject => "object",
            JsonTokenType.StartArray => "array",
            JsonTokenType.String => "string",
            JsonTokenType.Number => "number " + Encoding.UTF8.GetString(reader.ValueSpan),
            JsonTokenType.True or JsonTokenType.False => "bool",
            _ => "null",
        };
        return new GlideDecodeException(field is null
            ? $"json: cannot unmarshal {kind} into Go value of type {goType}"
            : $"json: cannot unmarshal {kind} into Go struct field {field} of type {goType}");
    }

    /// <summary>Turns a reader error into the text Go's decoder gives for the same input.</summary>
    private static GlideDecodeException Translate(ReadOnlySpan<byte> input, JsonException ex, Expect expect)
    {
        if (ex.Message.Contains("UTF-8", StringComparison.OrdinalIgnoreCase))
        {
            return new GlideDecodeException("invalid UTF-8 in JSON input");
        }

        var offset = Offset(input, ex.LineNumber ?? 0, ex.BytePositionInLine ?? 0);
        while (offset < input.Length && input[offset] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            offset++;
        }

        if (offset >= input.Length)
        {
            return new GlideDecodeException("unexpected end of JSON input");
        }

        var c = Quote(input[offset]);
        return new GlideDecodeException(expect switch
        {
            Expect.Key => $"invalid character {c} looking for beginning of object key string",
            Expect.End => $"invalid character {c} after top-level value",
            _ => $"invalid character {c} looking for beginning of value",
        });
    }

    private static int Offset(ReadOnlySpan<byte> input, long line, long column)
    {
        var offset = 0;
        for (var l = 0L; l < line && offset < input.Length; offset++)
        {
            if (input[offset] == (byte)'\n')
            {
                l++;
            }
        }

        return (int)Math.Min(input.Length, offset + column);
    }

    private static string Quote(byte c) => c switch
    {
        (byte)'\'' => @"'\''",
        (byte)'"' => "'\"'",
        >= 0x20 and < 0x7F => $"'{(char)c}'",
        _ => $"'\\x{c.ToString("x2", CultureInfo.InvariantCulture)}'",
    };
}
