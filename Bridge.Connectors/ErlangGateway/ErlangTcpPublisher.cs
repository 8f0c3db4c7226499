using Bridge.Connectors.Transport;
using Microsoft.Extensions.Logging;

namespace Bridge.Connectors.ErlangGateway;

/// <summary>
/// The TCP interface (port 19095): a long-lived connection with 4-byte big-endian length-prefixed
/// frames that carries client PUBLISH packets and their PUB_ACKs. Connected on first use, replaced
/// after any failure. It has no CONNECT and no pushes.
/// </summary>
internal sealed class ErlangTcpPublisher(string name, ErlangGatewayOptions options, ILogger logger, TimeProvider time) : IAsyncDisposable
{
    private const int MaxFrameBytes = 64 * 1024;

    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private TcpFrameConnection? _connection;

    public PendingRequests<string, ErlangCommand> Pending { get; } = new();

    public string Endpoint => $"tcp://{options.EffectiveTcpHost}:{options.TcpPort}";

    public async ValueTask<IFrameConnection> GetConnectionAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _connection) is { } existing)
        {
            return existing;
        }

        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_connection is { } again)
            {
                return again;
            }

            var connection = await TcpFrameConnection.ConnectAsync(options.EffectiveTcpHost, options.TcpPort, MaxFrameBytes, options.ConnectTimeout, time, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _connection, connection);
            _ = ReadAcksAsync(connection);
            return connection;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    private async Task ReadAcksAsync(TcpFrameConnection connection)
    {
        var reason = "the TCP interface closed the connection";
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                using var frame = await connection.ReceiveAsync(_stop.Token).ConfigureAwait(false);
                if (frame.Kind == FrameKind.Close)
                {
                    break;
                }

                var error = ErlangCodec.TryDecode(frame.Memory, PacketSource.Server, out var packet);
                if (error is null && packet.Command == ErlangCommand.PubAck)
                {
                    Pending.TryComplete(packet.MsgId, packet.Command);
                }
                else
                {
                    ErlangGatewayLog.TcpFailed(logger, name, Endpoint, error ?? $"unexpected {ErlangCodec.Name(packet.Command)}");
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            reason = ex.Message;
            ErlangGatewayLog.TcpFailed(logger, name, Endpoint, ex.Message);
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }

        Interlocked.CompareExchange(ref _connection, null, connection);
        Pending.FailAll(new ConnectionLostException(reason));
        await connection.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Drops the connection after a failed write; the next send connects again.</summary>
    public void Reset()
    {
        Volatile.Read(ref _connection)?.Abort();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        Reset();
        _connectLock.Dispose();
        _stop.Dispose();
    }
}
