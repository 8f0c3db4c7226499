namespace Bridge.Tests.Infrastructure;

/// <summary>Polls a condition until it holds or the time is up (then fails with the message).</summary>
public static class Eventually
{
    public static Task TrueAsync(Func<bool> condition, TimeSpan timeout, string because) =>
        TrueAsync(condition, timeout, () => because);

    /// <summary>As above, with the message written when the time is up (so it can say what was seen by then).</summary>
    public static async Task TrueAsync(Func<bool> condition, TimeSpan timeout, Func<string> because)
    {
        var started = DateTime.UtcNow;
        var deadline = started + TestTimeouts.Scale(timeout);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out after {timeout.TotalSeconds:0.#} s waiting until {because()}{ThreadPoolStalls.During(started)}");
            }

            await Task.Delay(20);
        }
    }

    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, string because)
    {
        var started = DateTime.UtcNow;
        var deadline = started + TestTimeouts.Scale(timeout);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out after {timeout.TotalSeconds:0.#} s waiting until {because}{ThreadPoolStalls.During(started)}");
            }

            await Task.Delay(20);
        }
    }
}
