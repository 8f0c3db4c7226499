using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Bridge.Connectors.Transport;

namespace Bridge.Tests.Transport;

/// <summary>The client opening handshake (RFC 6455 section 4) against hand-written server answers.</summary>
public sealed class WebSocketUpgradeTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public void The_request_names_the_host_port_path_key_and_extra_headers()
    {
        var request = Encoding.UTF8.GetString(WebSocketUpgrade.Request(new Uri("ws://[::1]:8080/xgate/websocket?room=a%20b"), 8080, false, "a2V5",
            new Dictionary<string, string> { ["X-Token"] = "t1" }));

        Assert.StartsWith("GET /xgate/websocket?room=a%20b HTTP/1.1\r\nHost: [::1]:8080\r\n", request);
        Assert.Contains("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: a2V5\r\n", request);
        Assert.EndsWith("X-Token: t1\r\n\r\n", request);
        Assert.Contains("Host: gate.example\r\n", Encoding.UTF8.GetString(WebSocketUpgrade.Request(new Uri("wss://gate.example/ws"), 443, true, "k", null)));
    }

    [Fact]
    public void A_header_that_would_split_the_request_is_refused()
    {
        Assert.Throws<ArgumentException>(() => WebSocketUpgrade.Request(new Uri("ws://h/ws"), 80, false, "k",
            new Dictionary<string, string> { ["X-A"] = "v\r\nX-Injected: 1" }));
        Assert.Throws<ArgumentException>(() => WebSocketUpgrade.Request(new Uri("ws://h/ws"), 80, false, "k",
            new Dictionary<string, string> { ["Bad Name"] = "v" }));
    }

    [Fact]
    public void Only_a_101_with_the_matching_accept_header_opens_the_socket()
    {
        const string key = "dGhlIHNhbXBsZSBub25jZQ==";
        const string accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="; // RFC 6455 section 1.3
        Assert.Equal(accept, WebSocketUpgrade.AcceptFor(key));
        WebSocketUpgrade.Validate($"HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n", key);

        var refused = Assert.Throws<WebSocketException>(() => WebSocketUpgrade.Validate("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n", key));
        Assert.Contains("401 Unauthorized", refused.Message);
        Assert.Throws<WebSocketException>(() => WebSocketUpgrade.Validate($"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x{accept}\r\n\r\n", key));
        Assert.Throws<WebSocketException>(() => WebSocketUpgrade.Validate($"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n", key));
        Assert.Throws<WebSocketException>(() => WebSocketUpgrade.Validate("SSH-2.0-OpenSSH\r\n\r\n", key));
    }

    [Fact]
    public async Task A_frame_the_server_sends_in_the_same_packet_as_its_101_is_received()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync();
            var stream = client.GetStream();
            var request = await ReadHeadAsync(stream);
            var key = request.Split("\r\n").Single(l => l.StartsWith("Sec-WebSocket-Key: ", StringComparison.Ordinal))["Sec-WebSocket-Key: ".Length..];
            var accept = WebSocketUpgrade.AcceptFor(key);
            var answer = Encoding.ASCII.GetBytes($"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n");
            await stream.WriteAsync(answer.Concat(new byte[] { 0x81, 5 }).Concat("hello"u8.ToArray()).ToArray());
            await Task.Delay(2000);
            return request;
        });

        var options = new WebSocketEndpointOptions(new Uri($"ws://127.0.0.1:{port}/path?q=1")) { Headers = new Dictionary<string, string> { ["X-Client"] = "bridge" } };
        await using var connection = await WebSocketFrameConnection.ConnectAsync(options, TimeProvider.System, CancellationToken.None).WaitAsync(Wait);
        using var frame = await connection.ReceiveAsync(CancellationToken.None).AsTask().WaitAsync(Wait);

        Assert.Equal(FrameKind.Text, frame.Kind);
        Assert.Equal("hello", Encoding.UTF8.GetString(frame.Span));
        var seen = await server.WaitAsync(Wait);
        Assert.StartsWith($"GET /path?q=1 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n", seen);
        Assert.Contains("\r\nX-Client: bridge\r\n", seen);
    }

    [Fact]
    public async Task A_server_that_refuses_the_upgrade_fails_the_connect_with_its_status()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _ = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync();
            var stream = client.GetStream();
            await ReadHeadAsync(stream);
            await stream.WriteAsync("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"u8.ToArray());
            await Task.Delay(1000);
        });

        var options = new WebSocketEndpointOptions(new Uri($"ws://127.0.0.1:{port}/ws"));
        var error = await Assert.ThrowsAsync<WebSocketException>(() => WebSocketFrameConnection.ConnectAsync(options, TimeProvider.System, CancellationToken.None).WaitAsync(Wait));
        Assert.Contains("403", error.Message);
    }

    private static async Task<string> ReadHeadAsync(NetworkStream stream)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (buffer.Count < 4 || !buffer.TakeLast(4).SequenceEqual("\r\n\r\n"u8.ToArray()))
        {
            if (await stream.ReadAsync(one) == 0)
            {
                break;
            }

            buffer.Add(one[0]);
        }

        return Encoding.ASCII.GetString(buffer.ToArray());
    }
}
