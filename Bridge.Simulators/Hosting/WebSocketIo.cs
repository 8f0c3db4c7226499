using System.Net.WebSockets;
using Bridge.Connectors.Abstractions;

namespace Bridge.Simulators.Hosting;

/// <summary>Whole-message reads for simulators.</summary>
public static class WebSocketIo
{
    private const int FirstRead = 8192;

    /// <summary>
    /// Reads one whole message; null when the peer closed. Bigger than the limit: closes with 1009
    /// and returns null. The fragments gather in a pooled buffer that doubles as needed, so a
    /// message costs one array of its exact size (a growing stream cost about three times that:
    /// the simulators share the benchmark's two cores with the bridge).
    /// </summary>
    public static async Task<(WebSocketMessageType Type, byte[] Data)?> ReadMessageAsync(WebSocket socket, int maxBytes, CancellationToken cancellationToken)
    {
        using var message = new PooledBufferWriter(FirstRead);
        while (true)
        {
            var result = await socket.ReceiveAsync(message.GetMemory(), cancellationToken).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            message.Advance(result.Count);
            if (message.WrittenCount > maxBytes)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, "message too big", cancellationToken).ConfigureAwait(false);
                return null;
            }

            if (result.EndOfMessage)
            {
                return (result.MessageType, message.ToArray());
            }
        }
    }

    /// <summary>
    /// After this side sent its close frame: reads, and drops, what the peer still sends until its
    /// close frame arrives or <paramref name="timeout"/> passes, so the close handshake completes
    /// before the connection is torn down. A connection closed while the peer's answer is still on
    /// its way is reset, and the peer may lose the close frame (and what came before it) to the reset.
    /// </summary>
    public static async Task AwaitPeerCloseAsync(WebSocket socket, TimeSpan timeout)
    {
        try
        {
            using var deadline = new CancellationTokenSource(timeout);
            while (await ReadMessageAsync(socket, 1 << 16, deadline.Token).ConfigureAwait(false) is not null)
            {
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            // Gone already, or it did not answer in time.
        }
    }
}
