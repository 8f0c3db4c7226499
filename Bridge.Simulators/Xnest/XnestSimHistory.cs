using Bridge.Connectors.Xnest;

namespace Bridge.Simulators.Xnest;

/// <summary>
/// A room's stored history (Riak in the real server; survives room stops and server restarts):
/// pages numbered from 1; a new page starts once the current one holds more than the threshold.
/// </summary>
internal sealed class XnestSimHistory(int threshold)
{
    private readonly List<List<XnestHistoryItem>> _pages = [[]];

    public void Add(XnestHistoryItem item)
    {
        lock (_pages)
        {
            if (_pages[^1].Count > threshold)
            {
                _pages.Add([]);
            }

            _pages[^1].Add(item);
        }
    }

    /// <summary><c>@history:N</c>: page max(last − N, 1), oldest first; negative N gives nothing.</summary>
    public IReadOnlyList<XnestHistoryItem> Page(long offset)
    {
        if (offset < 0)
        {
            return [];
        }

        lock (_pages)
        {
            var last = _pages.Count;
            var page = (int)Math.Max(last - Math.Min(offset, last), 1);
            return _pages[page - 1].ToArray();
        }
    }
}
