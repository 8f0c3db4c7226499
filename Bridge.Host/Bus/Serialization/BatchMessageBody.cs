using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Bridge.Connectors.Abstractions;
using MassTransit;
using MassTransit.Context;

namespace Bridge.Host.Bus.Serialization;

/// <summary>
/// A batch's body, serialized once, when the transport first asks for it, into an array from the
/// <see cref="BatchBodyPool"/> (padded with spaces to its size class). <see cref="Recycle"/> gives
/// the array back once the send is confirmed: the broker client has copied it into its frames by then.
/// </summary>
internal sealed class BatchMessageBody<T>(T message, JsonTypeInfo<T> typeInfo, int estimatedBytes) : MessageBody, IRecyclableBody
{
    private byte[]? _bytes;

    public long? Length => GetBytes().Length;

    public Stream GetStream() => new MemoryStream(GetBytes(), writable: false);

    public byte[] GetBytes() => _bytes ??= Serialize();

    public string GetString() => Encoding.UTF8.GetString(GetBytes());

    /// <summary>Gives the array back; a later <see cref="GetBytes"/> would serialize again.</summary>
    public void Recycle()
    {
        if (Interlocked.Exchange(ref _bytes, null) is { } bytes)
        {
            BatchBodyPool.Return(bytes);
        }
    }

    /// <summary>Into a pooled buffer of about the batch's size (estimated from its texts), then into the pooled body array.</summary>
    private byte[] Serialize()
    {
        using var buffer = new PooledBufferWriter(estimatedBytes);
        var options = typeInfo.Options;
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = options.Encoder, Indented = options.WriteIndented, MaxDepth = options.MaxDepth }))
        {
            JsonSerializer.Serialize(writer, message, typeInfo);
        }

        var bytes = BatchBodyPool.Rent(buffer.WrittenCount);
        buffer.WrittenSpan.CopyTo(bytes);
        bytes.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return bytes;
    }
}

/// <summary>A send body whose storage can be used again once the send is confirmed.</summary>
internal interface IRecyclableBody
{
    void Recycle();

    /// <summary>Recycles the body of a confirmed send, when it is one of these.</summary>
    static void AfterConfirm<T>(SendContext<T>? context)
        where T : class
    {
        if (context is MessageSendContext<T> { Body: IRecyclableBody body })
        {
            body.Recycle();
        }
    }
}
