using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using MassTransit;

namespace Bridge.Host.Bus.Serialization;

/// <summary>A batch's body, serialized once, when the transport first asks for it.</summary>
internal sealed class BatchMessageBody<T>(T message, JsonTypeInfo<T> typeInfo) : MessageBody
{
    private byte[]? _bytes;

    public long? Length => GetBytes().Length;

    public Stream GetStream() => new MemoryStream(GetBytes(), writable: false);

    public byte[] GetBytes() => _bytes ??= JsonSerializer.SerializeToUtf8Bytes(message, typeInfo);

    public string GetString() => Encoding.UTF8.GetString(GetBytes());
}
