using Bridge.Connectors.Xnest;

namespace Bridge.Tests.Xnest;

public class XnestClientFramesTests
{
    [Theory]
    [InlineData("@to:<0.31891.2>|x", "＠to:<0.31891.2>|x")]
    [InlineData("@changename:x", "＠changename:x")]
    [InlineData("@history:0", "＠history:0")]
    [InlineData("@call:a|b", "＠call:a|b")]
    [InlineData("@robot", "＠robot")]
    [InlineData("@", "＠")]
    [InlineData("＠already", "＠＠already")]
    [InlineData("hello @to:x|y", "hello @to:x|y")]
    [InlineData("", "")]
    public void Neutralize_makes_leading_at_visible_and_inert(string text, string expected)
    {
        var neutral = XnestClientFrames.Neutralize(text);
        Assert.Equal(expected, neutral);
        Assert.False(XnestClientFrames.IsActive(neutral));
        Assert.Equal(text, XnestClientFrames.Restore(neutral));
    }

    [Fact]
    public void Neutralize_is_reversible_for_any_text()
    {
        var random = new Random(99);
        for (var i = 0; i < 5000; i++)
        {
            var prefix = random.Next(4) switch { 0 => "@", 1 => "＠", 2 => "＠＠", _ => string.Empty };
            var text = prefix + XnestCodecTests.RandomText(random);
            var neutral = XnestClientFrames.Neutralize(text);
            Assert.False(XnestClientFrames.IsActive(neutral));
            Assert.Equal(text, XnestClientFrames.Restore(neutral));
        }
    }

    [Fact]
    public void Client_frames_match_the_documented_examples()
    {
        Assert.Equal("@to:<0.31891.2>|今天你吃饭了吗?", XnestClientFrames.DirectMessage("<0.31891.2>", "今天你吃饭了吗?"));
        Assert.Equal("@changename:黑旋风李逵", XnestClientFrames.ChangeName("黑旋风李逵"));
        Assert.Equal("@history:0", XnestClientFrames.HistoryRequest(0));
        Assert.Equal("@history:1", XnestClientFrames.HistoryRequest(1));
        Assert.Equal(new byte[] { 1, 0xAA, 0xBB }, XnestClientFrames.Upload(XnestClientFrames.AudioUpload, [0xAA, 0xBB]));
        Assert.Equal(new byte[] { 2, 0x01 }, XnestClientFrames.Upload(XnestClientFrames.PictureUpload, [0x01]));
        Assert.Throws<ArgumentException>(() => XnestClientFrames.Upload(XnestClientFrames.FileUpload, []));
    }

    [Theory]
    [InlineData("<0.31891.2>", true)]
    [InlineData("<1.2.3>", true)]
    [InlineData("<0.31891>", false)]
    [InlineData("<0..2>", false)]
    [InlineData("0.31891.2", false)]
    [InlineData("<a.b.c>", false)]
    [InlineData("<0.1.2.3>", false)]
    [InlineData("", false)]
    public void Pids_must_look_like_erlang_pids(string pid, bool valid) => Assert.Equal(valid, XnestClientFrames.IsPid(pid));

    [Fact]
    public void Send_times_are_unpadded_and_reduce_to_one_date_key()
    {
        var t = new DateTime(2015, 4, 8, 14, 2, 6);
        Assert.Equal("2015-4-8 14:2:6", XnestSendTime.FormatLive(t));
        Assert.Equal("2015-04-08", XnestSendTime.FormatDate(t));
        Assert.Equal("2015-04-08", XnestSendTime.DateKey("2015-4-8 14:2:6"));
        Assert.Equal("2015-06-24", XnestSendTime.DateKey("2015-06-24"));
        Assert.Equal("garbage", XnestSendTime.DateKey("garbage"));
    }
}

public class XnestSeenWindowTests
{
    [Fact]
    public void A_larger_window_is_checkpointed_less_often_so_a_busy_room_writes_a_bounded_amount()
    {
        var second = TimeSpan.FromSeconds(1);
        var window = new XnestSeenWindow(4096);
        Assert.Equal(second, window.CheckpointEvery(second)); // empty

        for (var i = 0; i < XnestSeenWindow.EntriesPerInterval; i++)
        {
            window.Next(new XnestMessageKey(false, "<0.1.0>", "2026-12-06", (ulong)i));
        }

        Assert.Equal(second, window.CheckpointEvery(second));
        window.Next(new XnestMessageKey(false, "<0.1.0>", "2026-12-06", ulong.MaxValue));
        Assert.Equal(2 * second, window.CheckpointEvery(second));

        for (var i = 0; i < 4096; i++)
        {
            window.Next(new XnestMessageKey(false, "<0.2.0>", "2026-12-06", (ulong)i));
        }

        Assert.Equal(4096, window.Count);
        Assert.Equal(16 * second, window.CheckpointEvery(second));
        Assert.InRange(window.Serialize().Length / window.CheckpointEvery(second).TotalSeconds, 1, 16 * 1024); // chars a second
    }

    private static XnestMessageKey Key(string pid, string text, string time = "2015-4-8 14:2:6") => XnestMessageKey.For(false, pid, time, text);

    [Fact]
    public void A_live_message_and_its_history_copy_share_key_and_derived_id()
    {
        var live = Key("<0.1.0>", "hi", "2015-4-8 14:2:6");
        var history = Key("<0.1.0>", "hi", "2015-04-08");
        Assert.Equal(live, history);
        Assert.Equal(live.NativeId("room", 1), history.NativeId("room", 1));
        Assert.NotEqual(live.NativeId("room", 1), live.NativeId("room", 2));
        Assert.NotEqual(live, Key("<0.1.0>", "hi", "2015-4-9 0:0:1"));
        Assert.NotEqual(live, XnestMessageKey.For(true, "<0.1.0>", "2015-4-8 14:2:6", "hi"));
    }

    [Fact]
    public void Counts_occurrences_and_evicts_the_least_recently_used()
    {
        var window = new XnestSeenWindow(2);
        Assert.Equal(1, window.Next(Key("a", "x")));
        Assert.Equal(2, window.Next(Key("a", "x")));
        window.Next(Key("b", "y"));
        window.Next(Key("a", "x"));
        window.Next(Key("c", "z"));
        Assert.Equal(3, window.Seen(Key("a", "x")));
        Assert.Equal(0, window.Seen(Key("b", "y")));
        Assert.Equal(2, window.Count);
    }

    [Fact]
    public void Serializes_and_parses_back()
    {
        var window = new XnestSeenWindow(100) { Initialized = true };
        window.Next(Key("<0.1.0>", "x"));
        window.Next(Key("<0.1.0>", "x"));
        window.Next(Key("<0.2.0>", "中文"));
        window.Ignore("<0.9.0>");
        var state = window.Serialize();
        Assert.False(window.Dirty);
        var back = XnestSeenWindow.Parse(state, 100);
        Assert.True(back.Initialized);
        Assert.Equal(2, back.Seen(Key("<0.1.0>", "x")));
        Assert.Equal(1, back.Seen(Key("<0.2.0>", "中文")));
        Assert.True(back.IsIgnored("<0.9.0>"));
        Assert.Equal(state, back.Serialize());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{\"v\":2}")]
    [InlineData("{\"v\":1,\"ignore\":[],\"seen\":[[0,\"a\"]]}")]
    public void Unreadable_state_gives_an_uninitialised_window(string? state)
    {
        var window = XnestSeenWindow.Parse(state, 10);
        Assert.False(window.Initialized);
        Assert.Equal(0, window.Count);
    }
}
