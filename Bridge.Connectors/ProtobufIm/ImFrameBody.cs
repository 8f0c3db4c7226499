using Google.Protobuf;

namespace Bridge.Connectors.ProtobufIm;

/// <summary>The body of a frame the connector writes: its serialized size, and its bytes written into the frame.</summary>
internal interface IImFrameBody
{
    int CalculateSize();

    /// <summary>Writes exactly <see cref="CalculateSize"/> bytes.</summary>
    void WriteTo(Span<byte> destination);
}

/// <summary>A message of the generated code as a frame body (null: no body).</summary>
internal readonly struct ImMessageBody(IMessage? message) : IImFrameBody
{
    public int CalculateSize() => message?.CalculateSize() ?? 0;

    public void WriteTo(Span<byte> destination) => message?.WriteTo(destination);
}
