using System.Buffers;
using Bridge.Connectors.Rtm.MsgPack;

namespace Bridge.Tests.Rtm;

public sealed class MsgPackTests
{
    [Theory]
    [InlineData(0L, "00")]
    [InlineData(127L, "7f")]
    [InlineData(128L, "cc80")]
    [InlineData(255L, "ccff")]
    [InlineData(256L, "cd0100")]
    [InlineData(65535L, "cdffff")]
    [InlineData(65536L, "ce00010000")]
    [InlineData(4294967295L, "ceffffffff")]
    [InlineData(4294967296L, "cf0000000100000000")]
    [InlineData(-1L, "ff")]
    [InlineData(-32L, "e0")]
    [InlineData(-33L, "d0df")]
    [InlineData(-128L, "d080")]
    [InlineData(-129L, "d1ff7f")]
    [InlineData(-32768L, "d18000")]
    [InlineData(-32769L, "d2ffff7fff")]
    [InlineData(-2147483649L, "d3ffffffff7fffffff")]
    public void Integers_use_the_smallest_format_and_read_back(long value, string hex)
    {
        var bytes = MsgPackTree.Encode(value);
        Assert.Equal(hex, Convert.ToHexStringLower(bytes));
        Assert.Equal(value, new MsgPackReader(bytes).ReadInt64());
    }

    [Theory]
    [InlineData(31, "bf")]
    [InlineData(32, "d920")]
    [InlineData(255, "d9ff")]
    [InlineData(256, "da0100")]
    [InlineData(65536, "db00010000")]
    public void String_headers_follow_the_byte_length(int length, string header)
    {
        var bytes = MsgPackTree.Encode(new string('a', length));
        Assert.StartsWith(header, Convert.ToHexStringLower(bytes.AsSpan(0, Math.Min(bytes.Length, 5))), StringComparison.Ordinal);
        Assert.Equal(new string('a', length), new MsgPackReader(bytes).ReadString());
    }

    [Fact]
    public void Every_integer_format_reads_as_int64_including_uint64_and_integral_floats()
    {
        foreach (var (hex, expected) in new[]
        {
            ("05", 5L), ("cc05", 5L), ("cd0005", 5L), ("ce00000005", 5L), ("cf0000000000000005", 5L),
            ("d005", 5L), ("d10005", 5L), ("d200000005", 5L), ("d30000000000000005", 5L), ("ca40a00000", 5L), ("cb4014000000000000", 5L),
        })
        {
            Assert.Equal(expected, new MsgPackReader(Convert.FromHexString(hex)).ReadInt64());
        }
    }

    [Fact]
    public void Binary_that_is_utf8_reads_as_a_string_and_invalid_utf8_is_a_clear_error()
    {
        Assert.Equal("hi", new MsgPackReader(Convert.FromHexString("c4026869")).ReadString());
        var ex = Assert.Throws<MsgPackException>(() => new MsgPackReader(Convert.FromHexString("a2c328")).ReadString());
        Assert.Contains("UTF-8", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Extensions_are_skipped_safely()
    {
        // {a: fixext4, b: ext8(3 bytes), c: 1}
        var bytes = Convert.FromHexString("83a161d60101020304a162c70305aabbcca16301");
        var map = (Dictionary<string, object?>)MsgPackTree.Decode(bytes)!;
        Assert.Null(map["a"]);
        Assert.Null(map["b"]);
        Assert.Equal(1L, map["c"]);
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_rejected()
    {
        var bytes = Enumerable.Repeat((byte)0x91, 100).Append((byte)0x00).ToArray();
        var ex = Assert.Throws<MsgPackException>(() => new MsgPackReader(bytes).Skip());
        Assert.Contains("nesting", ex.Message, StringComparison.Ordinal);
        Assert.Throws<MsgPackException>(() => MsgPackTree.Decode(bytes));
    }

    [Fact]
    public void Counts_that_cannot_fit_the_input_are_rejected_before_allocating()
    {
        var ex = Assert.Throws<MsgPackException>(() => MsgPackTree.Decode(Convert.FromHexString("dd7fffffff")));
        Assert.Contains("cannot fit", ex.Message, StringComparison.Ordinal);
        Assert.Throws<MsgPackException>(() => MsgPackTree.Decode(Convert.FromHexString("db7fffffff41")));
    }

    [Fact]
    public void Round_trip_holds_for_2000_generated_values_and_every_truncation_is_a_clean_error()
    {
        var corpus = MsgPackCorpus.Generate(2000, seed: 11);
        foreach (var value in corpus)
        {
            var bytes = MsgPackCorpus.Encode(value);
            Assert.Equal(MsgPackCorpus.Canon(value), MsgPackCorpus.Canon(MsgPackTree.Decode(bytes)));
            if (bytes.Length < 200)
            {
                for (var cut = 0; cut < bytes.Length; cut++)
                {
                    Assert.Throws<MsgPackException>(() => MsgPackTree.Decode(bytes.AsSpan(0, cut)));
                }
            }
        }
    }

    [Fact]
    public void Random_bytes_never_raise_anything_but_MsgPackException()
    {
        var random = new Random(3);
        for (var i = 0; i < 20000; i++)
        {
            var bytes = new byte[random.Next(0, 40)];
            random.NextBytes(bytes);
            try
            {
                MsgPackTree.Decode(bytes);
            }
            catch (MsgPackException)
            {
                // expected for most inputs
            }
        }
    }

    [Fact]
    public void Writer_writes_into_any_buffer_writer_without_intermediate_copies()
    {
        var buffer = new ArrayBufferWriter<byte>(1);
        var writer = new MsgPackWriter(buffer);
        writer.WriteMapHeader(2);
        writer.WriteString("f");
        writer.WriteSingle(1.5f);
        writer.WriteString("u");
        writer.WriteUInt64(ulong.MaxValue);
        Assert.Equal("82a166ca3fc00000a175cfffffffffffffffff", Convert.ToHexStringLower(buffer.WrittenSpan));
    }
}
