using System.Net;
using System.Net.Sockets;

namespace Bridge.Tests.Transport;

/// <summary>
/// A TcpListener on loopback that runs a test's script for each accepted connection (write raw
/// bytes, read what the client sent), so length-prefixed framing is checked byte by byte.
/// </summary>
internal sealed class TcpScriptServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<NetworkStream, CancellationToken, Task> _script;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _sessions = [];
    private readonly Task _acceptLoop;

    public TcpScriptServer(Func<NetworkStream, CancellationToken, Task> script)
    {
        _script = script;
        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>The first script failure, if any (assertions inside the script land here).</summary>
    public Exception? ScriptError { get; private set; }

    public Task<Bridge.Connectors.Transport.TcpFrameConnection> ConnectAsync(int maxFrameBytes = 1 << 20) =>
        Bridge.Connectors.Transport.TcpFrameConnection.ConnectAsync("127.0.0.1", Port, maxFrameBytes, TimeSpan.FromSeconds(10), TimeProvider.System, CancellationToken.None);

    /// <summary>Waits until the expected connections were accepted and their scripts finished; rethrows the first script failure.</summary>
    public async Task ScriptsCompletedAsync(int expectedSessions = 1)
    {
        await Bridge.Tests.Infrastructure.Eventually.TrueAsync(
            () =>
            {
                lock (_sessions)
                {
                    return _sessions.Count >= expectedSessions;
                }
            },
            TimeSpan.FromSeconds(20),
            $"{expectedSessions} connection(s) were accepted");
        Task[] sessions;
        lock (_sessions)
        {
            sessions = [.. _sessions];
        }

        await Task.WhenAll(sessions).WaitAsync(TimeSpan.FromSeconds(20));
        if (ScriptError is not null)
        {
            throw new InvalidOperationException("server script failed", ScriptError);
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                // A client reset before it was accepted: keep serving the others.
                continue;
            }

            socket.NoDelay = true;
            lock (_sessions)
            {
                _sessions.Add(RunScriptAsync(socket));
            }
        }
    }

    private async Task RunScriptAsync(Socket socket)
    {
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            await _script(stream, _stop.Token);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            ScriptError ??= ex;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _acceptLoop;
        _stop.Dispose();
    }
}

/// <summary>Reads exactly what a test expects from a raw stream.</summary>
internal static class StreamReading
{
    public static async Task<byte[]> ReadExactlyAsync(this NetworkStream stream, int count, CancellationToken cancellationToken)
    {
        var data = new byte[count];
        await stream.ReadExactlyAsync(data, cancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        return data;
    }

    /// <summary>True when the peer closed or reset the connection within the timeout.</summary>
    public static async Task<bool> SeesEndAsync(this NetworkStream stream, TimeSpan timeout)
    {
        var one = new byte[1];
        try
        {
            var n = await stream.ReadAsync(one).AsTask().WaitAsync(timeout);
            return n == 0;
        }
        catch (IOException)
        {
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
