using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Bridge.Host.Bus.Serialization;

/// <summary>
/// The received body a batch is being read from, for the text converter to point into instead of
/// copying each text (see <see cref="Contracts.V1.MessageBody.FromUtf8"/>): a 60 KB text then costs
/// the router and the delivery consumer no array of its own. Set for the duration of one
/// synchronous read on the reading thread, and only for a body that is an array of its own
/// (<see cref="ReceivedBody.IsOwnArray"/>).
/// </summary>
internal static class BatchTextSource
{
    [ThreadStatic]
    private static ReadOnlyMemory<byte> _body;

    /// <summary>Makes <paramref name="body"/> the source until the returned scope is disposed.</summary>
    public static Scope Enter(ReadOnlyMemory<byte> body)
    {
        _body = ReceivedBody.IsOwnArray(body) ? body : default;
        return default;
    }

    /// <summary>The part of the source that <paramref name="value"/> is, when it lies inside the source.</summary>
    public static bool TrySlice(ReadOnlySpan<byte> value, out ReadOnlyMemory<byte> slice)
    {
        slice = default;
        var body = _body.Span;
        if (value.IsEmpty || body.IsEmpty)
        {
            return false;
        }

        var offset = Unsafe.ByteOffset(ref MemoryMarshal.GetReference(body), ref MemoryMarshal.GetReference(value));
        if (offset < 0 || offset > body.Length - value.Length)
        {
            return false;
        }

        slice = _body.Slice((int)offset, value.Length);
        return true;
    }

    public readonly struct Scope : IDisposable
    {
        public void Dispose() => _body = default;
    }
}
