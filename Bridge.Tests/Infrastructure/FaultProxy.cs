using System.Net;
using System.Net.Sockets;

namespace Bridge.Tests.Infrastructure;

/// <summary>
/// A TCP proxy between a client and a server on loopback that injects faults: drop every
/// connection (optionally after forwarding part of the next chunk, i.e. mid-frame), stall traffic
/// in both directions, or refuse new connections.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(TcpClient Client, TcpClient Server)> _pairs = [];
    private readonly object _gate = new();
    private volatile bool _stalled;
    private volatile bool _refuse;
    private int _truncateNext = -1;
    private Task? _acceptLoop;

    public FaultProxy(IPEndPoint target)
    {
        _target = target;
        _listener = new TcpListener(IPAddress.Loopback, 0);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Accepted;

    public void Start()
    {
        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>While stalled, bytes are held in neither direction (the peer sees silence).</summary>
    public void Stall(bool stalled) => _stalled = stalled;

    /// <summary>While refusing, new connections are accepted and closed at once.</summary>
    public void Refuse(bool refuse) => _refuse = refuse;

    /// <summary>Closes every connection now.</summary>
    public void DropAll() => DropAll(graceful: null);

    /// <summary>Closes every connection; <paramref name="graceful"/> (already shut down for sending) closes without a reset.</summary>
    private void DropAll(TcpClient? graceful)
    {
        lock (_gate)
        {
            foreach (var (c, s) in _pairs)
            {
                if (ReferenceEquals(c, graceful))
                {
                    c.Client.Close();
                }
                else
                {
                    c.Client.Close(0);
                }

                s.Client.Close(0);
            }

            _pairs.Clear();
        }
    }

    /// <summary>How many client connections are currently proxied.</summary>
    public int Open
    {
        get
        {
            lock (_gate)
            {
                return _pairs.Count;
            }
        }
    }

    /// <summary>Forwards only the first <paramref name="bytes"/> of the next server→client chunk, then drops everything.</summary>
    public void DropMidFrame(int bytes) => Volatile.Write(ref _truncateNext, bytes);

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            Interlocked.Increment(ref Accepted);
            if (_refuse)
            {
                client.Client.Close(0);
                continue;
            }

            var server = new TcpClient { NoDelay = true };
            try
            {
                await server.ConnectAsync(_target, _stop.Token);
            }
            catch (Exception)
            {
                client.Client.Close(0);
                server.Dispose();
                continue;
            }

            client.NoDelay = true;
            lock (_gate)
            {
                _pairs.Add((client, server));
            }

            _ = RunPairAsync(client, server);
        }
    }

    /// <summary>
    /// Forwards both directions. A clean end of stream on one side is passed on as a half-close
    /// (FIN), so a graceful shutdown stays graceful through the proxy; a failure on either side
    /// resets both. The pair is closed and forgotten when both directions are done.
    /// </summary>
    private async Task RunPairAsync(TcpClient client, TcpClient server)
    {
        var clean = await Task.WhenAll(PumpAsync(client, server, truncate: false), PumpAsync(server, client, truncate: true));
        if (clean[0] && clean[1])
        {
            client.Client.Close();
            server.Client.Close();
        }
        else
        {
            client.Client.Close(0);
            server.Client.Close(0);
        }

        lock (_gate)
        {
            _pairs.RemoveAll(p => ReferenceEquals(p.Client, client));
        }
    }

    /// <summary>Copies one direction; true when it ended cleanly (end of stream, passed on as a FIN).</summary>
    private async Task<bool> PumpAsync(TcpClient from, TcpClient to, bool truncate)
    {
        var buffer = new byte[16384];
        try
        {
            var input = from.GetStream();
            var output = to.GetStream();
            while (true)
            {
                var n = await input.ReadAsync(buffer, _stop.Token);
                if (n == 0)
                {
                    to.Client.Shutdown(SocketShutdown.Send);
                    return true;
                }

                while (_stalled)
                {
                    await Task.Delay(20, _stop.Token);
                }

                var cut = truncate ? Interlocked.Exchange(ref _truncateNext, -1) : -1;
                if (cut >= 0)
                {
                    // A graceful FIN after the partial chunk (not a reset, which may discard it):
                    // the client reads the first bytes of a frame, then end of stream.
                    await output.WriteAsync(buffer.AsMemory(0, Math.Min(cut, n)), _stop.Token);
                    await output.FlushAsync(_stop.Token);
                    to.Client.Shutdown(SocketShutdown.Send);
                    DropAll(graceful: to);
                    return false;
                }

                await output.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
            }
        }
        catch (Exception)
        {
            // A dropped side ends both directions at once.
            from.Client.Close(0);
            to.Client.Close(0);
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        DropAll();
        if (_acceptLoop is not null)
        {
            await _acceptLoop;
        }

        _stop.Dispose();
    }
}
