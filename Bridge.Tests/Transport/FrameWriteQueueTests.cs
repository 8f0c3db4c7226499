using System.Net.WebSockets;
using System.Text;
using Bridge.Connectors.Transport;

namespace Bridge.Tests.Transport;

/// <summary>
/// The data frames a client connection writes: masked, whole, in order, and gathered into one
/// write with those queued before the write runs or while an earlier write is on its way. The
/// written bytes are read back by a server-side WebSocket, which refuses unmasked or malformed
/// client frames.
/// </summary>
public sealed class FrameWriteQueueTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Frames_sent_while_a_write_is_on_its_way_go_out_together_in_the_order_they_were_sent()
    {
        var wire = new HeldWriteStream();
        await using var connection = Connect(wire);

        var first = connection.SendAsync(Encoding.UTF8.GetBytes("m0"), FrameKind.Text, CancellationToken.None).AsTask();
        await wire.FirstWriteStarted.WaitAsync(Wait);
        var rest = Enumerable.Range(1, 50)
            .Select(i => connection.SendAsync(Encoding.UTF8.GetBytes($"m{i}"), FrameKind.Text, CancellationToken.None).AsTask())
            .ToArray();
        Assert.False(first.IsCompleted);
        Assert.All(rest, send => Assert.False(send.IsCompleted));

        wire.ReleaseFirstWrite();
        await Task.WhenAll(rest.Prepend(first)).WaitAsync(Wait);

        Assert.Equal(2, wire.Writes);
        Assert.Equal(2, connection.DataWrites);
        var received = await ReadBackAsync(wire.Written);
        Assert.Equal(Enumerable.Range(0, 51).Select(i => (WebSocketMessageType.Text, $"m{i}")), received.Select(r => (r.Type, Encoding.UTF8.GetString(r.Payload))));
    }

    [Fact]
    public async Task Frames_sent_in_one_loop_go_out_in_a_few_writes_in_the_order_they_were_sent()
    {
        var wire = new HeldWriteStream(holdFirst: false);
        await using var connection = Connect(wire);

        // A delivery batch starts the sends of its conversations one after another; the write is
        // a work item of its own, so the frames queued meanwhile go with it. How many that is
        // depends on when a pool thread picks the write up: on an idle machine after the loop (a
        // write or two), on a busy one (a full test run on two cores) beside it, taking what has
        // queued each time (69 writes seen once). One write per frame would mean no gathering.
        var sends = Enumerable.Range(0, 200)
            .Select(i => connection.SendAsync(Encoding.UTF8.GetBytes($"m{i}"), FrameKind.Text, CancellationToken.None).AsTask())
            .ToArray();
        await Task.WhenAll(sends).WaitAsync(Wait);

        Assert.InRange(wire.Writes, 1, 150);
        var received = await ReadBackAsync(wire.Written);
        Assert.Equal(Enumerable.Range(0, 200).Select(i => $"m{i}"), received.Select(r => Encoding.UTF8.GetString(r.Payload)));
    }

    [Fact]
    public async Task A_sender_that_gives_up_before_its_frame_is_picked_up_takes_it_back()
    {
        var wire = new HeldWriteStream();
        await using var connection = Connect(wire);

        var first = connection.SendAsync("a"u8.ToArray(), FrameKind.Binary, CancellationToken.None).AsTask();
        await wire.FirstWriteStarted.WaitAsync(Wait);
        using var giveUp = new CancellationTokenSource();
        var abandoned = connection.SendAsync("b"u8.ToArray(), FrameKind.Binary, giveUp.Token).AsTask();
        var kept = connection.SendAsync("c"u8.ToArray(), FrameKind.Binary, CancellationToken.None).AsTask();
        await giveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned.WaitAsync(Wait));

        wire.ReleaseFirstWrite();
        await Task.WhenAll(first, kept).WaitAsync(Wait);
        var received = await ReadBackAsync(wire.Written);
        Assert.Equal(["a", "c"], received.Select(r => Encoding.UTF8.GetString(r.Payload)));
    }

    [Fact]
    public async Task A_sender_that_gives_up_while_its_frame_is_being_written_is_told_at_once_and_the_frame_goes_out_whole()
    {
        var wire = new HeldWriteStream();
        await using var connection = Connect(wire);
        using var giveUp = new CancellationTokenSource();

        var first = connection.SendAsync("a"u8.ToArray(), FrameKind.Binary, giveUp.Token).AsTask();
        await wire.FirstWriteStarted.WaitAsync(Wait);
        await giveUp.CancelAsync();
        var cancelled = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.WaitAsync(Wait));
        Assert.Equal(giveUp.Token, cancelled.CancellationToken);

        wire.ReleaseFirstWrite();
        await connection.SendAsync("b"u8.ToArray(), FrameKind.Binary, CancellationToken.None).AsTask().WaitAsync(Wait);
        var received = await ReadBackAsync(wire.Written);
        Assert.Equal(["a", "b"], received.Select(r => Encoding.UTF8.GetString(r.Payload)));
    }

    [Fact]
    public async Task A_written_frame_leaves_nothing_registered_on_a_token_that_lives_on()
    {
        var wire = new HeldWriteStream(holdFirst: false);
        await using var connection = Connect(wire);
        using var session = new CancellationTokenSource();

        // Were the send's token registration left behind, the token would keep the send's wait,
        // and with it the send's task, alive. The writer's thread settles the frame and runs the
        // sender's continuation inline, so it can still be on its way out of that call when this
        // test resumes: the send is looked at again for up to a second.
        var sent = await SendAndForgetAsync(connection, session.Token);
        for (var attempt = 0; attempt < 50; attempt++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            if (!sent.IsAlive)
            {
                break;
            }

            await Task.Delay(20);
        }

        Assert.False(sent.IsAlive, "the written frame is still reachable from the token it was sent with");
        await session.CancelAsync();
    }

    /// <summary>
    /// Sends one frame that its sender has to wait for, and waits until it is written; returns only a
    /// weak reference to the send's task. A send whose frame the writer had already written when
    /// the sender looked completes synchronously, registers nothing and has no task of its own
    /// (<c>AsTask</c> then hands out the shared completed task, which is always reachable): such a
    /// send is awaited and another one tried.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static async Task<WeakReference> SendAndForgetAsync(WebSocketFrameConnection connection, CancellationToken token)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var pending = connection.SendAsync("x"u8.ToArray(), FrameKind.Binary, token);
            if (pending.IsCompleted)
            {
                await pending;
                continue;
            }

            var send = pending.AsTask();
            await send.WaitAsync(Wait, CancellationToken.None);
            return new WeakReference(send);
        }

        throw new InvalidOperationException("every send completed before its sender had to wait");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(125)]
    [InlineData(126)]
    [InlineData(65_535)]
    [InlineData(70_000)]
    public async Task Every_payload_length_is_framed_and_masked_as_a_server_expects(int length)
    {
        var wire = new HeldWriteStream(holdFirst: false);
        await using var connection = Connect(wire);
        var payload = Enumerable.Range(0, length).Select(i => (byte)(i * 7)).ToArray();

        await connection.SendAsync(payload, FrameKind.Binary, CancellationToken.None).AsTask().WaitAsync(Wait);
        await connection.SendAsync(payload, FrameKind.Binary, CancellationToken.None).AsTask().WaitAsync(Wait);

        var received = await ReadBackAsync(wire.Written);
        Assert.Equal(2, received.Count);
        Assert.All(received, r => Assert.Equal(payload, r.Payload));
        // Each frame has its own key: the same payload twice is not the same bytes on the wire.
        if (length > 0)
        {
            var frameLength = wire.Written.Length / 2;
            Assert.False(wire.Written.AsSpan(0, frameLength).SequenceEqual(wire.Written.AsSpan(frameLength)));
        }
    }

    [Fact]
    public async Task After_close_nothing_more_is_sent_and_the_sender_is_told_why()
    {
        var wire = new HeldWriteStream(holdFirst: false);
        await using var connection = Connect(wire);
        await connection.SendAsync("last"u8.ToArray(), FrameKind.Text, CancellationToken.None);
        await connection.CloseAsync("done", CancellationToken.None).WaitAsync(Wait);

        var error = await Assert.ThrowsAsync<WebSocketException>(() => connection.SendAsync("late"u8.ToArray(), FrameKind.Text, CancellationToken.None).AsTask());
        Assert.Contains("nothing", error.Message, StringComparison.Ordinal);
        var received = await ReadBackAsync(wire.Written);
        Assert.Equal([(WebSocketMessageType.Text, "last"), (WebSocketMessageType.Close, "")], received.Select(r => (r.Type, Encoding.UTF8.GetString(r.Payload))));
    }

    private static WebSocketFrameConnection Connect(HeldWriteStream wire)
    {
        var stream = new WebSocketWireStream(wire);
        var socket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = TimeSpan.Zero });
        return new WebSocketFrameConnection(socket, stream, new WebSocketEndpointOptions(new Uri("ws://127.0.0.1:9/")), TimeProvider.System);
    }

    /// <summary>Reads client frames back as a server does, until the bytes end or a close frame comes.</summary>
    private static async Task<List<(WebSocketMessageType Type, byte[] Payload)>> ReadBackAsync(byte[] written)
    {
        using var server = WebSocket.CreateFromStream(new MemoryStream(written), new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
        var messages = new List<(WebSocketMessageType, byte[])>();
        var buffer = new byte[128 * 1024];
        while (true)
        {
            var message = new MemoryStream();
            ValueWebSocketReceiveResult result;
            try
            {
                do
                {
                    result = await server.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                    message.Write(buffer, 0, result.Count);
                }
                while (!result.EndOfMessage);
            }
            catch (WebSocketException ex) when (ex.WebSocketErrorCode == WebSocketError.ConnectionClosedPrematurely)
            {
                return messages;
            }

            messages.Add((result.MessageType, message.ToArray()));
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return messages;
            }
        }
    }

    /// <summary>A wire that records what is written; its first write waits until released. Nothing is ever read from it.</summary>
    private sealed class HeldWriteStream(bool holdFirst = true) : Stream
    {
        private readonly MemoryStream _written = new();
        private readonly TaskCompletionSource _firstWriteStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _neverRead = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task FirstWriteStarted => _firstWriteStarted.Task;

        public int Writes { get; private set; }

        public byte[] Written
        {
            get
            {
                lock (_written)
                {
                    return _written.ToArray();
                }
            }
        }

        public void ReleaseFirstWrite() => _release.TrySetResult();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var copy = buffer.ToArray();
            if (Writes++ == 0 && holdFirst)
            {
                _firstWriteStarted.TrySetResult();
                await _release.Task.WaitAsync(cancellationToken);
            }

            lock (_written)
            {
                _written.Write(copy);
            }
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await _neverRead.Task.WaitAsync(cancellationToken);
            return 0;
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    }
}
