using Bridge.Host.Bus;

namespace Bridge.Tests.Host;

/// <summary>How <see cref="GroupCommit{T}"/> cuts batches: alone when idle, together while a flush runs, by count and by weight.</summary>
public class GroupCommitTests
{
    [Fact]
    public async Task Items_added_during_a_flush_go_together_in_order_up_to_the_count_limit()
    {
        var (commit, batches, release) = Blocked(maxBatch: 3);
        var tasks = new List<Task> { commit.Add(new Item("first", 1)) };
        await FirstFlushStartedAsync(batches);
        tasks.AddRange(Enumerable.Range(1, 5).Select(i => commit.Add(new Item($"m{i}", 1))));
        release.SetResult();
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(["first", "m1 m2 m3", "m4 m5"], batches);
    }

    [Fact]
    public async Task A_batch_stops_before_its_weight_passes_the_limit_and_a_heavier_item_goes_alone()
    {
        var (commit, batches, release) = Blocked(maxBatch: 100, maxWeight: 100);
        var tasks = new List<Task> { commit.Add(new Item("first", 1)) };
        await FirstFlushStartedAsync(batches);
        tasks.AddRange(new[] { new Item("a", 40), new Item("b", 40), new Item("c", 40), new Item("huge", 150), new Item("d", 10) }.Select(commit.Add));
        release.SetResult();
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(["first", "a b", "c", "huge", "d"], batches);
    }

    /// <summary>The first flush runs on the thread pool: items added before it took "first" would join its batch.</summary>
    private static async Task FirstFlushStartedAsync(List<string> batches)
    {
        for (var i = 0; i < 1000 && batches.Count == 0; i++)
        {
            await Task.Delay(5);
        }

        Assert.Equal(["first"], batches);
    }

    /// <summary>A group commit whose first flush waits for <c>release</c>, so later items queue up behind it.</summary>
    private static (GroupCommit<Item> Commit, List<string> Batches, TaskCompletionSource Release) Blocked(int maxBatch, long maxWeight = long.MaxValue)
    {
        var batches = new List<string>();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var commit = new GroupCommit<Item>(
            async batch =>
            {
                lock (batches)
                {
                    batches.Add(string.Join(' ', batch.Select(i => i.Name)));
                }

                await release.Task;
            },
            maxBatch,
            i => i.Weight,
            maxWeight);
        return (commit, batches, release);
    }

    private sealed record Item(string Name, long Weight);
}
