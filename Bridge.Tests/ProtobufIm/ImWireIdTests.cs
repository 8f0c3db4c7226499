using System.Text;
using Bridge.Connectors.ProtobufIm;

namespace Bridge.Tests.ProtobufIm;

/// <summary>
/// A push's id as a value: the same id read from frame bytes and from the generated parser's string
/// is one value (equal, same hash, same text), whether it is held inline or as a string.
/// </summary>
public class ImWireIdTests
{
    public static TheoryData<string> Ids => new()
    {
        string.Empty,
        "1730559834123000",
        "9d1c4a8e-3b7f-4e21-a0c5-6f2d8b9e1a43",
        new string('7', ImWireId.InlineCapacity),
        new string('7', ImWireId.InlineCapacity + 1),
        "ünïcødé-ид-标识",
        new string('é', ImWireId.InlineCapacity / 2),
        new string('é', (ImWireId.InlineCapacity / 2) + 1), // 25 chars, 50 bytes: a string
    };

    [Theory]
    [MemberData(nameof(Ids))]
    public void An_id_read_from_bytes_equals_the_same_id_from_its_string(string id)
    {
        var fromBytes = ImWireId.From(Encoding.UTF8.GetBytes(id));
        var fromText = ImWireId.From(id);

        Assert.Equal(fromText, fromBytes);
        Assert.True(fromBytes == fromText);
        Assert.Equal(fromText.GetHashCode(), fromBytes.GetHashCode());
        Assert.Equal(id, fromBytes.ToString());
        Assert.Equal(id, fromText.ToString());
        Assert.Equal(id.Length == 0, fromBytes.IsEmpty);
    }

    [Fact]
    public void Different_ids_differ_also_when_one_is_a_prefix_of_the_other()
    {
        var ids = new[] { "1730559834123000", "1730559834123001", "173055983412300", "17305598341230000", string.Empty, new string('x', 60), new string('x', 61) }
            .Select(ImWireId.From).ToList();

        for (var i = 0; i < ids.Count; i++)
        {
            for (var j = 0; j < ids.Count; j++)
            {
                Assert.Equal(i == j, ids[i].Equals(ids[j]));
            }
        }

        Assert.Equal(ids.Count, ids.ToHashSet().Count);
    }

    [Fact]
    public void Invalid_utf8_reads_as_protobuf_reads_it()
    {
        byte[] wire = [(byte)'m', 0xC3, (byte)'1', 0xFF];
        var expected = new UTF8Encoding(false, false).GetString(wire); // "m\uFFFD1\uFFFD", as the generated parser decodes it

        var id = ImWireId.From(wire);

        Assert.Equal(expected, id.ToString());
        Assert.Equal(ImWireId.From(expected), id);
        Assert.Equal(ImWireId.From(expected).GetHashCode(), id.GetHashCode());
    }

    [Fact]
    public void A_string_with_a_lone_surrogate_keeps_its_text()
    {
        var text = "id-\uD800-x";

        Assert.Equal(text, ImWireId.From(text).ToString());
        Assert.NotEqual(ImWireId.From("id-\uFFFD-x"), ImWireId.From(text));
    }
}
