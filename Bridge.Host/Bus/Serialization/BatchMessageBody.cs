using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Bridge.Connectors.Abstractions;
using MassTransit;

namespace Bridge.Host.Bus.Serialization;

/// <summary>A batch's body, serialized once, when the transport first asks for it.</summary>
internal sealed class BatchMessageBody<T>(T message, JsonTypeInfo<T> typeInfo) : MessageBody
{
    private byte[]? _bytes;

    public long? Length => GetBytes().Length;

    public Stream GetStream() => new MemoryStream(GetBytes(), writable: false);

    public byte[] GetBytes() => _bytes ??= Serialize();

    /// <summary>
    /// Into a pooled buffer, then into an array of the exact size (what the transport takes) that is
    /// not zeroed first: a batch is up to a megabyte, every byte of it overwritten at once.
    /// </summary>
    private byte[] Serialize()
    {
        using var buffer = new PooledBufferWriter(16 * 1024);
        var options = typeInfo.Options;
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = options.Encoder, Indented = options.WriteIndented, MaxDepth = options.MaxDepth }))
        {
            JsonSerializer.Serialize(writer, message, typeInfo);
        }

        var bytes = GC.AllocateUninitializedArray<byte>(buffer.WrittenCount);
        buffer.WrittenSpan.CopyTo(bytes);
        return bytes;
    }

    public string GetString() => Encoding.UTF8.GetString(GetBytes());
}
