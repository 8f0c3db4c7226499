using System.Text.Json;

namespace Bridge.Connectors.ProtobufIm;

/// <summary>
/// The catch-up position of the account. The v1 server numbers messages per sender, so one seq
/// is no cursor: this keeps the highest seq handled per sender (bounded to 10,000 senders). A
/// message at or below its sender's handled seq was handed over before (or predates the bridge)
/// and is skipped. The low- and high-water marks (lowest and highest handled seq of any known
/// sender) are where a catch-up whose page budget ran out jumps to. Stored as a small JSON text in
/// <see cref="Abstractions.ICursorStore"/>.
/// </summary>
internal sealed class ImSyncCursor
{
    private const int MaxSenders = 10_000;
    private readonly Dictionary<string, long> _senders = new(StringComparer.Ordinal);
    private long _version;
    private long? _floor;

    /// <summary>The highest handled seq of any known sender (0 when none is known).</summary>
    public long HighWater
    {
        get
        {
            lock (_senders)
            {
                return _senders.Count == 0 ? 0 : _senders.Values.Max();
            }
        }
    }

    /// <summary>The lowest handled seq of any known sender (0 when none is known).</summary>
    public long LowWater
    {
        get
        {
            lock (_senders)
            {
                return _senders.Count == 0 ? 0 : _senders.Values.Min();
            }
        }
    }

    /// <summary>Bumped on every change, so the connector knows whether there is something to save.</summary>
    public long Version => Interlocked.Read(ref _version);

    /// <summary>
    /// While set, no seq above it counts as handled and none above it is saved: a live fill for
    /// pushes the server may have dropped is open (see <see cref="ImLiveGaps"/>).
    /// </summary>
    public long? Floor
    {
        get
        {
            lock (_senders)
            {
                return _floor;
            }
        }
        set
        {
            lock (_senders)
            {
                if (_floor != value)
                {
                    _floor = value;
                    Interlocked.Increment(ref _version);
                }
            }
        }
    }

    public bool Handled(string sender, long seq)
    {
        lock (_senders)
        {
            return _senders.TryGetValue(sender, out var handled) && seq <= handled && (_floor is not { } floor || seq <= floor);
        }
    }

    /// <summary>The highest seq handled from this sender, if the sender is known.</summary>
    public long? HandledSeq(string sender)
    {
        lock (_senders)
        {
            return _senders.TryGetValue(sender, out var handled) ? handled : null;
        }
    }

    public void Observe(string sender, long seq)
    {
        lock (_senders)
        {
            if (_senders.TryGetValue(sender, out var handled) && handled >= seq)
            {
                return;
            }

            if (!_senders.ContainsKey(sender) && _senders.Count >= MaxSenders)
            {
                _senders.Remove(_senders.MinBy(p => p.Value).Key);
            }

            _senders[sender] = seq;
            Interlocked.Increment(ref _version);
        }
    }

    public string Serialize()
    {
        lock (_senders)
        {
            var senders = new Dictionary<string, long>(_senders.Count, StringComparer.Ordinal);
            foreach (var (sender, seq) in _senders)
            {
                senders[sender] = _floor is { } floor ? Math.Min(seq, floor) : seq;
            }

            return JsonSerializer.Serialize(new Stored(1, senders));
        }
    }

    /// <summary>Replaces the state with a stored cursor; false (state cleared) when the text is not one.</summary>
    public bool Load(string? text)
    {
        lock (_senders)
        {
            _senders.Clear();
            if (string.IsNullOrEmpty(text))
            {
                return false;
            }

            try
            {
                var stored = JsonSerializer.Deserialize<Stored>(text);
                if (stored is null || stored.V != 1)
                {
                    return false;
                }

                foreach (var (sender, seq) in stored.S ?? [])
                {
                    _senders[sender] = seq;
                }

                return true;
            }
            catch (JsonException)
            {
                return false;
            }
        }
    }

    private sealed record Stored(int V, Dictionary<string, long>? S);
}
