using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Configuration;
using Bridge.Connectors.Rtm;
using Bridge.Contracts.V1;
using Bridge.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bridge.Tests.Rtm;

/// <summary>
/// A live push must not move an endpoint's catch-up cursor before this session's catch-up of that
/// endpoint is complete. In a RandomDropTests run a session dropped 66 ms after login: live pushes
/// had moved the cursor past four messages the catch-up had not reached yet, and the next catch-up
/// started after them, so they were never relayed.
/// </summary>
public sealed class RtmInboundCursorTests
{
    private const string Room = "room/1001";

    [Fact]
    public async Task A_durable_live_push_moves_the_cursor_only_once_the_catch_up_of_its_endpoint_is_complete()
    {
        var cursors = new RtmCursorBook("rtm", new MemoryCursorStore(), [Room]);
        var sink = new RecordingSink();
        await using (var inbound = NewInbound(cursors, sink))
        {
            // Durable (the sink has it, a loaded machine may take a while), yet no cursor: the
            // endpoint's catch-up is not complete.
            await inbound.AcceptAsync("pushroommsg", 1, Push(mid: 1, mtime: 5_000), CancellationToken.None);
            await Eventually.TrueAsync(() => sink.Posted.Count == 1, TimeSpan.FromSeconds(5), "the push reached the sink");
            await Task.Delay(100);
            Assert.Null(await cursors.GetAsync(Room, CancellationToken.None));

            inbound.CaughtUp(Room);
            await Eventually.TrueAsync(async () => await cursors.GetAsync(Room, CancellationToken.None) == 5_000, TimeSpan.FromSeconds(5), "the cursor moved to the durable push once caught up");

            await inbound.AcceptAsync("pushroommsg", 2, Push(mid: 2, mtime: 6_000), CancellationToken.None);
            await Eventually.TrueAsync(async () => await cursors.GetAsync(Room, CancellationToken.None) == 6_000, TimeSpan.FromSeconds(5), "the cursor followed the next push");
        }
    }

    [Fact]
    public async Task A_session_that_ends_before_its_catch_up_is_complete_leaves_the_cursor_where_it_was()
    {
        var store = new MemoryCursorStore();
        var cursors = new RtmCursorBook("rtm", store, [Room]);
        await using (var inbound = NewInbound(cursors))
        {
            await inbound.AcceptAsync("pushroommsg", 1, Push(mid: 1, mtime: 5_000), CancellationToken.None);
            await Task.Delay(100);
        }

        Assert.Null(await store.GetCursorAsync("rtm", Room, CancellationToken.None));
        Assert.Null(await cursors.GetAsync(Room, CancellationToken.None));
    }

    private static RtmInbound NewInbound(RtmCursorBook cursors, RecordingSink? sink = null)
    {
        var options = new RtmOptions { Pid = 1, Uid = 900001, Token = new Secret("t") };
        var link = new RtmLink(new SilentFrameConnection(), TimeSpan.FromSeconds(5), "rtm");
        return new RtmInbound("rtm", options, sink ?? new RecordingSink(), link, cursors, TimeProvider.System, NullLogger.Instance, _ => { });
    }

    private static RtmPush Push(long mid, long mtime) => new(RtmConversationType.Room, 123, 1001, mid, RtmMtypes.Chat, $"hello {mid}", string.Empty, mtime);
}
