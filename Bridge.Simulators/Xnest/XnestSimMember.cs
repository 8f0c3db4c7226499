using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Threading.Channels;
using Bridge.Connectors.Xnest;

namespace Bridge.Simulators.Xnest;

/// <summary>
/// One room member: a real WebSocket client, the robot, or a simulated member driven from C#.
/// Every frame the server sends it is recorded (bounded), so a test can read what it received.
/// </summary>
public sealed class XnestSimMember
{
    private readonly ConcurrentQueue<byte[]> _received = new();
    private readonly Channel<(byte[] Frame, WebSocketCloseStatus? Close)>? _outbox;
    private readonly int _recordLimit;
    private readonly TaskCompletionSource _gone = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal XnestSimMember(XnestSimRoom room, string pid, string nickname, bool hasSocket, bool isRobot, int recordLimit)
    {
        Room = room;
        Pid = pid;
        Nickname = nickname;
        IsRobot = isRobot;
        _recordLimit = recordLimit;
        if (hasSocket)
        {
            _outbox = Channel.CreateUnbounded<(byte[], WebSocketCloseStatus?)>(new UnboundedChannelOptions { SingleReader = true });
        }
    }

    public XnestSimRoom Room { get; }

    public string Pid { get; }

    public string Nickname { get; internal set; }

    public bool IsRobot { get; }

    public bool IsConnected => !_gone.Task.IsCompleted;

    /// <summary>Every frame the server sent this member, decoded, oldest first.</summary>
    public IReadOnlyList<XnestFrame> Received =>
        _received.Select(b => XnestCodec.TryDecode(b, out var f, out _, int.MaxValue) ? f : throw new InvalidOperationException("undecodable")).ToArray();

    /// <summary>The raw bytes of every frame sent to this member.</summary>
    public IReadOnlyList<byte[]> ReceivedBytes => _received.ToArray();

    public int ReceivedCount => _received.Count;

    /// <summary>Sends a text frame as this member (chat text or a command).</summary>
    public void Send(string text) => Room.OnText(this, text);

    /// <summary>Uploads bytes as this member (first byte: 1 audio, 2 picture, other file).</summary>
    public void Upload(byte[] frame) => Room.OnBinary(this, frame);

    /// <summary>Leaves the room (a closed socket).</summary>
    public void Leave() => Room.Remove(this);

    internal void Deliver(byte[] frame)
    {
        if (_recordLimit > 0)
        {
            _received.Enqueue(frame);
            while (_received.Count > _recordLimit && _received.TryDequeue(out _))
            {
            }
        }

        _outbox?.Writer.TryWrite((frame, null));
    }

    /// <summary>Closes the member's socket with a status (after what is queued).</summary>
    internal void Close(WebSocketCloseStatus status) => _outbox?.Writer.TryWrite((Array.Empty<byte>(), status));

    internal void MarkGone()
    {
        _gone.TrySetResult();
        _outbox?.Writer.TryComplete();
    }

    /// <summary>Writes queued frames to the socket until the member leaves; holds them while the simulator stalls.</summary>
    internal async Task PumpAsync(WebSocket socket, Func<bool> stalled, CancellationToken cancellationToken)
    {
        await foreach (var (frame, close) in _outbox!.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            while (stalled())
            {
                await Task.Delay(10, cancellationToken).ConfigureAwait(false);
            }

            if (close is { } status)
            {
                await socket.CloseOutputAsync(status, null, cancellationToken).ConfigureAwait(false);
                return;
            }

            await socket.SendAsync(frame, WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
        }
    }

    public override string ToString() => $"{Nickname} {Pid}";
}
