using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using Bridge.Connectors.Glide;

namespace Bridge.Simulators.Glide;

/// <summary>A frame a simulated user received (the raw JSON of <c>data</c> in <see cref="Data"/>).</summary>
/// <summary>A group message the server accepted: sender, channel and the message as pushed.</summary>
public sealed record GlideGroupMessage(string From, string Channel, GlideChatMessage Message);

public sealed record GlideReceived(string Action, long Seq, string? From, string? To, string? Data, IReadOnlyDictionary<string, string>? Extra, string Frame);

/// <summary>An account known to the simulator's business API.</summary>
public sealed class GlideSimUser(string uid, string deliverSecret, string apiToken)
{
    public string Uid { get; } = uid;

    public string DeliverSecret { get; internal set; } = deliverSecret;

    public string ApiToken { get; } = apiToken;
}

/// <summary>Channel permission bits (subscription_impl/perm.go).</summary>
[Flags]
public enum GlidePerm
{
    None = 0,
    Read = 2,
    Write = 4,
    Admin = 16,
    Member = Read | Write,
}

internal sealed class GlideSimChannel(string id)
{
    public string Id { get; } = id;

    public Dictionary<string, GlidePerm> Members { get; } = new(StringComparer.Ordinal);

    public bool Muted { get; set; }

    public bool Blocked { get; set; }

    public bool Closed { get; set; }

    /// <summary>Simulates a full group message queue (the last refusal of 5.2).</summary>
    public bool QueueFull { get; set; }

    /// <summary>The channel counter; the first message gets 2.</summary>
    public long Seq { get; set; } = 1;
}

/// <summary>One connection to the simulator: a WebSocket, or a simulated user injected directly.</summary>
internal sealed class GlideSimClient
{
    private readonly TimeProvider _time;
    private string _id;
    private int _dropped;

    public GlideSimClient(string id, WebSocket? socket, int queueCapacity, TimeProvider time)
    {
        _id = id;
        Socket = socket;
        _time = time;
        TimerStart = LastWrite = time.GetTimestamp();
        Outbox = socket is null
            ? null
            : Channel.CreateBounded<byte[]>(new BoundedChannelOptions(queueCapacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true }, _ => Interlocked.Increment(ref _dropped));
    }

    public string Id
    {
        get => Volatile.Read(ref _id);
        set => Volatile.Write(ref _id, value);
    }

    public WebSocket? Socket { get; }

    public bool IsVirtual => Socket is null;

    public Channel<byte[]>? Outbox { get; }

    public CancellationTokenSource Cts { get; } = new();

    public GlideCredentialClaims? Credentials { get; set; }

    /// <summary>The deliver secret tickets are checked against (rotated live by <c>RotateSecret</c>).</summary>
    public string? DeliverSecret { get; set; }

    public bool IsAuthenticated => Credentials is not null && !Id.StartsWith("tmp@", StringComparison.Ordinal);

    public long TimerStart { get; set; }

    public long LastWrite { get; set; }

    public int Lost { get; set; }

    public volatile bool Stalled;

    public int DroppedFrames => Volatile.Read(ref _dropped);

    public ConcurrentQueue<GlideReceived> Received { get; } = new();

    public void FrameRead()
    {
        TimerStart = _time.GetTimestamp();
        Lost = 0;
    }

    /// <summary>Queues a frame (sockets) or records it (simulated users).</summary>
    public void Deliver(byte[] frame)
    {
        if (Outbox is null)
        {
            Received.Enqueue(Describe(frame));
            return;
        }

        LastWrite = _time.GetTimestamp();
        Outbox.Writer.TryWrite(frame);
    }

    private static GlideReceived Describe(byte[] frame)
    {
        var envelope = GlideDecoder.DecodeEnvelope(frame, int.MaxValue);
        var data = envelope.DataLength > 0 ? Encoding.UTF8.GetString(envelope.Data(frame)) : null;
        var extra = envelope.HasExtra ? GlideDecoder.ReadExtra(envelope.Extra(frame)) : null;
        return new GlideReceived(envelope.Action, envelope.Seq, envelope.From, envelope.To, data, extra, Encoding.UTF8.GetString(frame));
    }

    public void Abort()
    {
        try
        {
            Cts.Cancel();
            Socket?.Abort();
        }
        catch (ObjectDisposedException)
        {
            // Already gone.
        }
    }
}
