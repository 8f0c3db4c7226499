using System.Net;
using System.Net.Sockets;
using System.Text;
using Bridge.Host.Health;
using Bridge.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bridge.Tests.Host;

public class ProbeHttpServerTests
{
    [Theory]
    [InlineData("GET /readyz HTTP/1.1", "GET", "/readyz")]
    [InlineData("HEAD /healthz?verbose=1 HTTP/1.0", "HEAD", "/healthz")]
    [InlineData("POST /healthz HTTP/1.1", "POST", "/healthz")]
    public void A_request_line_gives_its_method_and_path(string line, string method, string path)
    {
        var request = ProbeRequest.Parse(Encoding.ASCII.GetBytes(line + "\r\nHost: x\r\n\r\n"));

        Assert.True(request.IsValid);
        Assert.Equal(method, request.Method);
        Assert.Equal(path, request.Path);
    }

    [Theory]
    [InlineData("hello", 400)]
    [InlineData("GET /healthz", 400)]
    [InlineData("GET healthz HTTP/1.1", 400)]
    [InlineData("GET /health\u0001z HTTP/1.1", 400)]
    [InlineData("G(T /healthz HTTP/1.1", 400)]
    [InlineData("GET /healthz FTP/1.1", 400)]
    [InlineData("GET /healthz HTTP/2.0", 505)]
    public void A_request_line_that_is_not_http_1_gets_an_error_status(string line, int status)
    {
        var request = ProbeRequest.Parse(Encoding.ASCII.GetBytes(line + "\r\n\r\n"));

        Assert.False(request.IsValid);
        Assert.Equal(status, request.ErrorStatus);
    }

    [Fact]
    public void The_head_ends_at_its_blank_line_and_not_before()
    {
        Assert.Equal(-1, ProbeRequest.HeadLength("GET / HTTP/1.1\r\nHost: x\r\n"u8));
        Assert.Equal(27, ProbeRequest.HeadLength("GET / HTTP/1.1\r\nHost: x\r\n\r\nbody"u8));
    }

    [Fact]
    public async Task Probes_are_answered_over_http_with_status_headers_and_body()
    {
        await using var server = Start(out var port);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        using var ok = await http.GetAsync(new Uri("/healthz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("ok\n", await ok.Content.ReadAsStringAsync());
        Assert.Equal("text/plain", ok.Content.Headers.ContentType?.MediaType);

        using var down = await http.GetAsync(new Uri("/readyz?x=1", UriKind.Relative));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.Equal("{\"ready\":false}", await down.Content.ReadAsStringAsync());

        using var missing = await http.GetAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        using var post = await http.PostAsync(new Uri("/healthz", UriKind.Relative), new StringContent("x"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
        Assert.Contains("GET", post.Content.Headers.Allow);
    }

    [Fact]
    public async Task Head_gets_the_headers_without_the_body()
    {
        await using var server = Start(out var port);

        var response = await RawAsync(port, "HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", response, StringComparison.Ordinal);
        Assert.Contains("Content-Length: 3\r\n", response, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_requests_get_a_clear_status_and_the_server_keeps_answering()
    {
        await using var server = Start(out var port);

        Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", await RawAsync(port, "hello there\r\n\r\n"), StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 505 ", await RawAsync(port, "GET /healthz HTTP/3.0\r\n\r\n"), StringComparison.Ordinal);
        var huge = "GET /healthz HTTP/1.1\r\nX-Big: " + new string('a', ProbeRequest.MaxHeadBytes) + "\r\n\r\n";
        Assert.StartsWith("HTTP/1.1 431 ", await RawAsync(port, huge), StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", await RawAsync(port, "GET /healthz HTTP/1.1\r\n\r\n"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_silent_connection_is_closed_after_the_request_timeout()
    {
        await using var server = Start(out var port, TimeSpan.FromMilliseconds(300));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, port);

        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var read = await client.ReceiveAsync(new byte[16], SocketFlags.None, giveUp.Token);

        Assert.Equal(0, read);
    }

    [Fact]
    public async Task Connections_beyond_the_limit_are_closed_and_probes_work_again_once_they_are_gone()
    {
        await using var server = Start(out var port);
        var idle = new List<Socket>();
        try
        {
            for (var i = 0; i < ProbeHttpServer.MaxConnections; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                idle.Add(socket);
                await socket.ConnectAsync(IPAddress.Loopback, port);
            }

            // The accept loop counts a connection when it takes it: wait until it took all of them.
            using var extra = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await extra.ConnectAsync(IPAddress.Loopback, port);
            using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            Assert.Equal(0, await extra.ReceiveAsync(new byte[16], SocketFlags.None, giveUp.Token));
        }
        finally
        {
            idle.ForEach(s => s.Dispose());
        }

        await Eventually.TrueAsync(async () => (await RawAsync(port, "GET /healthz HTTP/1.1\r\n\r\n")).StartsWith("HTTP/1.1 200 ", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10), "a probe is answered again");
    }

    [Fact]
    public void A_port_in_use_is_a_clear_error()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var server = new ProbeHttpServer(IPAddress.Loopback, port, Answer, NullLogger.Instance);

        var error = Assert.Throws<InvalidOperationException>(() => server.Start());

        Assert.Contains($"cannot listen on 127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
    }

    private static ProbeHttpServer Start(out int port, TimeSpan? requestTimeout = null)
    {
        var server = new ProbeHttpServer(IPAddress.Loopback, 0, Answer, NullLogger.Instance, requestTimeout);
        port = server.Start();
        return server;
    }

    private static ProbeResponse Answer(string path) => path switch
    {
        "/healthz" => ProbeResponse.Text(200, "ok\n"),
        "/readyz" => new ProbeResponse(503, "application/json", "{\"ready\":false}"u8.ToArray()),
        _ => ProbeResponse.Text(404, "not found\n"),
    };

    /// <summary>Sends the bytes as they are and reads the response until the server closes.</summary>
    private static async Task<string> RawAsync(int port, string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var response = new MemoryStream();
        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await stream.CopyToAsync(response, giveUp.Token);

        return Encoding.ASCII.GetString(response.ToArray());
    }
}
