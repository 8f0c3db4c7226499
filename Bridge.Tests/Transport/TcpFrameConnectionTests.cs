using System.Buffers.Binary;
using Bridge.Connectors.Transport;

namespace Bridge.Tests.Transport;

public class TcpFrameConnectionTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Send_writes_a_big_endian_length_prefix_byte_exact()
    {
        var received = new List<byte[]>();
        await using var server = new TcpScriptServer(async (stream, ct) =>
        {
            received.Add(await stream.ReadExactlyAsync(7, ct));
            received.Add(await stream.ReadExactlyAsync(4 + 300, ct));
            received.Add(await stream.ReadExactlyAsync(4 + 70000, ct));
            received.Add(await stream.ReadExactlyAsync(4, ct));
        });
        await using (var connection = await server.ConnectAsync())
        {
            await connection.SendAsync(new byte[] { 1, 2, 3 }, FrameKind.Binary, CancellationToken.None);
            await connection.SendAsync(Pattern(300, 1), FrameKind.Binary, CancellationToken.None);
            await connection.SendAsync(Pattern(70000, 2), FrameKind.Binary, CancellationToken.None);
            await connection.SendAsync(ReadOnlyMemory<byte>.Empty, FrameKind.Binary, CancellationToken.None);
            await server.ScriptsCompletedAsync();
        }

        Assert.Equal(new byte[] { 0, 0, 0, 3, 1, 2, 3 }, received[0]);
        Assert.Equal(new byte[] { 0x00, 0x00, 0x01, 0x2C }, received[1][..4]);
        Assert.Equal(Pattern(300, 1), received[1][4..]);
        Assert.Equal(new byte[] { 0x00, 0x01, 0x11, 0x70 }, received[2][..4]);
        Assert.Equal(Pattern(70000, 2), received[2][4..]);
        Assert.Equal(new byte[] { 0, 0, 0, 0 }, received[3]);
    }

    [Fact]
    public async Task A_frame_written_byte_by_byte_arrives_whole()
    {
        var payload = Pattern(40, 3);
        await using var server = new TcpScriptServer(async (stream, ct) =>
        {
            foreach (var b in Framed(payload))
            {
                await stream.WriteAsync(new[] { b }, ct);
                await stream.FlushAsync(ct);
                await Task.Delay(1, ct);
            }

            await stream.WriteAsync(Framed(Pattern(5, 4)), ct);
            await Task.Delay(Timeout.Infinite, ct);
        });
        await using var connection = await server.ConnectAsync();

        using (var frame = await connection.ReceiveAsync(CancellationToken.None).AsTask().WaitAsync(Wait))
        {
            Assert.Equal(FrameKind.Binary, frame.Kind);
            Assert.Equal(payload, frame.Span.ToArray());
        }

        using var next = await connection.ReceiveAsync(CancellationToken.None).AsTask().WaitAsync(Wait);
        Assert.Equal(Pattern(5, 4), next.Span.ToArray());
    }

    [Fact]
    public async Task Zero_length_frames_are_received_between_others()
    {
        await using var server = new TcpScriptServer(async (stream, ct) =>
        {
            await stream.WriteAsync(Framed([]).Concat(Framed([42])).Concat(Framed([])).ToArray(), ct);
            await Task.Delay(Timeout.Infinite, ct);
        });
        await using var connection = await server.ConnectAsync();

        using (var empty = await connection.ReceiveAsync(CancellationToken.None).AsTask().WaitAsync(Wait))
        {
            Assert.Equal(FrameKind.Binary, empty.Kind);
            Assert.Equal(0, empty.Length);
        }

        using (var one = await connection.ReceiveAsync(CancellationToken.None).AsTask().WaitAsync(Wait))
        {
            Assert.Equal(new byte[] { 42 }, one.Span.ToArray());
        }

        using var last = await connection.ReceiveAsync(CancellationToken.None).AsTask().WaitAsync(Wait);
        Assert.Equal(FrameKind.Binary, last.Kind);
        Assert.Equal(0, last.Length);
    }

    [Fact]
    public async Task An_oversize_length_throws_FrameTooLarge_and_closes_the_connection()
    {
        var serverSawEnd = false;
        await using var server = new TcpScriptServer(async (stream, ct) =>
        {
            var header = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(header, 0xFFFF_FFF0);
            await stream.WriteAsync(header, ct);
            serverSawEnd = await stream.SeesEndAsync(Wait);
        });
        await using var connection = await server.ConnectAsync(maxFrameBytes: 1024);

        var error = await Assert.ThrowsAsync<FrameTooLargeException>(() => connection.ReceiveAsync(CancellationToken.None).AsTask().WaitAsync(Wait));
        Assert.Equal(0xFFFF_FFF0L, error.Size);
        Assert.Equal(1024, error.Limit);
        await server.ScriptsCompletedAsync();
        Assert.True(serverSawEnd, "the client should close the connection after an oversize frame");
    }

    [Fact]
    public async Task A_frame_exactly_at_the_limit_is_accepted()
    {
        await using var server = new TcpScriptServer(async (stream, ct) =>
        {
            await stream.WriteAsync(Framed(Pattern(1024, 5)), ct);
            await Task.Delay(Timeout.Infinite, ct);
        });
        await using var connection = await server.ConnectAsync(maxFrameBytes: 1024);

        using var frame = await connection.ReceiveAsync(CancellationToken.None).AsTask().WaitAsync(Wait);
        Assert.Equal(Pattern(1024, 5), frame.Span.ToArray());
    }

    [Fact]
    public async Task Connection_closed_mid_frame_throws_IOException_naming_the_bytes()
    {
        await using var server = new TcpScriptServer(async (stream, ct) =>
        {
            await stream.WriteAsync(Framed(Pattern(10, 6)).AsMemory(0, 7), ct);
            stream.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            await stream.SeesEndAsync(Wait);
        });
        await using var connection = await server.ConnectAsync();

        var error = await Assert.ThrowsAsync<IOException>(() => connection.ReceiveAsync(CancellationToken.None).AsTask().WaitAsync(Wait));
        Assert.Contains("middle of a frame (3 of 10 payload bytes)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connection_closed_mid_header_throws_IOException()
    {
        await using var server = new TcpScriptServer(async (stream, ct) =>
        {
            await stream.WriteAsync(new byte[] { 0, 0 }, ct);
            stream.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            await stream.SeesEndAsync(Wait);
        });
        await using var connection = await server.ConnectAsync();

        var error = await Assert.ThrowsAsync<IOException>(() => connection.ReceiveAsync(CancellationToken.None).AsTask().WaitAsync(Wait));
        Assert.Contains("frame header (2 of 4", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_clean_end_of_stream_is_a_Close_frame()
    {
        await using var server = new TcpScriptServer(async (stream, ct) =>
        {
            await stream.WriteAsync(Framed([7]), ct);
            stream.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            await stream.SeesEndAsync(Wait);
        });
        await using var connection = await server.ConnectAsync();

        using (var frame = await connection.ReceiveAsync(CancellationToken.None).AsTask().WaitAsync(Wait))
        {
            Assert.Equal(new byte[] { 7 }, frame.Span.ToArray());
        }

        using var end = await connection.ReceiveAsync(CancellationToken.None).AsTask().WaitAsync(Wait);
        Assert.Equal(FrameKind.Close, end.Kind);
        Assert.Equal(0, end.Length);
    }

    [Fact]
    public async Task Concurrent_sends_never_interleave_frames()
    {
        const int senders = 16;
        const int perSender = 50;
        var frames = new List<byte[]>();
        await using var server = new TcpScriptServer(async (stream, ct) =>
        {
            for (var i = 0; i < senders * perSender; i++)
            {
                var header = await stream.ReadExactlyAsync(4, ct);
                frames.Add(await stream.ReadExactlyAsync((int)BinaryPrimitives.ReadUInt32BigEndian(header), ct));
            }
        });
        await using var connection = await server.ConnectAsync();

        await Task.WhenAll(Enumerable.Range(0, senders).Select(s => Task.Run(async () =>
        {
            for (var i = 0; i < perSender; i++)
            {
                await connection.SendAsync(Pattern(100 + (s * 37) + i, (byte)s), FrameKind.Binary, CancellationToken.None);
            }
        })));
        await server.ScriptsCompletedAsync();

        Assert.Equal(senders * perSender, frames.Count);
        Assert.All(frames, f => Assert.Equal(Pattern(f.Length, f[0]), f));
    }

    [Fact]
    public async Task Abort_fails_a_pending_receive_and_dispose_twice_is_harmless()
    {
        await using var server = new TcpScriptServer((_, ct) => Task.Delay(Timeout.Infinite, ct));
        var connection = await server.ConnectAsync();
        var pending = connection.ReceiveAsync(CancellationToken.None).AsTask();

        connection.Abort();

        var error = await Record.ExceptionAsync(() => pending.WaitAsync(Wait));
        Assert.True(error is IOException or ObjectDisposedException, $"unexpected {error?.GetType().Name}");
        await connection.DisposeAsync();
        await connection.DisposeAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => connection.SendAsync(new byte[] { 1 }, FrameKind.Binary, CancellationToken.None).AsTask().WaitAsync(Wait));
    }

    internal static byte[] Pattern(int length, byte seed)
    {
        var data = new byte[length];
        for (var i = 0; i < length; i++)
        {
            data[i] = (byte)(seed + (i * 7));
        }

        if (length > 0)
        {
            data[0] = seed;
        }

        return data;
    }

    private static byte[] Framed(byte[] payload)
    {
        var frame = new byte[payload.Length + 4];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)payload.Length);
        payload.CopyTo(frame, 4);
        return frame;
    }
}
