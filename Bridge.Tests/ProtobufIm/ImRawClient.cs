using System.Net.WebSockets;
using Bridge.Connectors.ProtobufIm;
using Bridge.Connectors.ProtobufIm.Wire;
using Google.Protobuf;

namespace Bridge.Tests.ProtobufIm;

/// <summary>A bare protobuf-IM client for tests: send frames, read frames, nothing automatic.</summary>
internal sealed class ImRawClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly System.Threading.Channels.Channel<(CommandType Command, uint Sequence, byte[] Body)> _frames =
        System.Threading.Channels.Channel.CreateUnbounded<(CommandType, uint, byte[])>();
    private Task? _reader;
    private uint _sequence;

    public WebSocketState State => _socket.State;

    public static async Task<ImRawClient> ConnectAsync(Uri url)
    {
        var client = new ImRawClient();
        await client._socket.ConnectAsync(url, CancellationToken.None);
        return client;
    }

    public async Task<uint> SendAsync(CommandType command, IMessage body)
    {
        var sequence = ++_sequence;
        await _socket.SendAsync(ImCodec.Encode(command, sequence, body), WebSocketMessageType.Binary, true, CancellationToken.None);
        return sequence;
    }

    public Task SendRawAsync(byte[] bytes, WebSocketMessageType type = WebSocketMessageType.Binary) =>
        _socket.SendAsync(bytes, type, true, CancellationToken.None);

    /// <summary>The next frame as (command, sequence, body bytes); null when none arrives in time or the peer closed.</summary>
    public async Task<(CommandType Command, uint Sequence, byte[] Body)?> ReceiveAsync(TimeSpan? timeout = null)
    {
        _reader ??= ReadLoopAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(5));
        try
        {
            return await _frames.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (System.Threading.Channels.ChannelClosedException ex) when (ex.InnerException is WebSocketException inner)
        {
            throw inner;
        }
        catch (System.Threading.Channels.ChannelClosedException)
        {
            return null;
        }
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[1 << 20];
        try
        {
            while (true)
            {
                var length = 0;
                while (true)
                {
                    var result = await _socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        _frames.Writer.TryComplete();
                        return;
                    }

                    length += result.Count;
                    if (result.EndOfMessage)
                    {
                        break;
                    }
                }

                if (ImCodec.TryDecode(buffer.AsMemory(0, length), int.MaxValue, out var envelope, out _))
                {
                    await _frames.Writer.WriteAsync((envelope.Command, envelope.Sequence, envelope.Body.ToArray()));
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            _frames.Writer.TryComplete(ex);
        }
    }

    /// <summary>Sends a request and waits for the reply with its sequence (skipping pushes), parsed.</summary>
    public async Task<T> RequestAsync<T>(CommandType command, IMessage body, MessageParser<T> parser)
        where T : IMessage<T>
    {
        var sequence = await SendAsync(command, body);
        while (true)
        {
            var frame = await ReceiveAsync() ?? throw new TimeoutException($"no reply to {command}");
            if (frame.Sequence == sequence)
            {
                return parser.ParseFrom(frame.Body);
            }
        }
    }

    public Task<AuthResponse> AuthAsync(string userId, string token) =>
        RequestAsync(CommandType.CmdAuthReq, new AuthRequest { UserId = userId, Token = token, Platform = "Web" }, AuthResponse.Parser);

    public ValueTask DisposeAsync()
    {
        _socket.Abort();
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
