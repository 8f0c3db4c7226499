using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Bridge.Host.Health;

/// <summary>A response to a probe: status, content type and body.</summary>
internal sealed record ProbeResponse(int Status, string ContentType, byte[] Body)
{
    public static ProbeResponse Text(int status, string text) => new(status, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes(text));
}

/// <summary>
/// The HTTP/1.1 server behind the health probes, on a plain socket: one request per connection
/// (answered with <c>Connection: close</c>), GET and HEAD only, a request head of at most
/// <see cref="ProbeRequest.MaxHeadBytes"/> read within <see cref="DefaultRequestTimeout"/>, at most
/// <see cref="MaxConnections"/> connections at once (more are closed at once). Probes need no more,
/// and a full web server (Kestrel, routing, its own service container) held 10–15 MB of the
/// bridge's resident memory for them.
/// </summary>
internal sealed partial class ProbeHttpServer(IPAddress address, int port, Func<string, ProbeResponse> answer, ILogger logger, TimeSpan? requestTimeout = null) : IAsyncDisposable
{
    public const int MaxConnections = 32;
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(5);

    private const int MaxDrainBytes = 64 * 1024;

    private readonly TimeSpan _requestTimeout = requestTimeout ?? DefaultRequestTimeout;

    private static readonly ProbeResponse MethodNotAllowed = ProbeResponse.Text(405, "only GET and HEAD\n");

    private readonly CancellationTokenSource _stopping = new();
    private Socket? _listener;
    private Task _accepting = Task.CompletedTask;
    private int _open;

    /// <summary>Binds and starts accepting; returns the bound port (useful with port 0).</summary>
    public int Start()
    {
        var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (address.Equals(IPAddress.IPv6Any))
            {
                listener.DualMode = true;
            }

            listener.Bind(new IPEndPoint(address, port));
            listener.Listen(64);
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw new InvalidOperationException($"The health endpoint cannot listen on {address}:{port}: {e.Message}", e);
        }

        _listener = listener;
        using (ExecutionContext.SuppressFlow())
        {
            _accepting = Task.Run(AcceptLoopAsync);
        }

        return ((IPEndPoint)listener.LocalEndPoint!).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener?.Dispose();
        await _accepting.ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener!.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException || token.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e)
            {
                // Out of file descriptors and the like: say so, and do not spin on it.
                AcceptFailed(logger, e.SocketErrorCode.ToString());
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(100), token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            if (Interlocked.Increment(ref _open) > MaxConnections)
            {
                Interlocked.Decrement(ref _open);
                client.Dispose();
                continue;
            }

            _ = ServeAsync(client, token);
        }
    }

    private async Task ServeAsync(Socket client, CancellationToken stopping)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ProbeRequest.MaxHeadBytes);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            timeout.CancelAfter(_requestTimeout);
            await using var stream = new NetworkStream(client, ownsSocket: false);
            if (await ReadHeadAsync(stream, buffer, timeout.Token).ConfigureAwait(false) is not { } length)
            {
                return;
            }

            var request = length < 0 ? ProbeRequest.HeadTooLarge : ProbeRequest.Parse(buffer.AsSpan(0, length));
            var response = !request.IsValid ? ProbeResponse.Text(request.ErrorStatus, ReasonPhrase(request.ErrorStatus).ToLowerInvariant() + "\n")
                : request.Method is "GET" or "HEAD" ? answer(request.Path)
                : MethodNotAllowed;
            await WriteAsync(stream, response, withBody: request.Method != "HEAD", timeout.Token).ConfigureAwait(false);
            client.Shutdown(SocketShutdown.Send);
            await DrainAsync(stream, buffer, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // Timed out, stopping, or the peer went away: nothing to answer.
        }
        catch (Exception e)
        {
            ProbeFailed(logger, e.GetType().Name, e.Message);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            client.Dispose();
            Interlocked.Decrement(ref _open);
        }
    }

    /// <summary>Reads until the head's blank line: its length, -1 when it outgrew the limit, null when the peer closed first.</summary>
    private static async Task<int?> ReadHeadAsync(NetworkStream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (true)
        {
            var length = ProbeRequest.HeadLength(buffer.AsSpan(0, filled));
            if (length >= 0)
            {
                return length;
            }

            if (filled >= ProbeRequest.MaxHeadBytes)
            {
                return -1;
            }

            var read = await stream.ReadAsync(buffer.AsMemory(filled, ProbeRequest.MaxHeadBytes - filled), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return null;
            }

            filled += read;
        }
    }

    /// <summary>
    /// Reads what the client still sends (a body, the rest of an oversize head) until it closes: a
    /// socket closed with unread input is reset, and a reset can cost the client the response.
    /// </summary>
    private static async Task DrainAsync(NetworkStream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        for (var drained = 0; drained < MaxDrainBytes;)
        {
            var read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return;
            }

            drained += read;
        }
    }

    private static async Task WriteAsync(NetworkStream stream, ProbeResponse response, bool withBody, CancellationToken cancellationToken)
    {
        var allow = response.Status == 405 ? "Allow: GET, HEAD\r\n" : string.Empty;
        var head = string.Create(CultureInfo.InvariantCulture,
            $"HTTP/1.1 {response.Status} {ReasonPhrase(response.Status)}\r\nContent-Type: {response.ContentType}\r\nContent-Length: {response.Body.Length}\r\n{allow}Cache-Control: no-store\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), cancellationToken).ConfigureAwait(false);
        if (withBody)
        {
            await stream.WriteAsync(response.Body, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string ReasonPhrase(int status) => status switch
    {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Error",
    };

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "The health endpoint could not accept a connection: {Error}")]
    private static partial void AcceptFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Warning, Message = "A health probe failed: {ErrorType}: {Error}")]
    private static partial void ProbeFailed(ILogger logger, string errorType, string error);
}
