using System.Collections.Concurrent;
using System.Net.WebSockets;
using Bridge.Connectors.Rtm;
using Bridge.Connectors.Rtm.Fpnn;

namespace Bridge.Simulators.Rtm;

/// <summary>One client connection to the simulated gate: its socket, seq counter, login, rooms and unanswered pushes.</summary>
internal sealed class RtmSimConnection(long id, WebSocket socket)
{
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private int _seq;

    public long Id => id;

    public WebSocket Socket => socket;

    public long Uid { get; set; }

    public bool Authenticated { get; set; }

    public bool Stalled { get; set; }

    public long LastReceivedTicks { get; set; } = Environment.TickCount64;

    public ConcurrentDictionary<long, byte> Rooms { get; } = new();

    /// <summary>Pushes waiting for the client's answer: seq → (method, packet without seq patch, sent at).</summary>
    public ConcurrentDictionary<uint, PendingPush> Pending { get; } = new();

    public CancellationTokenSource Closing { get; } = new();

    public uint NextSeq() => (uint)Interlocked.Increment(ref _seq);

    public async Task SendAsync(ReadOnlyMemory<byte> packet)
    {
        if (Stalled || Closing.IsCancellationRequested)
        {
            return;
        }

        await _sendLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await socket.SendAsync(packet, WebSocketMessageType.Binary, endOfMessage: true, Closing.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            Abort();
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Sends a twoway quest and remembers it until the client answers.</summary>
    public Task PushAsync(string method, Action<FpnnPacketWriter> payload)
    {
        var seq = NextSeq();
        using var packet = FpnnPacketWriter.Quest(method, seq);
        payload(packet);
        var bytes = packet.ToArray();
        Pending[seq] = new PendingPush(method, bytes, Environment.TickCount64);
        return SendAsync(bytes);
    }

    public async Task OneWayAsync(string method)
    {
        using var packet = FpnnPacketWriter.Quest(method, 0, twoWay: false);
        await SendAsync(packet.ToArray()).ConfigureAwait(false);
    }

    /// <summary>A oneway <c>kickout</c>, then the connection closes (the kickout is delivered before the close).</summary>
    public async Task KickAsync()
    {
        await OneWayAsync(RtmMethods.Kickout).ConfigureAwait(false);
        Authenticated = false;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "kickout", timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Gone already.
        }

        // The client closes on kickout; a client that does not is cut off shortly after.
        _ = Task.Delay(TimeSpan.FromSeconds(2)).ContinueWith(_ => Abort(), TaskScheduler.Default);
    }

    public void Abort()
    {
        try
        {
            Closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already closed.
        }

        socket.Abort();
    }
}

internal sealed record PendingPush(string Method, byte[] Packet, long SentTicks, bool Repushed = false);
