using Bridge.Connectors.ProtobufIm;
using Bridge.Contracts.V1;
using Bridge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.Tests.ProtobufIm;

/// <summary>
/// The v1 server drops pushes when a connection's write buffer is full and never redelivers them.
/// The connector notices (a sender's seq gap, or its own read loop falling behind) and fetches
/// them through SYNC while staying connected.
/// </summary>
public sealed class ProtobufImLiveFillTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Pushes_dropped_by_a_full_server_buffer_are_fetched_when_the_next_push_shows_the_gap()
    {
        await using var rig = await ImRig.StartAsync(output, o => o.WriteBufferFrames = 32);
        var connector = await rig.RunConnectedAsync();
        rig.Simulator.SendDirect("alice", ImRig.Bridge, "before");
        await rig.Sink.WaitForAsync<MessagePosted>(1);

        // The connection stops draining: 32 or 33 pushes fit the server's buffer (and its write pump),
        // the rest are dropped. Usually the dropped ones are the last; when the pump took a push
        // while the burst was being written, a later one got the freed place and already shows the gap.
        rig.Simulator.Stall(ImRig.Bridge, true);
        for (var i = 0; i < 60; i++)
        {
            rig.Simulator.SendDirect("alice", ImRig.Bridge, $"m{i}");
        }

        rig.Simulator.Stall(ImRig.Bridge, false);
        var dropped = (int)rig.Simulator.DroppedFrames;
        Assert.True(dropped >= 20, $"dropped {dropped}");
        await rig.Sink.WaitForAsync<MessagePosted>(61 - dropped);
        await Task.Delay(300);
        if (rig.Logs.Lines.Any(l => l.Contains("skips past the last one seen", StringComparison.Ordinal)))
        {
            await rig.Sink.WaitForAsync<MessagePosted>(61); // a surviving later push showed the gap: filled already
        }
        else
        {
            Assert.Equal(61 - dropped, rig.Sink.Posted.Count); // a tail loss shows only with the next push
        }

        rig.Simulator.SendDirect("alice", ImRig.Bridge, "after");
        var posted = await rig.Sink.WaitForAsync<MessagePosted>(62);

        Assert.Equal(["before", .. Enumerable.Range(0, 60).Select(i => $"m{i}"), "after"], posted.Select(p => p.Body.Text));
        Assert.Equal(62, rig.Sink.Calls);
        Assert.Equal(0, connector.Reconnects);
        // The held pushes are released just before the fill is counted as done.
        await Eventually.TrueAsync(() => connector.CompletedFills >= 1, TimeSpan.FromSeconds(5), "a live fill completed");
    }

    [Fact]
    public async Task Pushes_dropped_while_the_connector_fell_behind_are_fetched_once_it_caught_up()
    {
        const int count = 400;
        await using var rig = await ImRig.StartAsync(output, o => o.WriteBufferFrames = 16);
        rig.Sink.DurableDelay = TimeSpan.FromMilliseconds(20);
        var connector = await rig.RunConnectedAsync(rig.Options() with { MaxInFlight = 4, RequestTimeout = TimeSpan.FromSeconds(5) });
        // 8 KB each, so the socket buffers between the server and the connector cannot absorb the
        // burst and the server's own 16-frame buffer must overflow.
        var padding = new string('x', 8 * 1024);
        for (var i = 0; i < count; i++)
        {
            rig.Simulator.SendDirect(i % 3 == 0 ? "bob" : "alice", ImRig.Bridge, $"m{i} {padding}");
        }

        var posted = await rig.Sink.WaitForAsync<MessagePosted>(count, TimeSpan.FromSeconds(30));
        output.WriteLine($"dropped by the server: {rig.Simulator.DroppedFrames}, fills: {connector.CompletedFills}, sink calls: {rig.Sink.Calls}");

        Assert.True(rig.Simulator.DroppedFrames > 0, "the server buffer never overflowed: the test did not test anything");
        Assert.Equal(count, posted.Select(p => p.Body.Text).Distinct().Count());
        Assert.Equal(count, rig.Sink.Calls);
        Assert.Equal(0, connector.Reconnects);
    }

    [Fact]
    public void An_open_gap_keeps_the_cursor_from_treating_or_saving_anything_above_it_as_handled()
    {
        var cursor = new ImSyncCursor();
        var gaps = new ImLiveGaps(cursor, TimeProvider.System);
        cursor.Observe("alice", 2);
        Assert.False(gaps.Observe("alice", 3));
        cursor.Observe("alice", 3);

        Assert.True(gaps.Observe("alice", 7)); // 4..6 may have been dropped
        cursor.Observe("alice", 7);           // 7 itself became durable
        Assert.Equal(3, cursor.Floor);
        Assert.False(cursor.Handled("alice", 5));
        Assert.True(cursor.Handled("alice", 3));
        var restored = new ImSyncCursor();
        Assert.True(restored.Load(cursor.Serialize()));
        Assert.Equal(3, restored.HandledSeq("alice"));

        var fill = gaps.TakeDue(TimeSpan.FromMilliseconds(250));
        Assert.Equal((3L, 7L), fill);
        Assert.Null(gaps.TakeDue(TimeSpan.Zero));
        gaps.Finish(fill!.Value, done: false); // e.g. the SYNC reply timed out
        Assert.Equal(3, cursor.Floor);

        fill = gaps.TakeDue(TimeSpan.Zero);
        gaps.Finish(fill!.Value, done: true);
        Assert.Null(cursor.Floor);
        Assert.True(cursor.Handled("alice", 5));
        Assert.Equal(7, cursor.HandledSeq("alice"));
    }

    [Fact]
    public void Pressure_opens_a_fill_from_the_lowest_seq_seen_that_waits_for_calm()
    {
        var time = new ManualTimestamps();
        var cursor = new ImSyncCursor();
        var gaps = new ImLiveGaps(cursor, time);
        gaps.Observe("alice", 10);
        gaps.Observe("bob", 4);

        gaps.UnderPressure();
        Assert.Null(gaps.TakeDue(TimeSpan.FromMilliseconds(250)));
        time.Advance(TimeSpan.FromMilliseconds(300));
        Assert.Equal((4L, long.MaxValue), gaps.TakeDue(TimeSpan.FromMilliseconds(250)));
    }
}
