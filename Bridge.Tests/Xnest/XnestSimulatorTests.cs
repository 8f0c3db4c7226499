using System.Net.WebSockets;
using Bridge.Connectors.Xnest;
using Bridge.Simulators.Xnest;
using Bridge.Tests.Infrastructure;

namespace Bridge.Tests.Xnest;

public class XnestSimulatorTests : IAsyncLifetime
{
    private readonly XnestSimulator _sim = new(new XnestSimulatorOptions { HistoryPageThreshold = 3 });

    public Task InitializeAsync() => _sim.StartAsync();

    public Task DisposeAsync() => _sim.DisposeAsync().AsTask();

    [Fact]
    public async Task Connect_sequence_is_self_member_count_members_history_then_join_to_the_joiner()
    {
        await using var client = await XnestRawClient.ConnectAsync(_sim.BaseUrl, "room1", "小明");
        var self = (await client.ReceiveAsync())!.Value;
        Assert.Equal(XnestFrameType.Self, self.Type);
        Assert.Equal(self.From, self.Text);
        Assert.Matches(@"^<\d+\.\d+\.\d+>$", self.Text);
        Assert.Equal("room1", self.Room);
        Assert.Matches(@"^\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d{1,2}:\d{1,2}$", self.SendTime);
        var count = (await client.ReceiveAsync())!.Value;
        Assert.Equal((XnestFrameType.MemberCount, 2L), (count.Type, count.Number));
        var members = (await client.ReceiveAsync())!.Value;
        Assert.Equal(XnestFrameType.Members, members.Type);
        Assert.Contains(members.Members!, m => m.Nickname == "小M机器人");
        Assert.Contains(members.Members!, m => m.Pid == self.Text && m.Nickname == "小明");
        var history = (await client.ReceiveAsync())!.Value;
        Assert.Equal(XnestFrameType.History, history.Type);
        Assert.Empty(history.History!);
        var join = (await client.ReceiveAsync())!.Value;
        Assert.Equal((XnestFrameType.Join, self.Text, "小明"), (join.Type, join.From, join.Text));
        Assert.Contains(client.ResponseHeaders!, h => h.Key.Equals("Set-Cookie", StringComparison.OrdinalIgnoreCase) && h.Value.Single().StartsWith("nickname=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Normal_text_is_echoed_to_everyone_and_the_robot_answers_every_at_text()
    {
        var watcher = _sim.AddMember("r", "watcher");
        await using var client = await XnestRawClient.ConnectAsync(_sim.BaseUrl, "r", "c");
        var self = (await client.ReceiveAsync())!.Value.Text!;
        await client.SendAsync("大家好");
        var echo = (await client.ReceiveUntilAsync(f => f.Type == XnestFrameType.Normal)).Last();
        Assert.Equal((self, "大家好"), (echo.From, echo.Text));
        await client.SendAsync("@robot hi");
        var frames = await client.ReceiveUntilAsync(f => f.Type == XnestFrameType.Normal && f.From == _sim.Room("r")!.Robot.Pid);
        Assert.Equal(" Sorry, I Don't Understand! ", frames[^1].Text);
        Assert.Equal("@robot hi", frames[^2].Text);
        await Eventually.TrueAsync(() => watcher.Received.Count(f => f.Type == XnestFrameType.Normal) == 3, TimeSpan.FromSeconds(5), "the watcher got all three");
        Assert.Empty(_sim.Commands);
    }

    [Fact]
    public async Task Commands_run_as_documented()
    {
        var other = _sim.AddMember("c", "other");
        var elsewhere = _sim.AddMember("d", "elsewhere");
        await using var client = await XnestRawClient.ConnectAsync(_sim.BaseUrl, "c", "me");
        var self = (await client.ReceiveAsync())!.Value.Text!;
        await client.SendAsync("@changename:新:名");
        var rename = (await client.ReceiveUntilAsync(f => f.Type == XnestFrameType.ChangeName)).Last();
        Assert.Equal((self, "新:名"), (rename.From, rename.Text));

        await client.SendAsync($"@to:{other.Pid}|psst|more");
        await client.SendAsync($"@to:{elsewhere.Pid}|across rooms");
        await Eventually.TrueAsync(() => elsewhere.Received.Any(f => f.Type == XnestFrameType.Private), TimeSpan.FromSeconds(5), "the private message crossed rooms");
        var priv = other.Received.Single(f => f.Type == XnestFrameType.Private);
        Assert.Equal((self, "psst|more", "c"), (priv.From, priv.Text, priv.Room));
        Assert.Equal("d", elsewhere.Received.Single(f => f.Type == XnestFrameType.Private).Room);

        await client.SendAsync("@to:bad|x");
        var error = (await client.ReceiveUntilAsync(f => f.Type == XnestFrameType.Error)).Last();
        Assert.Equal("history Cursor error", error.Text);
        await client.SendAsync("@history:abc");
        Assert.Equal("history Cursor error", (await client.ReceiveUntilAsync(f => f.Type == XnestFrameType.Error)).Last().Text);

        await client.SendAsync("@call:x|ring");
        var call = (await client.ReceiveUntilAsync(f => f.Type == XnestFrameType.Call)).Last();
        Assert.Equal("ring", call.Text);

        await client.SendAsync("@to:no-bar");
        var normal = (await client.ReceiveUntilAsync(f => f.Type == XnestFrameType.Normal)).Last();
        Assert.Equal("@to:no-bar", normal.Text);
        Assert.Equal(["changename", "to", "to", "to", "history", "call"], _sim.Commands.Select(c => c.Name));
        Assert.DoesNotContain(_sim.Room("c")!.Robot.Received, f => f.Type == XnestFrameType.Private);
    }

    [Fact]
    public async Task History_pages_hold_threshold_plus_one_items_newest_page_at_cursor_zero()
    {
        var member = _sim.AddMember("h", "m");
        for (var i = 1; i <= 10; i++)
        {
            member.Send($"m{i}");
        }

        await using var client = await XnestRawClient.ConnectAsync(_sim.BaseUrl, "h", "reader");
        var history = (await client.ReceiveUntilAsync(f => f.Type == XnestFrameType.History)).Last();
        Assert.Equal(["m9", "m10"], history.History!.Select(h => h.Payload));
        Assert.All(history.History!, h => Assert.Matches(@"^\d{4}-\d{2}-\d{2}$", h.SendTime));
        Assert.All(history.History!, h => Assert.Equal("text", h.Type));
        async Task<string[]> Page(string n)
        {
            await client.SendAsync("@history:" + n);
            return (await client.ReceiveUntilAsync(f => f.Type == XnestFrameType.History)).Last().History!.Select(h => h.Payload).ToArray();
        }

        Assert.Equal(["m5", "m6", "m7", "m8"], await Page("1"));
        Assert.Equal(["m1", "m2", "m3", "m4"], await Page("2"));
        Assert.Equal(["m1", "m2", "m3", "m4"], await Page("99"));
        Assert.Empty(await Page("-1"));
    }

    [Fact]
    public async Task Binary_uploads_become_url_payloads_served_over_http_and_an_empty_one_closes_with_1011()
    {
        await using var client = await XnestRawClient.ConnectAsync(_sim.BaseUrl, "u", "up");
        await client.SendAsync([1, 0xAA, 0xBB], WebSocketMessageType.Binary);
        var audio = (await client.ReceiveUntilAsync(f => f.Type == XnestFrameType.Audio)).Last();
        await client.SendAsync([2, 0x01], WebSocketMessageType.Binary);
        var picture = (await client.ReceiveUntilAsync(f => f.Type == XnestFrameType.Picture)).Last();
        await client.SendAsync([9, 0x02], WebSocketMessageType.Binary);
        var file = (await client.ReceiveUntilAsync(f => f.Type == XnestFrameType.File)).Last();
        using var http = new HttpClient();
        Assert.Equal(new byte[] { 0xAA, 0xBB }, await http.GetByteArrayAsync(audio.Text));
        Assert.Equal(new byte[] { 0x01 }, await http.GetByteArrayAsync(picture.Text));
        Assert.Equal(new byte[] { 0x02 }, await http.GetByteArrayAsync(file.Text));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync(new Uri(audio.Text! + "0"))).StatusCode);
        Assert.Equal(["audio", "picture"], _sim.Room("u")!.History.Page(0).Select(h => h.Type));

        var watcher = _sim.AddMember("u", "watcher");
        await client.SendAsync([], WebSocketMessageType.Binary);
        while (await client.ReceiveAsync() is not null)
        {
        }

        Assert.Equal(WebSocketCloseStatus.InternalServerError, client.CloseStatus);
        await Eventually.TrueAsync(() => watcher.Received.Any(f => f.Type == XnestFrameType.Leave), TimeSpan.FromSeconds(5), "the leave was broadcast");
    }

    [Fact]
    public async Task Invalid_utf8_text_closes_with_1007()
    {
        await using var client = await XnestRawClient.ConnectAsync(_sim.BaseUrl, "v", "bad");
        await client.SendAsync([0xC3, 0x28], WebSocketMessageType.Text);
        while (await client.ReceiveAsync() is not null)
        {
        }

        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, client.CloseStatus);
    }

    [Fact]
    public async Task The_http_rpc_answers_members_member_count_history_and_404()
    {
        var member = _sim.AddMember("rpc", "m");
        member.Send("kept");
        using var http = new HttpClient();
        async Task<string> Call(string method) =>
            await (await http.PostAsync(new Uri($"http://127.0.0.1:{_sim.Port}/xgate/http"), new StringContent($$$"""{"request_id":"r1","method":"{{{method}}}","params":{"xnest":"rpc","count":0}}"""))).Content.ReadAsStringAsync();

        Assert.Equal("""{"request_id":"r1","result":2}""", await Call("member_count"));
        var members = System.Text.Json.Nodes.JsonNode.Parse(await Call("members"))!["result"]!.AsArray();
        Assert.Contains(members, m => m![0]!.GetValue<string>() == member.Pid && m[1]!.GetValue<string>() == "m");
        Assert.Contains("\"payload\":\"kept\"", await Call("history"), StringComparison.Ordinal);
        Assert.Equal("""{"request_id":"r1","result":"404"}""", await Call("nope"));
    }

    [Fact]
    public async Task Without_a_nickname_the_server_picks_a_random_name()
    {
        await using var client = await XnestRawClient.ConnectAsync(_sim.BaseUrl, "anon", nickname: null);
        var frames = await client.ReceiveUntilAsync(f => f.Type == XnestFrameType.Join);
        Assert.False(string.IsNullOrEmpty(frames[^1].Text));
        Assert.NotEqual("小M机器人", frames[^1].Text);
    }

    [Fact]
    public async Task Store_history_is_fixed_by_the_first_joiner()
    {
        await using (var first = await XnestRawClient.ConnectAsync(_sim.BaseUrl, "nostore", "a", storeHistory: "false"))
        {
            await first.ReceiveAsync();
            await using var second = await XnestRawClient.ConnectAsync(_sim.BaseUrl, "nostore", "b", storeHistory: "true");
            await second.SendAsync("not kept");
            await second.ReceiveUntilAsync(f => f.Type == XnestFrameType.Normal);
            Assert.False(_sim.Room("nostore")!.StoreHistory);
            Assert.Empty(_sim.Room("nostore")!.History.Page(0));
        }
    }
}

public class XnestSimulatorLifetimeTests
{
    [Fact]
    public async Task A_room_with_only_the_robot_left_stops_and_the_next_joiner_gets_a_new_room()
    {
        await using var sim = new XnestSimulator(new XnestSimulatorOptions { RoomIdleStop = TimeSpan.FromMilliseconds(200), RoomTick = TimeSpan.FromMilliseconds(50) });
        await sim.StartAsync();
        var member = sim.AddMember("idle", "m");
        var firstRobot = sim.Room("idle")!.Robot.Pid;
        member.Send("kept");
        member.Leave();
        await Eventually.TrueAsync(() => sim.Room("idle") is null, TimeSpan.FromSeconds(5), "the idle room stopped");
        var next = sim.AddMember("idle", "n");
        Assert.NotEqual(firstRobot, sim.Room("idle")!.Robot.Pid);
        Assert.Equal("kept", next.Received.Single(f => f.Type == XnestFrameType.History).History!.Single().Payload);
    }

    [Fact]
    public async Task Restart_gives_new_pids_and_keeps_history()
    {
        await using var sim = new XnestSimulator();
        await sim.StartAsync();
        var before = sim.AddMember("r", "m");
        before.Send("x");
        await sim.RestartAsync();
        Assert.Null(sim.Room("r"));
        var after = sim.AddMember("r", "m");
        Assert.NotEqual(before.Pid, after.Pid);
        Assert.Equal(before.Pid, after.Received.Single(f => f.Type == XnestFrameType.History).History!.Single().From);
    }

    [Fact]
    public async Task Join_before_self_quirk_puts_the_join_first()
    {
        await using var sim = new XnestSimulator(new XnestSimulatorOptions { JoinBeforeSelf = true });
        await sim.StartAsync();
        var m = sim.AddMember("q", "m");
        Assert.Equal([XnestFrameType.Join, XnestFrameType.Self, XnestFrameType.MemberCount, XnestFrameType.Members, XnestFrameType.History], m.Received.Select(f => f.Type));
    }
}
