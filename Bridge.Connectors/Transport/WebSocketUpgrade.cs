using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;

namespace Bridge.Connectors.Transport;

/// <summary>
/// The client side of the WebSocket opening handshake (RFC 6455 section 4) on a plain TCP or TLS
/// stream, then <see cref="WebSocket.CreateFromStream(Stream, WebSocketCreationOptions)"/>. Unlike
/// <see cref="ClientWebSocket"/>, no HTTP connection object with its own read and write buffers
/// (8 KB) stays behind each session, which counts with one session per xnest room. HTTP proxies
/// are not used; the backends are reached directly.
/// </summary>
internal static class WebSocketUpgrade
{
    private const int MaxResponseHeadBytes = 16 * 1024;
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>The WebSocket, and the stream under it, through which data frames are also written (see <see cref="FrameWriteQueue"/>).</summary>
    public static async Task<(WebSocket Socket, WebSocketWireStream Stream)> ConnectAsync(WebSocketEndpointOptions options, CancellationToken cancellationToken)
    {
        var url = options.Url;
        var secure = url.Scheme is "wss" or "https";
        if (!secure && url.Scheme is not ("ws" or "http"))
        {
            throw new ArgumentException($"not a WebSocket URL: {options.SafeDescription}", nameof(options));
        }

        var port = url.IsDefaultPort ? (secure ? 443 : 80) : url.Port;
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        try
        {
            await socket.ConnectAsync(new DnsEndPoint(url.DnsSafeHost, port), cancellationToken).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: true);
            if (secure)
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = tls;
                var authentication = new SslClientAuthenticationOptions { TargetHost = url.IdnHost };
                if (options.AllowUntrustedCertificate)
                {
#pragma warning disable CA5359 // Opt-in per connector (allowUntrustedCertificate) for test rigs with self-signed certificates.
                    authentication.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
#pragma warning restore CA5359
                }

                await tls.AuthenticateAsClientAsync(authentication, cancellationToken).ConfigureAwait(false);
            }

            var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            await stream.WriteAsync(Request(url, port, secure, key, options.Headers), cancellationToken).ConfigureAwait(false);
            var head = await ReadResponseHeadAsync(stream, cancellationToken).ConfigureAwait(false);
            Validate(head, key);
            var shared = new WebSocketWireStream(stream);
            var webSocket = WebSocket.CreateFromStream(shared, new WebSocketCreationOptions
            {
                IsServer = false,
                KeepAliveInterval = options.KeepAliveInterval ?? WebSocket.DefaultKeepAliveInterval,
            });
            return (webSocket, shared);
        }
        catch (Exception ex)
        {
            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                socket.Dispose();
            }

            // As ClientWebSocket does: a failed connect or TLS handshake is a WebSocketException.
            if (ex is SocketException or IOException or System.Security.Authentication.AuthenticationException)
            {
                throw new WebSocketException(WebSocketError.Faulted, $"unable to connect to {options.SafeDescription}: {ex.Message}", ex);
            }

            throw;
        }
    }

    internal static byte[] Request(Uri url, int port, bool secure, string key, IReadOnlyDictionary<string, string>? headers)
    {
        var host = url.HostNameType == UriHostNameType.IPv6 ? $"[{url.DnsSafeHost}]" : url.IdnHost;
        var sb = new StringBuilder(256);
        sb.Append("GET ").Append(url.PathAndQuery).Append(" HTTP/1.1\r\n");
        sb.Append("Host: ").Append(host);
        if (port != (secure ? 443 : 80))
        {
            sb.Append(':').Append(port);
        }

        sb.Append("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ").Append(key).Append("\r\n");
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            if (name.Length == 0 || name.Any(c => c <= ' ' || c >= 127 || c == ':') || value.Any(c => c is '\r' or '\n' or '\0'))
            {
                throw new ArgumentException($"header {name} is not a valid HTTP header name/value");
            }

            sb.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        return Encoding.UTF8.GetBytes(sb.Append("\r\n").ToString());
    }

    /// <summary>Reads up to and including the blank line, one byte at a time, so no WebSocket frame behind it is consumed.</summary>
    private static async Task<string> ReadResponseHeadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var head = new byte[MaxResponseHeadBytes];
        var length = 0;
        while (length < 4 || head[length - 4] != '\r' || head[length - 3] != '\n' || head[length - 2] != '\r' || head[length - 1] != '\n')
        {
            if (length == head.Length)
            {
                throw new WebSocketException(WebSocketError.HeaderError, $"the upgrade response head exceeds {MaxResponseHeadBytes} bytes");
            }

            if (await stream.ReadAsync(head.AsMemory(length, 1), cancellationToken).ConfigureAwait(false) == 0)
            {
                throw new WebSocketException(WebSocketError.ConnectionClosedPrematurely, "the server closed the connection during the WebSocket upgrade");
            }

            length++;
        }

        return Encoding.Latin1.GetString(head, 0, length);
    }

    /// <summary>The Sec-WebSocket-Accept value a server must answer to <paramref name="key"/>.</summary>
    internal static string AcceptFor(string key)
    {
#pragma warning disable CA5350 // RFC 6455 defines Sec-WebSocket-Accept with SHA-1; it proves an upgrade-aware server, not integrity.
        return Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + AcceptGuid)));
#pragma warning restore CA5350
    }

    internal static void Validate(string head, string key)
    {
        var lines = head.Split("\r\n");
        var status = lines[0].Split(' ', 3);
        if (status.Length < 2 || !status[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || !int.TryParse(status[1], out var code))
        {
            throw new WebSocketException(WebSocketError.HeaderError, $"not an HTTP response to the WebSocket upgrade: {lines[0]}");
        }

        if (code != (int)HttpStatusCode.SwitchingProtocols)
        {
            throw new WebSocketException(WebSocketError.NotAWebSocket, $"the server answered the WebSocket upgrade with status {code} {(status.Length > 2 ? status[2] : "")}".TrimEnd());
        }

        string? upgrade = null, connection = null, accept = null;
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            var value = line[(colon + 1)..].Trim();
            switch (line[..colon].Trim().ToLowerInvariant())
            {
                case "upgrade": upgrade = value; break;
                case "connection": connection = value; break;
                case "sec-websocket-accept": accept = value; break;
            }
        }

        var expected = AcceptFor(key);
        if (!string.Equals(upgrade, "websocket", StringComparison.OrdinalIgnoreCase)
            || connection is null || !connection.Split(',').Any(t => t.Trim().Equals("upgrade", StringComparison.OrdinalIgnoreCase))
            || accept != expected)
        {
            throw new WebSocketException(WebSocketError.HeaderError, "the server's 101 answer lacks a valid Upgrade, Connection or Sec-WebSocket-Accept header");
        }
    }
}
