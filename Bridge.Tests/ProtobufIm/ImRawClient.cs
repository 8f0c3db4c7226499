using System.Net.WebSockets;
using Bridge.Connectors.ProtobufIm;
using Bridge.Connectors.ProtobufIm.Wire;
using Google.Protobuf;

namespace Bridge.Tests.ProtobufIm;

/// <summary>A bare protobuf-IM client for tests: send frames, read frames, nothing automatic.</summary>
internal sealed class ImRawClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
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

    /// <summary>The next frame as (command, sequence, body bytes); null when none arrives in time.</summary>
    public async Task<(CommandType Command, uint Sequence, byte[] Body)?> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(5));
        var buffer = new byte[1 << 20];
        var length = 0;
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer.AsMemory(length), cts.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return null;
                }

                length += result.Count;
                if (result.EndOfMessage)
                {
                    Assert.True(ImCodec.TryDecode(buffer.AsMemory(0, length), int.MaxValue, out var envelope, out var error), error);
                    return (envelope.Command, envelope.Sequence, envelope.Body.ToArray());
                }
            }
        }
        catch (OperationCanceledException)
        {
            return null;
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
