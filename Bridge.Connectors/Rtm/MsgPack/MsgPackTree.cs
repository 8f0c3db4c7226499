using System.Collections;

namespace Bridge.Connectors.Rtm.MsgPack;

/// <summary>
/// msgpack ↔ plain .NET values, for the simulator and tests (the connector's hot path uses the
/// reader directly). nil ↔ null, bool, integers ↔ long (ulong above Int64), float32 ↔ float,
/// float64 ↔ double, str ↔ string, bin ↔ byte[], array ↔ List&lt;object?&gt;, map ↔
/// Dictionary&lt;string, object?&gt; (insertion order kept; non-string keys as their text).
/// Extensions decode to null. Writes use the smallest integer format.
/// </summary>
public static class MsgPackTree
{
    public static object? Decode(ReadOnlySpan<byte> data)
    {
        var reader = new MsgPackReader(data);
        var value = Read(ref reader);
        if (!reader.End)
        {
            throw new MsgPackException($"msgpack at offset {reader.Position}: {reader.Remaining} bytes after the value");
        }

        return value;
    }

    public static object? Read(ref MsgPackReader reader) => Read(ref reader, 0);

    private static object? Read(ref MsgPackReader reader, int depth)
    {
        if (depth > MsgPackReader.MaxDepth)
        {
            throw new MsgPackException($"msgpack at offset {reader.Position}: nesting deeper than {MsgPackReader.MaxDepth} levels");
        }

        switch (reader.PeekType())
        {
            case MsgPackType.Nil:
                reader.TryReadNil();
                return null;
            case MsgPackType.Boolean:
                return reader.ReadBoolean();
            case MsgPackType.Integer:
                return ReadInteger(ref reader);
            case MsgPackType.Float:
                var raw = reader.ReadRaw();
                var inner = new MsgPackReader(raw);
                return raw.Length == 5 ? (float)inner.ReadDouble() : inner.ReadDouble();
            case MsgPackType.String:
                return reader.ReadString();
            case MsgPackType.Binary:
                return reader.ReadBytes().ToArray();
            case MsgPackType.Array:
                var count = reader.ReadArrayHeader();
                var list = new List<object?>(count);
                for (var i = 0; i < count; i++)
                {
                    list.Add(Read(ref reader, depth + 1));
                }

                return list;
            case MsgPackType.Map:
                var entries = reader.ReadMapHeader();
                var map = new Dictionary<string, object?>(entries, StringComparer.Ordinal);
                for (var i = 0; i < entries; i++)
                {
                    var key = Read(ref reader, depth + 1);
                    map[key as string ?? Convert.ToString(key, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty] = Read(ref reader, depth + 1);
                }

                return map;
            default:
                reader.Skip();
                return null;
        }
    }

    private static object ReadInteger(ref MsgPackReader reader)
    {
        if (reader.NextIsUInt64Format)
        {
            var value = reader.ReadUInt64();
            return value > long.MaxValue ? value : (long)value;
        }

        return reader.ReadInt64();
    }

    public static byte[] Encode(object? value)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        Write(new MsgPackWriter(buffer), value);
        return buffer.WrittenSpan.ToArray();
    }

    public static void Write(MsgPackWriter writer, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNil(); break;
            case bool b: writer.WriteBoolean(b); break;
            case long l: writer.WriteInt64(l); break;
            case int i: writer.WriteInt64(i); break;
            case ulong u: writer.WriteUInt64(u); break;
            case uint u: writer.WriteUInt64(u); break;
            case double d: writer.WriteDouble(d); break;
            case float f: writer.WriteSingle(f); break;
            case string s: writer.WriteString(s); break;
            case byte[] bytes: writer.WriteBinary(bytes); break;
            case IDictionary<string, object?> map:
                writer.WriteMapHeader(map.Count);
                foreach (var (k, v) in map)
                {
                    writer.WriteString(k);
                    Write(writer, v);
                }

                break;
            case IEnumerable items:
                var all = items.Cast<object?>().ToList();
                writer.WriteArrayHeader(all.Count);
                foreach (var item in all)
                {
                    Write(writer, item);
                }

                break;
            default:
                throw new ArgumentException($"cannot write a {value.GetType().Name} as msgpack", nameof(value));
        }
    }
}
