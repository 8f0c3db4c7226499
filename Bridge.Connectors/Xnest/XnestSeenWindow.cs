using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Bridge.Connectors.Xnest;

/// <summary>What identifies a message for dedupe: conversation kind, sender pid, date and a hash of the payload.</summary>
public readonly record struct XnestMessageKey(bool Private, string Pid, string Date, ulong PayloadHash)
{
    public static XnestMessageKey For(bool isPrivate, string pid, string sendTime, string payload) =>
        new(isPrivate, pid, XnestSendTime.DateKey(sendTime), HashPayload(payload));

    /// <summary>A stable 64-bit hash of the payload's UTF-8 bytes.</summary>
    public static ulong HashPayload(string payload)
    {
        var max = Encoding.UTF8.GetMaxByteCount(payload.Length);
        var rented = max > 512 ? ArrayPool<byte>.Shared.Rent(max) : null;
        Span<byte> bytes = rented ?? stackalloc byte[512];
        try
        {
            var length = Encoding.UTF8.GetBytes(payload, bytes);
            Span<byte> hash = stackalloc byte[32];
            SHA256.HashData(bytes[..length], hash);
            return BitConverter.ToUInt64(hash);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// The derived native id of the <paramref name="occurrence"/>-th such message in <paramref name="room"/>:
    /// the same for the live frame and for its later (date-only) history copy.
    /// </summary>
    public string NativeId(string room, int occurrence) => string.Create(CultureInfo.InvariantCulture,
        $"{room}/{(Private ? "private/" : string.Empty)}{Pid}/{Date}/{occurrence}/{PayloadHash:x16}");
}

/// <summary>
/// The bounded memory of what a room already relayed: per (sender pid, payload, date) how many such
/// messages were seen, least recently used evicted first, plus the pids whose messages are never
/// relayed (the bridge's own pids of earlier connections and the robot's). Serialized into the
/// connector's cursor so a restart still recognises the history replay of what it relayed.
/// Not thread-safe: one room connection owns it.
/// </summary>
public sealed class XnestSeenWindow
{
    private const int MaxIgnoredPids = 32;

    private readonly int _capacity;
    private readonly Dictionary<XnestMessageKey, LinkedListNode<(XnestMessageKey Key, int Count)>> _map = [];
    private readonly LinkedList<(XnestMessageKey Key, int Count)> _lru = new();
    private readonly List<string> _ignoredPids = [];

    public XnestSeenWindow(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
    }

    /// <summary>False until the window was loaded from a stored cursor or seeded from a first history page.</summary>
    public bool Initialized { get; set; }

    /// <summary>Changed since the last <see cref="Serialize"/>.</summary>
    public bool Dirty { get; private set; }

    public int Count => _map.Count;

    public IReadOnlyList<string> IgnoredPids => _ignoredPids;

    /// <summary>Entries a checkpoint may hold per <c>checkpointInterval</c> (see <see cref="CheckpointEvery"/>).</summary>
    public const int EntriesPerInterval = 256;

    /// <summary>
    /// How long after the last checkpoint the next one is due: the configured interval while the
    /// window holds up to <see cref="EntriesPerInterval"/> entries, one interval more for each as
    /// many beyond. Each checkpoint writes the whole window (about 50 bytes an entry, 200 KB when
    /// full at the default 4,096), so a busy room's writes stay bounded: a thousand busy rooms with
    /// full windows would otherwise write 200 MB a second. A later checkpoint only means that after
    /// a crash more of the newest history page goes to the sink again, which drops it by its ids.
    /// </summary>
    public TimeSpan CheckpointEvery(TimeSpan interval) => interval * ((Math.Max(Count, 1) + EntriesPerInterval - 1) / EntriesPerInterval);

    /// <summary>How many messages with this key were seen.</summary>
    public int Seen(XnestMessageKey key) => _map.TryGetValue(key, out var node) ? node.Value.Count : 0;

    /// <summary>Counts one more message with this key and returns its occurrence number (1-based).</summary>
    public int Next(XnestMessageKey key)
    {
        var next = Seen(key) + 1;
        Set(key, next);
        return next;
    }

    /// <summary>Records that at least <paramref name="count"/> messages with this key were seen.</summary>
    public void Set(XnestMessageKey key, int count)
    {
        Dirty = true;
        if (_map.TryGetValue(key, out var node))
        {
            node.Value = (key, Math.Max(count, node.Value.Count));
            _lru.Remove(node);
            _lru.AddLast(node);
            return;
        }

        _map[key] = _lru.AddLast((key, count));
        while (_map.Count > _capacity)
        {
            var oldest = _lru.First!;
            _lru.RemoveFirst();
            _map.Remove(oldest.Value.Key);
        }
    }

    /// <summary>A per-thread serialization buffer that grew past this is not kept.</summary>
    private const int MaxKeptBufferBytes = 64 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    public bool IsIgnored(string pid) => _ignoredPids.Contains(pid);

    /// <summary>Never relay messages from this pid (own pid, robot pid), now and in later history replays.</summary>
    public void Ignore(string pid)
    {
        if (_ignoredPids.Contains(pid))
        {
            return;
        }

        Dirty = true;
        _ignoredPids.Add(pid);
        if (_ignoredPids.Count > MaxIgnoredPids)
        {
            _ignoredPids.RemoveAt(0);
        }
    }

    /// <summary>
    /// The window as compact JSON, oldest entries first. Written into a per-thread buffer (a busy
    /// room checkpoints its window every second, and a thousand rooms do), so the string is the
    /// only allocation of any size.
    /// </summary>
    public string Serialize()
    {
        Dirty = false;
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        Span<byte> hash = stackalloc byte[16];
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("v"u8, 1);
            writer.WriteStartArray("ignore"u8);
            foreach (var pid in _ignoredPids)
            {
                writer.WriteStringValue(pid);
            }

            writer.WriteEndArray();
            writer.WriteStartArray("seen"u8);
            foreach (var (key, count) in _lru)
            {
                writer.WriteStartArray();
                writer.WriteNumberValue(key.Private ? 1 : 0);
                writer.WriteStringValue(key.Pid);
                writer.WriteStringValue(key.Date);
                key.PayloadHash.TryFormat(hash, out var written, "x16", CultureInfo.InvariantCulture);
                writer.WriteStringValue(hash[..written]);
                writer.WriteNumberValue(count);
                writer.WriteEndArray();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        var json = Encoding.UTF8.GetString(buffer.WrittenSpan);
        if (buffer.Capacity > MaxKeptBufferBytes)
        {
            t_buffer = null;
        }

        return json;
    }

    /// <summary>Loads a stored window; null or unreadable state gives an uninitialised window.</summary>
    public static XnestSeenWindow Parse(string? state, int capacity)
    {
        var window = new XnestSeenWindow(capacity);
        if (string.IsNullOrEmpty(state))
        {
            return window;
        }

        try
        {
            using var doc = JsonDocument.Parse(state);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("v", out var v) || v.GetInt32() != 1)
            {
                return window;
            }

            foreach (var pid in root.GetProperty("ignore").EnumerateArray())
            {
                window.Ignore(pid.GetString() ?? string.Empty);
            }

            foreach (var e in root.GetProperty("seen").EnumerateArray())
            {
                var key = new XnestMessageKey(
                    e[0].GetInt32() == 1,
                    e[1].GetString() ?? string.Empty,
                    e[2].GetString() ?? string.Empty,
                    ulong.Parse(e[3].GetString() ?? "0", NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                window.Set(key, e[4].GetInt32());
            }

            window.Initialized = true;
            window.Dirty = false;
            return window;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException or OverflowException or KeyNotFoundException or IndexOutOfRangeException)
        {
            return new XnestSeenWindow(capacity);
        }
    }
}
