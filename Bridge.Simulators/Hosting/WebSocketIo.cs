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
}
