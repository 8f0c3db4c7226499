using System.Net.WebSockets;
using BenchmarkDotNet.Attributes;
using Bridge.Connectors.Transport;

namespace Bridge.Benchmarks.Transport;

/// <summary>
/// One data frame sent on a client WebSocket connection, as every send to RTM, the protobuf IM,
/// Glide, the Erlang gateway and an xnest room does it: encoded, queued, written by the
/// connection's writer (a thread-pool work item), the sender resumed. The sender's token can be
/// cancelled, as the connectors' are (their session's or the send's deadline). The wire takes
/// every write at once.
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
        var stream = new WebSocketWireStream(new SinkWire());
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

    /// <summary>A wire that takes every write at once and never has anything to read.</summary>
    private sealed class SinkWire : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    }
}
