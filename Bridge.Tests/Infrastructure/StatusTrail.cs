using Bridge.Connectors.Abstractions;
using Bridge.Contracts.V1;

namespace Bridge.Tests.Infrastructure;

/// <summary>
/// Every status a connector reported, in order. Polling <see cref="IConnector.Status"/> misses a
/// state that lasts only one back-off (50 ms in the fast test timings) when the machine is busy;
/// the trail keeps it. Each wait looks only at what came after the status the previous wait
/// matched, so two waits in a row mean "this, then that".
/// </summary>
public sealed class StatusTrail
{
    private readonly List<ConnectorStatus> _seen = [];
    private int _matched;

    public StatusTrail(IConnector connector) => connector.StatusChanged += Record;

    public IReadOnlyList<ConnectorStatus> Seen
    {
        get
        {
            lock (_seen)
            {
                return [.. _seen];
            }
        }
    }

    /// <summary>Waits for a status in <paramref name="state"/> (with <paramref name="reasonContains"/> in its reason) reported after the last one matched.</summary>
    public Task WaitForAsync(SessionState state, string? reasonContains, TimeSpan timeout)
    {
        var wanted = $"{state}{(reasonContains is null ? string.Empty : $" ({reasonContains})")}";
        return Eventually.TrueAsync(
            () => TryMatch(s => s.State == state && (reasonContains is null || (s.Reason ?? string.Empty).Contains(reasonContains, StringComparison.Ordinal))),
            timeout,
            () => $"the connector reports {wanted}; it reported: {string.Join(" → ", Seen.Select(s => s.Reason is null ? $"{s.State}" : $"{s.State} ({s.Reason})"))}");
    }

    private void Record(ConnectorStatus status)
    {
        lock (_seen)
        {
            _seen.Add(status);
        }
    }

    private bool TryMatch(Func<ConnectorStatus, bool> match)
    {
        lock (_seen)
        {
            for (var i = _matched; i < _seen.Count; i++)
            {
                if (match(_seen[i]))
                {
                    _matched = i + 1;
                    return true;
                }
            }

            return false;
        }
    }
}
