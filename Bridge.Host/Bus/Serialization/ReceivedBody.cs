using System.Runtime.CompilerServices;
using MassTransit;
using MassTransit.Serialization;

namespace Bridge.Host.Bus.Serialization;

/// <summary>
/// The bytes of a received message body, read where they are. MassTransit's RabbitMQ transport
/// hands the body over as a <see cref="MemoryMessageBody"/>, whose <c>GetBytes</c> copies it into a
/// new array on every call: for a batch of a hundred events that is a large array per batch,
/// allocated only to be parsed once. The memory it wraps is read instead. That memory is part of a
/// pooled array (measured: a 61,980-byte body in a 65,536-byte array, 805,592 bytes in 1 MiB), valid
/// only while the message is consumed, so nothing read from it may point into it. Any other body, or a
/// MassTransit whose <see cref="MemoryMessageBody"/> no longer has that field, goes through
/// <c>GetBytes</c> as before (<c>Host/ReceivedBodyTests</c> checks the field is still there).
/// </summary>
internal static class ReceivedBody
{
    private static volatile bool _fieldMissing;

    public static ReadOnlySpan<byte> Span(MessageBody body)
    {
        if (body is MemoryMessageBody memory && !_fieldMissing)
        {
            try
            {
                return Memory(memory).Span;
            }
            catch (MissingFieldException)
            {
                _fieldMissing = true;
            }
        }

        return body.GetBytes();
    }

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_memory")]
    internal static extern ref readonly ReadOnlyMemory<byte> Memory(MemoryMessageBody body);
}
