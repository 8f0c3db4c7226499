using System.Text;
using System.Text.Json;
using Bridge.Connectors.Abstractions;

namespace Bridge.Tests.Transport;

public class Utf8StringCacheTests
{
    [Fact]
    public void A_hit_returns_the_stored_string_and_a_set_keeps_the_two_latest_values()
    {
        var cache = new Utf8StringCache(2); // one set of two ways: every value shares it
        cache.Add("alice"u8, "alice");
        Assert.True(cache.TryGet("alice"u8, out var hit));
        Assert.Equal("alice", hit);
        Assert.False(cache.TryGet("alicf"u8, out _));

        // Two values sharing a set both stay: decoding frames that carry both allocates neither.
        cache.Add("bob"u8, "bob");
        Assert.Same(hit, cache.TryGet("alice"u8, out var alice) ? alice : null);
        Assert.True(cache.TryGet("bob"u8, out var bob));
        Assert.Same(bob, cache.TryGet("bob"u8, out var again) ? again : null);

        // A third evicts the one stored first.
        cache.Add("carol"u8, "carol");
        Assert.False(cache.TryGet("alice"u8, out _));
        Assert.True(cache.TryGet("bob"u8, out _));
        Assert.True(cache.TryGet("carol"u8, out _));
    }

    [Fact]
    public void Long_values_are_not_cached()
    {
        var cache = new Utf8StringCache();
        var longValue = new string('x', Utf8StringCache.MaxValueBytes + 1);
        cache.Add(Encoding.UTF8.GetBytes(longValue), longValue);
        Assert.False(cache.TryGet(Encoding.UTF8.GetBytes(longValue), out _));
    }

    [Fact]
    public void Json_strings_come_from_the_cache_unless_escaped()
    {
        var cache = new Utf8StringCache();
        var json = """["u1","u1","u\u0031"]"""u8;
        var reader = new Utf8JsonReader(json);
        reader.Read();
        reader.Read();
        var first = Utf8StringCache.GetString(ref reader, cache);
        reader.Read();
        var second = Utf8StringCache.GetString(ref reader, cache);
        reader.Read();
        var escaped = Utf8StringCache.GetString(ref reader, cache);
        Assert.Equal(["u1", "u1", "u1"], new[] { first, second, escaped });
        Assert.Same(first, second);
        Assert.NotSame(first, escaped);
    }
}
