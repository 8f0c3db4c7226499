using System.Buffers;
using System.Net.WebSockets;

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
        var buffer = ArrayPool<byte>.Shared.Rent(FirstRead);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var result = await socket.ReceiveAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return null;
                }

                length += result.Count;
                if (length > maxBytes)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, "message too big", cancellationToken).ConfigureAwait(false);
                    return null;
                }

                if (result.EndOfMessage)
                {
                    return (result.MessageType, buffer.AsSpan(0, length).ToArray());
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
