namespace Bridge.Connectors.ProtobufIm;

/// <summary>
/// The server message ids handed to the sink recently (bounded, oldest forgotten first), so pushes
/// seen again in a catch-up are not handed over twice within one process. Across restarts the
/// sink's own dedupe on the deterministic event id does the same job.
/// </summary>
internal sealed class ImRecentIds(int capacity)
{
    private readonly HashSet<ImWireId> _ids = [];
    private readonly Queue<ImWireId> _order = new();

    public bool Contains(ImWireId id)
    {
        lock (_ids)
        {
            return _ids.Contains(id);
        }
    }

    /// <summary>Adds the id; false when it was already there.</summary>
    public bool Add(ImWireId id)
    {
        lock (_ids)
        {
            if (!_ids.Add(id))
            {
                return false;
            }

            _order.Enqueue(id);
            while (_order.Count > capacity)
            {
                _ids.Remove(_order.Dequeue());
            }

            return true;
        }
    }

    public void Remove(ImWireId id)
    {
        lock (_ids)
        {
            _ids.Remove(id);
        }
    }
}
