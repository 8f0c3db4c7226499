using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Bridge.Connectors.Rtm.MsgPack;

namespace Bridge.Tests.Rtm;

/// <summary>
/// Typed msgpack test values in the JSON shape tools/msgpack-crosscheck/crosscheck.js reads:
/// <c>{"t": nil|bool|int|i64|u64|f64|f32|str|bin|arr|map, "v": …}</c>; with the C# encoding of each
/// (int: smallest, i64: d3, u64: cf, f64: cb — the rules msgpack-lite follows for those JS types) and a
/// canonical text of the value for comparing decodes.
/// </summary>
internal static class MsgPackCorpus
{
    public static readonly long[] IntBoundaries =
    [
        0, 1, 31, 32, 127, 128, 255, 256, 32767, 32768, 65535, 65536, int.MaxValue,
        -1, -31, -32, -33, -127, -128, -129, -32768, -32769, int.MinValue,
    ];

    public static readonly long[] Int64Boundaries =
    [
        0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295L, 4294967296L, -1, -32, -33, -128, -129, -32768, -32769,
        int.MinValue, int.MinValue - 1L, long.MaxValue, long.MinValue, 654321, 1795308569080001,
    ];

    public static JsonObject Value(string type, JsonNode? value = null) => value is null ? new JsonObject { ["t"] = type } : new JsonObject { ["t"] = type, ["v"] = value };

    public static List<JsonObject> Generate(int count, int seed)
    {
        var random = new Random(seed);
        var items = new List<JsonObject>();
        foreach (var b in IntBoundaries)
        {
            items.Add(Value("int", b.ToString(CultureInfo.InvariantCulture)));
        }

        foreach (var b in Int64Boundaries)
        {
            items.Add(Value("i64", b.ToString(CultureInfo.InvariantCulture)));
            if (b >= 0)
            {
                items.Add(Value("u64", b.ToString(CultureInfo.InvariantCulture)));
            }
        }

        items.Add(Value("u64", ulong.MaxValue.ToString(CultureInfo.InvariantCulture)));
        items.Add(Value("u64", (1UL << 63).ToString(CultureInfo.InvariantCulture)));
        foreach (var length in new[] { 0, 1, 31, 32, 33, 255, 256, 65535, 65536 })
        {
            items.Add(Value("str", new string('x', length)));
            items.Add(Value("bin", Convert.ToHexStringLower(Enumerable.Range(0, length).Select(i => (byte)i).ToArray())));
        }

        items.Add(Value("str", "héllo wörld ✓ 🚀"));
        items.Add(Value("map", new JsonArray()));
        items.Add(Value("arr", new JsonArray()));
        items.Add(Value("nil"));
        items.Add(Value("bool", true));
        items.Add(Value("bool", false));
        items.Add(Value("f64", "2147483648"));
        items.Add(Value("f64", "1795308569081"));
        items.Add(Value("f64", "0.5"));
        items.Add(Value("f64", "-1.25e-300"));
        items.Add(Value("arr", new JsonArray(Enumerable.Range(0, 16).Select(i => (JsonNode)Value("int", i.ToString(CultureInfo.InvariantCulture))).ToArray())));
        items.Add(Value("map", new JsonArray(Enumerable.Range(0, 16).Select(i => (JsonNode)new JsonArray($"k{i}", Value("nil"))).ToArray())));
        while (items.Count < count)
        {
            items.Add(Random(random, 0));
        }

        return items;
    }

    private static JsonObject Random(Random random, int depth)
    {
        var kind = random.Next(depth > 2 ? 8 : 10);
        switch (kind)
        {
            case 0: return Value("nil");
            case 1: return Value("bool", random.Next(2) == 1);
            case 2:
                var small = random.Next(3) switch
                {
                    0 => random.Next(-40, 300),
                    1 => random.Next(-70000, 70000),
                    _ => random.Next(int.MinValue, int.MaxValue),
                };
                return Value("int", small.ToString(CultureInfo.InvariantCulture));
            case 3: return Value("i64", random.NextInt64(long.MinValue, long.MaxValue).ToString(CultureInfo.InvariantCulture));
            case 4: return Value("u64", (((ulong)random.NextInt64() << 1) + (ulong)(uint)random.Next(2)).ToString(CultureInfo.InvariantCulture));
            case 5:
                var d = random.Next(2) == 0 ? random.NextDouble() * 1000 + 0.5 : (random.NextDouble() - 0.5) * 1e300;
                if (d == Math.Floor(d) && Math.Abs(d) < 2147483648d)
                {
                    d += 0.25;
                }

                return Value("f64", d.ToString("R", CultureInfo.InvariantCulture));
            case 6: return Value("str", RandomString(random));
            case 7: return Value("bin", Convert.ToHexStringLower(Enumerable.Range(0, random.Next(0, 300)).Select(_ => (byte)random.Next(256)).ToArray()));
            case 8:
                var array = new JsonArray();
                for (var i = random.Next(0, 20); i > 0; i--)
                {
                    array.Add(Random(random, depth + 1));
                }

                return Value("arr", array);
            default:
                var map = new JsonArray();
                var count = random.Next(0, 20);
                for (var i = 0; i < count; i++)
                {
                    map.Add(new JsonArray($"k{i}_{RandomString(random, 8)}", Random(random, depth + 1)));
                }

                return Value("map", map);
        }
    }

    private static string RandomString(Random random, int max = 300)
    {
        var length = random.Next(0, max);
        var sb = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            sb.Append(random.Next(10) switch
            {
                0 => (char)random.Next(0x80, 0x800),
                1 => (char)random.Next(0x800, 0xd800),
                2 => "😀",
                _ => (char)random.Next(0x20, 0x7f),
            });
        }

        return sb.ToString();
    }

    public static byte[] Encode(JsonObject value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Write(new MsgPackWriter(buffer), value);
        return buffer.WrittenSpan.ToArray();
    }

    private static void Write(MsgPackWriter writer, JsonObject value)
    {
        var t = (string)value["t"]!;
        var v = value["v"];
        switch (t)
        {
            case "nil": writer.WriteNil(); break;
            case "bool": writer.WriteBoolean((bool)v!); break;
            case "int": writer.WriteInt64(long.Parse((string)v!, CultureInfo.InvariantCulture)); break;
            case "i64": writer.WriteInt64Fixed(long.Parse((string)v!, CultureInfo.InvariantCulture)); break;
            case "u64": writer.WriteUInt64Fixed(ulong.Parse((string)v!, CultureInfo.InvariantCulture)); break;
            case "f64": writer.WriteDouble(double.Parse((string)v!, CultureInfo.InvariantCulture)); break;
            case "f32": writer.WriteSingle(float.Parse((string)v!, CultureInfo.InvariantCulture)); break;
            case "str": writer.WriteString((string)v!); break;
            case "bin": writer.WriteBinary(Convert.FromHexString((string)v!)); break;
            case "arr":
                var items = v!.AsArray();
                writer.WriteArrayHeader(items.Count);
                foreach (var item in items)
                {
                    Write(writer, item!.AsObject());
                }

                break;
            case "map":
                var entries = v!.AsArray();
                writer.WriteMapHeader(entries.Count);
                foreach (var entry in entries)
                {
                    writer.WriteString((string)entry![0]!);
                    Write(writer, entry[1]!.AsObject());
                }

                break;
            default: throw new ArgumentException($"unknown corpus type {t}");
        }
    }

    /// <summary>Canonical text of a corpus value or of a decode described by crosscheck.js.</summary>
    public static string Canon(JsonNode? node)
    {
        var value = node!.AsObject();
        var t = (string)value["t"]!;
        var v = value["v"];
        return t switch
        {
            "nil" => "nil",
            "bool" => (bool)v! ? "true" : "false",
            "int" or "i64" or "u64" => "n:" + (string)v!,
            "f32" => Number(float.Parse((string)v!, NumberStyles.Float, CultureInfo.InvariantCulture)),
            "f64" or "num" => Number(double.Parse((string)v!, NumberStyles.Float, CultureInfo.InvariantCulture)),
            "str" => "s:" + (string)v!,
            "bin" => "x:" + (string)v!,
            "arr" => "[" + string.Join(",", v!.AsArray().Select(Canon)) + "]",
            "map" => "{" + string.Join(",", v!.AsArray().Select(e => (string)e![0]! + "=" + Canon(e[1]))) + "}",
            _ => $"?{t}:{v}",
        };
    }

    /// <summary>Canonical text of a value decoded by <see cref="MsgPackTree"/>.</summary>
    public static string Canon(object? value) => value switch
    {
        null => "nil",
        bool b => b ? "true" : "false",
        long l => "n:" + l.ToString(CultureInfo.InvariantCulture),
        ulong u => "n:" + u.ToString(CultureInfo.InvariantCulture),
        double d => Number(d),
        float f => Number(f),
        string s => "s:" + s,
        byte[] bytes => "x:" + Convert.ToHexStringLower(bytes),
        Dictionary<string, object?> map => "{" + string.Join(",", map.Select(e => e.Key + "=" + Canon(e.Value))) + "}",
        List<object?> list => "[" + string.Join(",", list.Select(Canon)) + "]",
        _ => "?" + value,
    };

    private static string Number(double d) =>
        d == Math.Floor(d) && Math.Abs(d) < 9.2e18 ? "n:" + ((long)d).ToString(CultureInfo.InvariantCulture) : "n:" + d.ToString("R", CultureInfo.InvariantCulture);
}
