using System.Net.WebSockets;
using System.Text;
using Bridge.Connectors.Xnest;

namespace Bridge.Tests.Xnest;

/// <summary>A bare WebSocket client of the simulator, for tests of the fake server itself.</summary>
internal sealed class XnestRawClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();

    public static async Task<XnestRawClient> ConnectAsync(Uri baseUrl, string room, string? nickname, string? storeHistory = null)
    {
        var client = new XnestRawClient();
        var query = new List<string>();
        if (nickname is not null)
        {
            query.Add("nickname=" + Uri.EscapeDataString(nickname));
        }

        if (storeHistory is not null)
        {
            query.Add("is_store_history=" + storeHistory);
        }

        client._socket.Options.CollectHttpResponseDetails = true;
        await client._socket.ConnectAsync(new Uri($"{baseUrl}/{room}?{string.Join('&', query)}"), CancellationToken.None);
        return client;
    }

    public IReadOnlyDictionary<string, IEnumerable<string>>? ResponseHeaders => _socket.HttpResponseHeaders;

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    public Task SendAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text);

    public async Task SendAsync(byte[] data, WebSocketMessageType type) =>
        await _socket.SendAsync(data, type, true, CancellationToken.None);

    /// <summary>The next frame, or null when the server closed.</summary>
    public async Task<XnestFrame?> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(5));
        var buffer = new byte[1 << 16];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await _socket.ReceiveAsync(buffer, cts.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                Assert.True(XnestCodec.TryDecode(message.ToArray(), out var frame, out var error), error);
                return frame;
            }
        }
    }

    /// <summary>Reads until a frame matches (frames before it are returned too).</summary>
    public async Task<List<XnestFrame>> ReceiveUntilAsync(Func<XnestFrame, bool> match)
    {
        var frames = new List<XnestFrame>();
        while (true)
        {
            var frame = await ReceiveAsync() ?? throw new InvalidOperationException("closed before the expected frame");
            frames.Add(frame);
            if (match(frame))
            {
                return frames;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Abort();
        _socket.Dispose();
        await Task.CompletedTask;
    }
}
