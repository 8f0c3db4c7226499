using Bridge.Connectors.ProtobufIm.Wire;

namespace Bridge.Connectors.ProtobufIm;

/// <summary>
/// A decoded <c>WebSocketMessage</c> whose <see cref="Body"/> still points into the received
/// frame's buffer (no copy): parse the body before the frame is disposed.
/// </summary>
public readonly record struct ImEnvelope(CommandType Command, uint Sequence, ReadOnlyMemory<byte> Body, long Timestamp)
{
    /// <summary>Server pushes carry sequence 0; replies echo the request's sequence.</summary>
    public bool IsPush => Sequence == 0;
}
