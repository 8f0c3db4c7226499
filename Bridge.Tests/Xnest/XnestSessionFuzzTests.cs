using System.Net.WebSockets;
using System.Text;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Xnest;
using Bridge.Contracts.V1;
using Bridge.Simulators.Hosting;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.Xnest;

public class XnestSessionFuzzTests(ITestOutputHelper output)
{
    private static byte[] Frame(string from, string type, string payloadJson) =>
        Encoding.UTF8.GetBytes($$"""{"from":"{{from}}","xnest":"fz","type":"{{type}}","payload":{{payloadJson}},"send_time":"2015-4-8 14:2:6"}""");

    [Fact]
    public async Task Ten_thousand_garbage_frames_do_not_break_a_live_session_and_it_recovers_after_a_close()
    {
        var connections = 0;
        var random = new Random(77);
        var seeds = XnestCodecTests.Lines.Select(Encoding.UTF8.GetBytes).ToArray();
        await using var server = new SimulatorServer(routes => SimulatorServer.MapWebSocket(routes, "/xgate/websocket/{room}", async (_, socket) =>
        {
            var n = Interlocked.Increment(ref connections);
            var me = $"<0.{n}.0>";
            async Task Send(byte[] data, WebSocketMessageType type = WebSocketMessageType.Text) => await socket.SendAsync(data, type, true, default);
            await Send(Frame(me, "self", $"\"{me}\""));
            await Send(Frame(me, "members", $$"""[{"pid":"{{me}}","nickname":"bridge"},{"pid":"<0.9.0>","nickname":"fuzzer"}]"""));
            await Send(Frame(me, "history", "[]"));
            if (n == 1)
            {
                for (var i = 0; i < 10_000; i++)
                {
                    // Invalid UTF-8 cannot travel in a text frame (the WebSocket layer rejects it); it goes binary.
                    var garbage = XnestFuzz.Frame(random, seeds);
                    await Send(garbage, i % 50 == 0 || !System.Text.Unicode.Utf8.IsValid(garbage) ? WebSocketMessageType.Binary : WebSocketMessageType.Text);
                }
            }

            await Send(Frame("<0.9.0>", "normal", $"\"survivor {n}\""));
            if (n == 1)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.InternalServerError, null, default);
                return;
            }

            await WebSocketIo.ReadMessageAsync(socket, 1 << 20, default);
        }));
        await server.StartAsync();

        var loggers = TestLoggerProvider.Factory(output, out _);
        var sink = new RecordingSink();
        var options = XnestRig.TestOptions(server.WebSocketUrl("/xgate/websocket"));
        var context = new ConnectorContext("xn", [new EndpointRef("xn", EndpointKind.Room, "fz")], new MemoryCursorStore(), loggers, TimeProvider.System);
        await using var connector = new XnestConnector(context, options);
        using var stop = new CancellationTokenSource();
        var run = connector.RunAsync(sink, stop.Token);
        await Eventually.TrueAsync(() => sink.Posted.Any(p => p.Body.Text == "survivor 2"), TimeSpan.FromSeconds(30), "the session survived the garbage and came back after the close");
        Assert.Contains(sink.Posted, p => p.Body.Text == "survivor 1");
        Assert.Equal(1, connector.Reconnects("fz"));
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        loggers.Dispose();
    }
}

public class XnestChangeNameTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(true, "other", true)]
    [InlineData(true, "bridge", false)]
    [InlineData(false, "other", false)]
    public async Task ChangeName_is_sent_only_when_configured_and_the_room_shows_another_name(bool configured, string shownName, bool expectCommand)
    {
        var received = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var server = new SimulatorServer(routes => SimulatorServer.MapWebSocket(routes, "/xgate/websocket/{room}", async (_, socket) =>
        {
            static byte[] Frame(string type, string payload) =>
                Encoding.UTF8.GetBytes($$"""{"from":"<0.5.0>","xnest":"cn","type":"{{type}}","payload":{{payload}},"send_time":"2015-4-8 14:2:6"}""");
            await socket.SendAsync(Frame("self", "\"<0.5.0>\""), WebSocketMessageType.Text, true, default);
            await socket.SendAsync(Frame("members", $$"""[{"pid":"<0.5.0>","nickname":"{{shownName}}"}]"""), WebSocketMessageType.Text, true, default);
            await socket.SendAsync(Frame("history", "[]"), WebSocketMessageType.Text, true, default);
            await socket.SendAsync(Frame("normal", "\"sync\""), WebSocketMessageType.Text, true, default);
            while (await WebSocketIo.ReadMessageAsync(socket, 1 << 20, default) is { } m)
            {
                received.Enqueue(Encoding.UTF8.GetString(m.Data));
            }
        }));
        await server.StartAsync();
        var loggers = TestLoggerProvider.Factory(output, out _);
        var sink = new RecordingSink();
        var options = XnestRig.TestOptions(server.WebSocketUrl("/xgate/websocket")) with { ChangeName = configured, SendTimeout = TimeSpan.FromMilliseconds(300) };
        var context = new ConnectorContext("xn", [new EndpointRef("xn", EndpointKind.Room, "cn")], new MemoryCursorStore(), loggers, TimeProvider.System);
        await using var connector = new XnestConnector(context, options);
        using var stop = new CancellationTokenSource();
        var run = connector.RunAsync(sink, stop.Token);
        await Eventually.TrueAsync(() => connector.Status.State == SessionState.Connected, TimeSpan.FromSeconds(10), "connected");
        if (expectCommand)
        {
            // The rename goes out on its own after the member list arrives; the marker follows it.
            await Eventually.TrueAsync(() => received.Contains("@changename:bridge"), TimeSpan.FromSeconds(5), "the rename was sent");
        }

        var sent = await connector.SendAsync(XnestRig.Message(XnestRig.RoomRef("cn"), "marker") with { Target = new EndpointRef("xn", EndpointKind.Room, "cn") }, default);
        Assert.Equal(SendFailureKind.Timeout, sent.Failure); // this fake never echoes
        string[] expected = expectCommand ? ["@changename:bridge", "marker"] : ["marker"];
        await Eventually.TrueAsync(() => received.Count >= expected.Length, TimeSpan.FromSeconds(5), "the fake server read what the connector wrote");
        Assert.Equal(expected, received.ToArray());
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        loggers.Dispose();
    }
}
