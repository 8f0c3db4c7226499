using System.Globalization;

namespace Bridge.Tests.Infrastructure;

/// <summary>
/// Scales the deadlines of waits for a condition (BRIDGE_TEST_TIMEOUT_SCALE, default 1; the test
/// script uses 3). A wait returns as soon as its condition holds, so the scale only changes how
/// long a failing wait takes to give up: it keeps a loaded CI machine from failing a slow-but-correct run.
/// </summary>
public static class TestTimeouts
{
    public static double Factor { get; } =
        double.TryParse(Environment.GetEnvironmentVariable("BRIDGE_TEST_TIMEOUT_SCALE"), NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && f >= 1 ? f : 1;

    public static TimeSpan Scale(TimeSpan timeout) => timeout * Factor;
}
