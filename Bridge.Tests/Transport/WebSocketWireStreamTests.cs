using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Bridge.Connectors.Transport;

namespace Bridge.Tests.Transport;

/// <summary>
/// The stream under a client WebSocket reads the socket in chunks: what a WebSocket asks for in
/// pieces of a frame is served from one socket read, no buffer is held while waiting for data, and
/// the bytes come out exactly as they went in.
/// </summary>
public sealed class WebSocketWireStreamTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Small_reads_are_served_from_one_read_of_the_socket()
    {
        var data = Enumerable.Range(0, 3000).Select(i => (byte)(i * 31)).ToArray();
        var inner = new ScriptedStream();
        inner.Supply(data);
        await using var wire = new WebSocketWireStream(inner);

        var read = new MemoryStream();
        var piece = new byte[100];
        while (read.Length < data.Length)
        {
            var n = await wire.ReadAsync(piece.AsMemory(0, 100)).AsTask().WaitAsync(Wait);
            Assert.True(n > 0);
            read.Write(piece, 0, n);
        }

        Assert.Equal(data, read.ToArray());
        Assert.Equal([0, WebSocketWireStream.ReadChunkBytes], inner.Requested);
        Assert.Equal(0, wire.BufferedBytes);
    }

    [Fact]
    public async Task A_zero_byte_read_completes_at_once_while_bytes_are_buffered_and_waits_once_they_are_not()
    {
        var inner = new ScriptedStream();
        inner.Supply(new byte[50]);
        await using var wire = new WebSocketWireStream(inner);
        Assert.Equal(10, await wire.ReadAsync(new byte[10]).AsTask().WaitAsync(Wait));

        var buffered = wire.ReadAsync(Memory<byte>.Empty);
        Assert.True(buffered.IsCompletedSuccessfully);
        Assert.Equal(0, await buffered);
        Assert.Equal(40, await wire.ReadAsync(new byte[100]).AsTask().WaitAsync(Wait));
        Assert.Equal(2, inner.Requested.Count);

        var waiting = wire.ReadAsync(Memory<byte>.Empty).AsTask();
        await inner.ReadStarted(3).WaitAsync(Wait);
        Assert.False(waiting.IsCompleted);
        Assert.Equal(0, inner.Requested[2]);
        inner.Supply([1]);
        Assert.Equal(0, await waiting.WaitAsync(Wait));
    }

    [Fact]
    public async Task No_buffer_is_taken_before_data_arrives()
    {
        var inner = new ScriptedStream();
        await using var wire = new WebSocketWireStream(inner);

        var pending = wire.ReadAsync(new byte[10]).AsTask();
        await inner.ReadStarted(1).WaitAsync(Wait);
        Assert.Equal([0], inner.Requested);
        Assert.Equal(0, wire.BufferedBytes);

        inner.Supply("hello, wire"u8.ToArray());
        Assert.Equal(10, await pending.WaitAsync(Wait));
        Assert.Equal([0, WebSocketWireStream.ReadChunkBytes], inner.Requested);
        Assert.Equal(1, wire.BufferedBytes);
        var last = new byte[10];
        Assert.Equal(1, await wire.ReadAsync(last).AsTask().WaitAsync(Wait));
        Assert.Equal((byte)'e', last[0]);
    }

    [Fact]
    public async Task A_read_as_large_as_a_chunk_goes_straight_to_the_socket_and_the_end_reads_as_zero()
    {
        var inner = new ScriptedStream();
        inner.Supply(new byte[100]);
        inner.End();
        await using var wire = new WebSocketWireStream(inner);

        Assert.Equal(100, await wire.ReadAsync(new byte[WebSocketWireStream.ReadChunkBytes]).AsTask().WaitAsync(Wait));
        Assert.Equal([WebSocketWireStream.ReadChunkBytes], inner.Requested);
        Assert.Equal(0, await wire.ReadAsync(new byte[10]).AsTask().WaitAsync(Wait));
    }

    [Fact]
    public async Task A_client_websocket_over_a_real_socket_reads_many_waiting_messages_in_a_few_socket_reads()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync((IPEndPoint)listener.LocalEndpoint);
        using var accepted = await listener.AcceptSocketAsync();

        using var server = WebSocket.CreateFromStream(new NetworkStream(accepted), new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
        var sent = Enumerable.Range(0, 200).Select(i => $"message {i} " + new string('x', i % 150)).ToArray();
        foreach (var text in sent)
        {
            await server.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);
        }

        var wire = new WebSocketWireStream(new NetworkStream(client));
        using var socket = WebSocket.CreateFromStream(wire, new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = TimeSpan.Zero });
        await using var connection = new WebSocketFrameConnection(socket, wire, new WebSocketEndpointOptions(new Uri("ws://127.0.0.1:9/")), TimeProvider.System);
        var received = new List<string>();
        for (var i = 0; i < sent.Length; i++)
        {
            var frame = await connection.ReceiveAsync(CancellationToken.None).AsTask().WaitAsync(Wait);
            received.Add(Encoding.UTF8.GetString(frame.Span));
            frame.Dispose();
        }

        Assert.Equal(sent, received);
        // About 20 KB were waiting: two or three chunks and their waits, against two or three
        // socket reads per message without the buffer.
        Assert.InRange(wire.InnerReads, 1, 20);
    }

    /// <summary>An inner stream that hands out what was supplied, as much as a read asks for, and records what each read asked for.</summary>
    private sealed class ScriptedStream : Stream
    {
        private readonly Queue<byte> _available = new();
        private readonly List<TaskCompletionSource> _readsStarted = [];
        private TaskCompletionSource _supplied = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private bool _ended;

        public List<int> Requested { get; } = [];

        public Task ReadStarted(int count)
        {
            lock (_available)
            {
                while (_readsStarted.Count < count)
                {
                    _readsStarted.Add(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                }

                if (Requested.Count >= count)
                {
                    _readsStarted[count - 1].TrySetResult();
                }

                return _readsStarted[count - 1].Task;
            }
        }

        public void Supply(byte[] bytes)
        {
            TaskCompletionSource supplied;
            lock (_available)
            {
                foreach (var b in bytes)
                {
                    _available.Enqueue(b);
                }

                supplied = _supplied;
            }

            supplied.TrySetResult();
        }

        public void End()
        {
            _ended = true;
            Supply([]);
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            lock (_available)
            {
                Requested.Add(buffer.Length);
                if (Requested.Count <= _readsStarted.Count)
                {
                    _readsStarted[Requested.Count - 1].TrySetResult();
                }
            }

            while (true)
            {
                Task supplied;
                lock (_available)
                {
                    if (_available.Count > 0 || _ended)
                    {
                        var n = Math.Min(buffer.Length, _available.Count);
                        for (var i = 0; i < n; i++)
                        {
                            buffer.Span[i] = _available.Dequeue();
                        }

                        return n;
                    }

                    if (_supplied.Task.IsCompleted)
                    {
                        _supplied = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    }

                    supplied = _supplied.Task;
                }

                await supplied.WaitAsync(cancellationToken);
            }
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
