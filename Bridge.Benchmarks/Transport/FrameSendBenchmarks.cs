using System.Net.WebSockets;
using BenchmarkDotNet.Attributes;
using Bridge.Connectors.Transport;

namespace Bridge.Benchmarks.Transport;

/// <summary>
/// One data frame sent on a client WebSocket connection, as every send to RTM, the protobuf IM,
/// Glide, the Erlang gateway and an xnest room does it: encoded, queued, written by the
/// connection's writer (a thread-pool work item), the sender resumed. The sender's token can be
/// cancelled, as the connectors' are (their session's or the send's deadline). The wire
/// (<see cref="Stream.Null"/>) takes every write at once.
/// </summary>
[MemoryDiagnoser]
public class FrameSendBenchmarks
{
    private static readonly byte[] Payload = new byte[100];
    private readonly CancellationTokenSource _session = new();
    private WebSocketFrameConnection _connection = null!;

    [GlobalSetup]
    public void Setup()
    {
        var stream = new WebSocketWireStream(Stream.Null);
        var socket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = TimeSpan.Zero });
        _connection = new WebSocketFrameConnection(socket, stream, new WebSocketEndpointOptions(new Uri("ws://127.0.0.1:9/")), TimeProvider.System);
    }

    [Benchmark]
    public ValueTask FrameSent() => _connection.SendAsync(Payload, FrameKind.Binary, _session.Token);

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _connection.DisposeAsync().ConfigureAwait(false);
        _session.Dispose();
    }
}
