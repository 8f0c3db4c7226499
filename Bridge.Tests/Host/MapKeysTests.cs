using Bridge.Host.Store;

namespace Bridge.Tests.Host;

public sealed class MapKeysTests
{
    [Fact]
    public void An_event_key_is_the_ids_first_eight_bytes_as_stored_and_sorts_in_its_slice()
    {
        var id = Guid.Parse("80112233-4455-6677-8899-aabbccddeeff");
        Assert.Equal(unchecked((long)0x8011223344556677UL), MapKeys.Event(id));
        Assert.Equal(MapKeys.Event(id), MapKeys.Event(Convert.FromHexString("80112233445566778899AABBCCDDEEFF")));

        var (low, high) = MapKeys.Slice(0x80);
        Assert.InRange(MapKeys.Event(id), low, high);
        Assert.Equal(long.MinValue, MapKeys.Slice(0x80).Low);
        Assert.Equal(long.MaxValue, MapKeys.Slice(0x7F).High);
        Assert.Equal(-1L, MapKeys.Slice(0xFF).High);
        Assert.Equal(0L, MapKeys.Slice(0x00).Low);
    }

    [Fact]
    public void A_native_key_is_stable_and_tells_connector_from_id()
    {
        // Stored in the index file: a build that hashed differently would find nothing it wrote before.
        Assert.Equal(MapKeys.Native("alpha", "n1"), MapKeys.Native("alpha", "n1"));
        Assert.Equal(-7_267_232_872_032_329_820L, MapKeys.Native("alpha", "n1")); // FNV-1a 64 and the final mix, computed apart
        Assert.NotEqual(MapKeys.Native("alpha", "n1"), MapKeys.Native("alphan", "1"));
        Assert.NotEqual(MapKeys.Native("alpha", "n1"), MapKeys.Native("alpha", "n2"));
    }

    [Fact]
    public void Native_keys_spread_over_every_slice()
    {
        var slices = new HashSet<int>();
        for (var i = 0; i < 20_000; i++)
        {
            slices.Add((int)((ulong)MapKeys.Native("erl", $"msg-{i}") >> 56));
        }

        Assert.Equal(256, slices.Count);
    }
}
