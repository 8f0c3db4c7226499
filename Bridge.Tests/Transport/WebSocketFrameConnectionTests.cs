using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using Bridge.Connectors.Transport;
using Bridge.Simulators.Hosting;
using Microsoft.AspNetCore.Http;

namespace Bridge.Tests.Transport;

public class WebSocketFrameConnectionTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Binary_and_text_frames_round_trip_through_an_echo_server()
    {
        await using var server = await StartAsync(EchoAsync);
        await using var connection = await ConnectAsync(server);

        await connection.SendAsync(new byte[] { 0, 1, 2, 255 }, FrameKind.Binary, CancellationToken.None);
        await connection.SendAsync("héllo"u8.ToArray(), FrameKind.Text, CancellationToken.None);
        await connection.SendAsync(ReadOnlyMemory<byte>.Empty, FrameKind.Binary, CancellationToken.None);

        using (var binary = await ReceiveAsync(connection))
        {
            Assert.Equal(FrameKind.Binary, binary.Kind);
            Assert.Equal(new byte[] { 0, 1, 2, 255 }, binary.Span.ToArray());
        }

        using (var text = await ReceiveAsync(connection))
        {
            Assert.Equal(FrameKind.Text, text.Kind);
            Assert.Equal("héllo", Encoding.UTF8.GetString(text.Span));
        }

        using var empty = await ReceiveAsync(connection);
        Assert.Equal(FrameKind.Binary, empty.Kind);
        Assert.Equal(0, empty.Length);
    }

    [Theory]
    [InlineData(new[] { 100_000, 150_000, 50_000 })]
    [InlineData(new[] { 4096, 4 })] // a fragment ending exactly at the initial buffer's end
    [InlineData(new[] { 4096, 4096, 0 })] // then an empty final fragment
    [InlineData(new[] { 1, 1, 1, 1, 1 })]
    public async Task A_message_sent_in_fragments_is_assembled_whole(int[] fragments)
    {
        var message = TcpFrameConnectionTests.Pattern(fragments.Sum(), 9);
        await using var server = await StartAsync(async (_, socket) =>
        {
            await SendFragmentsAsync(socket, message, fragments);
            await socket.SendAsync("after"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
            await WebSocketIo.ReadMessageAsync(socket, 1024, CancellationToken.None);
        });
        await using var connection = await ConnectAsync(server);

        using (var frame = await ReceiveAsync(connection))
        {
            Assert.Equal(FrameKind.Binary, frame.Kind);
            Assert.Equal(message, frame.Span.ToArray());
        }

        using var after = await ReceiveAsync(connection);
        Assert.Equal("after", Encoding.UTF8.GetString(after.Span));
    }

    [Theory]
    [InlineData(new[] { 5000 })]
    [InlineData(new[] { 2500, 2500 })]
    [InlineData(new[] { 2500, 2500, 0 })] // fills the limit exactly before the (empty) final fragment
    public async Task A_message_of_exactly_MaxFrameBytes_is_accepted(int[] fragments)
    {
        var message = TcpFrameConnectionTests.Pattern(5000, 11);
        await using var server = await StartAsync(async (_, socket) =>
        {
            await SendFragmentsAsync(socket, message, fragments);
            await WebSocketIo.ReadMessageAsync(socket, 1024, CancellationToken.None);
        });
        await using var connection = await ConnectAsync(server, maxFrameBytes: 5000);

        using var frame = await ReceiveAsync(connection);
        Assert.Equal(message, frame.Span.ToArray());
    }

    [Theory]
    [InlineData(new[] { 5001 })]
    [InlineData(new[] { 2500, 2500, 1 })]
    [InlineData(new[] { 200_000 })]
    public async Task A_message_over_MaxFrameBytes_throws_and_closes_with_1009(int[] fragments)
    {
        var closeStatus = new TaskCompletionSource<WebSocketCloseStatus?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await StartAsync(async (_, socket) =>
        {
            try
            {
                await SendFragmentsAsync(socket, TcpFrameConnectionTests.Pattern(fragments.Sum(), 1), fragments);
                await WebSocketIo.ReadMessageAsync(socket, 1024, CancellationToken.None);
            }
            finally
            {
                closeStatus.TrySetResult(socket.CloseStatus);
            }
        });
        await using var connection = await ConnectAsync(server, maxFrameBytes: 5000);

        var error = await Assert.ThrowsAsync<FrameTooLargeException>(() => connection.ReceiveAsync(CancellationToken.None).AsTask().WaitAsync(Wait));
        Assert.Equal(5000, error.Limit);
        Assert.True(error.Size > 5000);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, await closeStatus.Task.WaitAsync(Wait));
        Assert.NotEqual(WebSocketState.Open, connection.State);
    }

    [Fact]
    public async Task A_peer_close_is_a_Close_frame_with_status_and_description()
    {
        await using var server = await StartAsync(async (_, socket) =>
        {
            await socket.SendAsync("last"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
            await socket.CloseOutputAsync((WebSocketCloseStatus)4001, "go away", CancellationToken.None);
            await WebSocketIo.ReadMessageAsync(socket, 1024, CancellationToken.None);
        });
        await using var connection = await ConnectAsync(server);

        using (var last = await ReceiveAsync(connection))
        {
            Assert.Equal("last", Encoding.UTF8.GetString(last.Span));
        }

        using var close = await ReceiveAsync(connection);
        Assert.Equal(FrameKind.Close, close.Kind);
        Assert.Equal(4001, close.CloseStatus);
        Assert.Equal("go away", close.CloseDescription);
        Assert.Equal(0, close.Length);
    }

    [Fact]
    public async Task Concurrent_sends_are_serialized_and_all_arrive_intact()
    {
        const int senders = 16;
        const int perSender = 40;
        var received = new ConcurrentQueue<byte[]>();
        await using var server = await StartAsync(async (_, socket) =>
        {
            while (await WebSocketIo.ReadMessageAsync(socket, 1 << 20, CancellationToken.None) is { } message)
            {
                received.Enqueue(message.Data);
            }
        });
        await using var connection = await ConnectAsync(server);

        await Task.WhenAll(Enumerable.Range(0, senders).Select(s => Task.Run(async () =>
        {
            for (var i = 0; i < perSender; i++)
            {
                // Sizes straddle the runtime's internal send buffer so sends really overlap.
                await connection.SendAsync(TcpFrameConnectionTests.Pattern(10 + (s * 3000) + i, (byte)s), FrameKind.Binary, CancellationToken.None);
            }
        })));

        await Bridge.Tests.Infrastructure.Eventually.TrueAsync(() => received.Count == senders * perSender, Wait, "every message arrived");
        Assert.All(received, m => Assert.Equal(TcpFrameConnectionTests.Pattern(m.Length, m[0]), m));
    }

    [Fact]
    public async Task Pooled_buffers_are_not_shared_between_frames_still_held()
    {
        var sizes = new[] { 10, 5000, 3, 70_000, 4096, 8192, 1, 100_000, 17 };
        await using var server = await StartAsync(async (_, socket) =>
        {
            for (var i = 0; i < sizes.Length; i++)
            {
                await socket.SendAsync(TcpFrameConnectionTests.Pattern(sizes[i], (byte)(i + 1)), WebSocketMessageType.Binary, true, CancellationToken.None);
            }

            await WebSocketIo.ReadMessageAsync(socket, 1024, CancellationToken.None);
        });
        await using var connection = await ConnectAsync(server);

        // Hold every other frame while later ones are received (and earlier ones returned to the pool).
        var held = new List<(ReceivedFrame Frame, int Index)>();
        for (var i = 0; i < sizes.Length; i++)
        {
            var frame = await ReceiveAsync(connection);
            Assert.Equal(TcpFrameConnectionTests.Pattern(sizes[i], (byte)(i + 1)), frame.Span.ToArray());
            if (i % 2 == 0)
            {
                held.Add((frame, i));
            }
            else
            {
                frame.Dispose();
            }
        }

        foreach (var (frame, index) in held)
        {
            Assert.Equal(TcpFrameConnectionTests.Pattern(sizes[index], (byte)(index + 1)), frame.Span.ToArray());
            Assert.Equal(sizes[index], frame.Memory.Length);
            frame.Dispose();
        }
    }

    [Fact]
    public async Task Close_sends_a_normal_close_handshake_and_the_reader_sees_the_reply()
    {
        var closeStatus = new TaskCompletionSource<(WebSocketCloseStatus?, string?)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await StartAsync(async (_, socket) =>
        {
            await WebSocketIo.ReadMessageAsync(socket, 1024, CancellationToken.None);
            closeStatus.TrySetResult((socket.CloseStatus, socket.CloseStatusDescription));
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "ok", CancellationToken.None);
        });
        await using var connection = await ConnectAsync(server);
        var reading = connection.ReceiveAsync(CancellationToken.None).AsTask();

        await connection.CloseAsync("bridge shutting down", CancellationToken.None);

        Assert.Equal((WebSocketCloseStatus.NormalClosure, "bridge shutting down"), await closeStatus.Task.WaitAsync(Wait));
        using var reply = await reading.WaitAsync(Wait);
        Assert.Equal(FrameKind.Close, reply.Kind);
        Assert.Equal(1000, reply.CloseStatus);
    }

    [Fact]
    public async Task Close_waits_for_a_send_in_flight_instead_of_failing()
    {
        var received = new ConcurrentQueue<int>();
        await using var server = await StartAsync(async (_, socket) =>
        {
            while (await WebSocketIo.ReadMessageAsync(socket, 1 << 22, CancellationToken.None) is { } message)
            {
                received.Enqueue(message.Data.Length);
            }
        });
        await using var connection = await ConnectAsync(server);

        var sends = Enumerable.Range(0, 8).Select(_ => connection.SendAsync(new byte[1 << 20], FrameKind.Binary, CancellationToken.None).AsTask()).ToArray();
        await connection.CloseAsync("done", CancellationToken.None);

        await Task.WhenAll(sends).WaitAsync(Wait);
        await Bridge.Tests.Infrastructure.Eventually.TrueAsync(() => received.Count == 8, Wait, "all sends queued before the close arrived");
    }

    /// <summary>
    /// A local abort (a failed write aborts the connection) is a lost connection to the reader, not a
    /// cancellation: the .NET WebSocket reports it as OperationCanceledException, and a read loop
    /// that took that for its own stop left the protobuf-IM session waiting for the watchdog.
    /// </summary>
    [Fact]
    public async Task Abort_fails_a_pending_receive_as_a_lost_connection_and_dispose_is_idempotent()
    {
        await using var server = await StartAsync(EchoAsync);
        var connection = await ConnectAsync(server);
        var pending = connection.ReceiveAsync(CancellationToken.None).AsTask();

        connection.Abort();

        var error = await Assert.ThrowsAsync<WebSocketException>(() => pending.WaitAsync(Wait));
        Assert.Equal(WebSocketError.ConnectionClosedPrematurely, error.WebSocketErrorCode);
        await connection.DisposeAsync();
        await connection.DisposeAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => connection.SendAsync(new byte[] { 1 }, FrameKind.Binary, CancellationToken.None).AsTask().WaitAsync(Wait));
    }

    [Fact]
    public async Task A_receive_whose_own_token_is_cancelled_still_throws_OperationCanceledException()
    {
        await using var server = await StartAsync(EchoAsync);
        await using var connection = await ConnectAsync(server);
        using var stop = new CancellationTokenSource();
        var pending = connection.ReceiveAsync(stop.Token).AsTask();

        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.WaitAsync(Wait));
    }

    [Fact]
    public async Task Connecting_to_a_closed_port_fails_fast_with_a_WebSocketException()
    {
        var port = FreePort();
        var options = new WebSocketEndpointOptions(new Uri($"ws://127.0.0.1:{port}/ws")) { ConnectTimeout = TimeSpan.FromSeconds(5) };

        await Assert.ThrowsAsync<WebSocketException>(() => WebSocketFrameConnection.ConnectAsync(options, TimeProvider.System, CancellationToken.None).WaitAsync(Wait));
    }

    internal static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static async Task<SimulatorServer> StartAsync(Func<HttpContext, WebSocket, Task> session)
    {
        var server = new SimulatorServer(routes => SimulatorServer.MapWebSocket(routes, "/ws", session));
        await server.StartAsync();
        return server;
    }

    private static Task<WebSocketFrameConnection> ConnectAsync(SimulatorServer server, int maxFrameBytes = 1 << 20) =>
        WebSocketFrameConnection.ConnectAsync(new WebSocketEndpointOptions(server.WebSocketUrl("/ws")) { MaxFrameBytes = maxFrameBytes }, TimeProvider.System, CancellationToken.None);

    private static Task<ReceivedFrame> ReceiveAsync(IFrameConnection connection) =>
        connection.ReceiveAsync(CancellationToken.None).AsTask().WaitAsync(Wait);

    private static async Task EchoAsync(HttpContext context, WebSocket socket)
    {
        while (await WebSocketIo.ReadMessageAsync(socket, 1 << 20, CancellationToken.None) is { } message)
        {
            await socket.SendAsync(message.Data, message.Type, true, CancellationToken.None);
        }
    }

    private static async Task SendFragmentsAsync(WebSocket socket, byte[] message, int[] fragments)
    {
        var offset = 0;
        for (var i = 0; i < fragments.Length; i++)
        {
            await socket.SendAsync(message.AsMemory(offset, fragments[i]), WebSocketMessageType.Binary, i == fragments.Length - 1, CancellationToken.None);
            offset += fragments[i];
        }
    }
}
