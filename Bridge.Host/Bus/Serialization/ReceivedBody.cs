using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MassTransit;
using MassTransit.Serialization;

namespace Bridge.Host.Bus.Serialization;

/// <summary>
/// The bytes of a received message body, read where they are. MassTransit's RabbitMQ transport
/// copies each delivery into a new array of its own and hands it over as a
/// <see cref="MemoryMessageBody"/>, whose <c>GetBytes</c> copies it again on every call: for a
/// batch of a hundred events that is a large array per batch, allocated only to be parsed once.
/// The memory it wraps is read instead; any other body, or a MassTransit whose
/// <see cref="MemoryMessageBody"/> no longer has that field, goes through <c>GetBytes</c> as before
/// (<c>Host/ReceivedBodyTests</c> checks the field is still there).
/// </summary>
internal static class ReceivedBody
{
    private static volatile bool _fieldMissing;

    public static ReadOnlySpan<byte> Span(MessageBody body) => Memory(body).Span;

    public static ReadOnlyMemory<byte> Memory(MessageBody body)
    {
        if (body is MemoryMessageBody memory && !_fieldMissing)
        {
            try
            {
                return Field(memory);
            }
            catch (MissingFieldException)
            {
                _fieldMissing = true;
            }
        }

        return body.GetBytes();
    }

    /// <summary>
    /// Whether texts read from the body may point into it instead of being copied: only an array
    /// of its own, which the garbage collector keeps for as long as a text points into it. A body
    /// in a slice of a larger array may be a pooled buffer that is reused once the message is consumed.
    /// </summary>
    public static bool IsOwnArray(ReadOnlyMemory<byte> body) =>
        MemoryMarshal.TryGetArray(body, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length;

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_memory")]
    private static extern ref readonly ReadOnlyMemory<byte> Field(MemoryMessageBody body);
}
