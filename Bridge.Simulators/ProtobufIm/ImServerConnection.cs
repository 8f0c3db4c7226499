using System.Net.WebSockets;
using System.Threading.Channels;
using Bridge.Connectors.ProtobufIm;
using Bridge.Connectors.ProtobufIm.Wire;
using Bridge.Simulators.Hosting;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;

namespace Bridge.Simulators.ProtobufIm;

/// <summary>
/// One client connection of the simulated server: frames handled one at a time in arrival order,
/// replies and pushes through one write pump with a bounded buffer (full: the frame is dropped).
/// </summary>
internal sealed class ImServerConnection
{
    private readonly HttpContext _http;
    private readonly WebSocket _socket;
    private readonly ProtobufImSimulator _server;
    private readonly Channel<Outgoing> _outbox;
    private readonly Lock _gate = new();
    private volatile bool _stalled;
    private bool _ended;

    public ImServerConnection(HttpContext http, WebSocket socket, ProtobufImSimulator server, int bufferFrames, Action onDropped)
    {
        _http = http;
        _socket = socket;
        _server = server;
        _outbox = Channel.CreateBounded<Outgoing>(new BoundedChannelOptions(bufferFrames)
        {
            FullMode = BoundedChannelFullMode.DropWrite,
            SingleReader = true,
        }, _ => onDropped());
    }

    /// <summary>The authenticated user, or null.</summary>
    public string? UserId { get; set; }

    public bool Stalled
    {
        get => _stalled;
        set => _stalled = value;
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _http.RequestAborted);
        var pump = WritePumpAsync(cts.Token);
        try
        {
            while (!cts.IsCancellationRequested)
            {
                while (_stalled)
                {
                    await Task.Delay(20, cts.Token).ConfigureAwait(false);
                }

                var message = await WebSocketIo.ReadMessageAsync(_socket, int.MaxValue, cts.Token).ConfigureAwait(false);
                if (message is null)
                {
                    return;
                }

                while (_stalled)
                {
                    await Task.Delay(20, cts.Token).ConfigureAwait(false);
                }

                if (message.Value.Type == WebSocketMessageType.Binary)
                {
                    _server.Handle(this, message.Value.Data);
                }
            }
        }
        finally
        {
            _outbox.Writer.TryComplete();
            await cts.CancelAsync().ConfigureAwait(false);
            try
            {
                await pump.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
            {
                // Connection over.
            }
        }
    }

    /// <summary>Queues a frame (a full buffer drops it: TryWrite still succeeds, the drop callback counts it).</summary>
    public bool Send(CommandType command, uint sequence, IMessage body, long nowMs) =>
        _outbox.Writer.TryWrite(new Outgoing(ImCodec.Encode(command, sequence, body, nowMs), WebSocketMessageType.Binary, false));

    public bool SendRaw(byte[] frame, WebSocketMessageType type) => _outbox.Writer.TryWrite(new Outgoing(frame, type, false));

    /// <summary>Sends the frame, then aborts the connection (KICK_OUT test switch).</summary>
    public void SendThenAbort(byte[] frame)
    {
        if (!_outbox.Writer.TryWrite(new Outgoing(frame, WebSocketMessageType.Binary, true)))
        {
            Abort();
        }
    }

    /// <summary>
    /// Closes at TCP level: no close frame, as the real server drops a replaced connection. Once the
    /// request has ended (<see cref="End"/>) there is nothing to abort: its context may already
    /// serve another request, and aborting it there threw (seen in a test's stop).
    /// </summary>
    public void Abort()
    {
        lock (_gate)
        {
            if (_ended)
            {
                return;
            }

            try
            {
                _http.Abort();
            }
            catch (ObjectDisposedException)
            {
                // The request is being torn down (the client went away first): nothing left to abort.
            }
        }
    }

    /// <summary>Called by the request's handler as it returns: from then on <see cref="Abort"/> leaves the context alone.</summary>
    public void End()
    {
        lock (_gate)
        {
            _ended = true;
        }
    }

    private async Task WritePumpAsync(CancellationToken cancellationToken)
    {
        await foreach (var (frame, type, abortAfter) in _outbox.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            while (_stalled)
            {
                await Task.Delay(20, cancellationToken).ConfigureAwait(false);
            }

            await _socket.SendAsync(frame, type, endOfMessage: true, cancellationToken).ConfigureAwait(false);
            if (abortAfter)
            {
                await Task.Delay(50, CancellationToken.None).ConfigureAwait(false);
                Abort();
                return;
            }
        }
    }

    private readonly record struct Outgoing(byte[] Frame, WebSocketMessageType Type, bool AbortAfter);
}
