using System.Text.Json;
using System.Text.Unicode;

namespace Bridge.Connectors.Abstractions;

/// <summary>A JSON string's value as UTF-8 of its own, for texts kept as UTF-8 (<see cref="Contracts.V1.MessageBody.FromUtf8"/>).</summary>
public static class JsonUtf8Text
{
    /// <summary>
    /// Copies the current string token's value: the bytes as they stand when nothing in them is
    /// escaped, else unescaped. False when the value is not valid UTF-8 (or escapes a lone surrogate).
    /// </summary>
    public static bool TryRead(ref Utf8JsonReader reader, out ReadOnlyMemory<byte> utf8)
    {
        if (!reader.HasValueSequence && !reader.ValueIsEscaped)
        {
            utf8 = reader.ValueSpan.ToArray();
        }
        else
        {
            // Unescaping only shortens: the escaped length is room enough.
            var room = new byte[reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length];
            try
            {
                utf8 = room.AsMemory(0, reader.CopyString(room));
            }
            catch (InvalidOperationException)
            {
                utf8 = default;
                return false;
            }
        }

        return Utf8.IsValid(utf8.Span);
    }
}
