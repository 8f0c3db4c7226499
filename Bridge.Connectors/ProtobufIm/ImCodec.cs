using Bridge.Connectors.ProtobufIm.Wire;
using System.Diagnostics.CodeAnalysis;
using Google.Protobuf;

namespace Bridge.Connectors.ProtobufIm;

/// <summary>
/// Encodes and decodes protobuf-IM frames: one binary WebSocket message = one serialized
/// <c>WebSocketMessage{command=1, sequence=2, body=3, timestamp=4}</c>. Encoding writes the
/// envelope and the inner message into one exactly sized span (no intermediate body copy);
/// decoding reads the envelope by hand so the body stays a slice of the received buffer, then
/// parses the inner message straight from that slice. Malformed input gives an error text, never
/// an exception.
/// </summary>
public static class ImCodec
{
    private const byte CommandTag = (1 << 3) | 0;
    private const byte SequenceTag = (2 << 3) | 0;
    private const byte BodyTag = (3 << 3) | 2;
    private const byte TimestampTag = (4 << 3) | 0;

    /// <summary>Serializes one frame exactly as Google.Protobuf serializes the envelope (proto3 defaults omitted).</summary>
    public static byte[] Encode(CommandType command, uint sequence, IMessage? body, long timestamp = 0)
    {
        var message = new ImMessageBody(body);
        var bodySize = message.CalculateSize();
        var frame = new byte[FrameSize(command, sequence, bodySize, timestamp)];
        WriteFrame(frame, command, sequence, message, bodySize, timestamp);
        return frame;
    }

    /// <summary>The size of a frame whose body is <paramref name="bodySize"/> bytes.</summary>
    internal static int FrameSize(CommandType command, uint sequence, int bodySize, long timestamp) =>
        (command == CommandType.CmdUnknown ? 0 : 1 + CodedOutputStream.ComputeEnumSize((int)command))
        + (sequence == 0 ? 0 : 1 + CodedOutputStream.ComputeUInt32Size(sequence))
        + (bodySize == 0 ? 0 : 1 + CodedOutputStream.ComputeLengthSize(bodySize) + bodySize)
        + (timestamp == 0 ? 0 : 1 + CodedOutputStream.ComputeInt64Size(timestamp));

    /// <summary>
    /// Writes a frame into exactly <see cref="FrameSize"/> bytes, the body straight into its place:
    /// the envelope's fields in number order, as the generated code writes them.
    /// </summary>
    internal static void WriteFrame<TBody>(Span<byte> frame, CommandType command, uint sequence, in TBody body, int bodySize, long timestamp)
        where TBody : IImFrameBody
    {
        var at = 0;
        if (command != CommandType.CmdUnknown)
        {
            frame[at++] = CommandTag;
            WriteVarint(frame, ref at, (ulong)(long)(int)command); // an enum is an int32: a negative one takes ten bytes
        }

        if (sequence != 0)
        {
            frame[at++] = SequenceTag;
            WriteVarint(frame, ref at, sequence);
        }

        if (bodySize > 0)
        {
            frame[at++] = BodyTag;
            WriteVarint(frame, ref at, (ulong)bodySize);
            body.WriteTo(frame.Slice(at, bodySize));
            at += bodySize;
        }

        if (timestamp != 0)
        {
            frame[at++] = TimestampTag;
            WriteVarint(frame, ref at, (ulong)timestamp);
        }

        if (at != frame.Length)
        {
            throw new InvalidOperationException($"the frame took {at} of its {frame.Length} bytes");
        }
    }

    internal static void WriteVarint(Span<byte> span, ref int position, ulong value)
    {
        while (value >= 0x80)
        {
            span[position++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[position++] = (byte)value;
    }

    /// <summary>Decodes the envelope; the body is a slice of <paramref name="frame"/>.</summary>
    public static bool TryDecode(ReadOnlyMemory<byte> frame, int maxFrameBytes, out ImEnvelope envelope, out string? error)
    {
        envelope = default;
        if (frame.Length > maxFrameBytes)
        {
            error = $"frame of {frame.Length} bytes exceeds the limit of {maxFrameBytes} bytes";
            return false;
        }

        var span = frame.Span;
        var position = 0;
        var command = CommandType.CmdUnknown;
        uint sequence = 0;
        long timestamp = 0;
        ReadOnlyMemory<byte> body = default;
        while (position < span.Length)
        {
            var tagStart = position;
            if (!TryReadVarint(span, ref position, out var tag))
            {
                error = $"truncated or overlong field tag at offset {tagStart}";
                return false;
            }

            var field = tag >> 3;
            var wireType = (int)(tag & 7);
            if (field == 0 || field > 536_870_911)
            {
                error = $"invalid field number {field} at offset {tagStart}";
                return false;
            }

            switch (wireType)
            {
                case 0:
                    if (!TryReadVarint(span, ref position, out var value))
                    {
                        error = $"truncated varint in field {field} at offset {tagStart}";
                        return false;
                    }

                    if (field == 1)
                    {
                        command = (CommandType)(int)value;
                    }
                    else if (field == 2)
                    {
                        sequence = (uint)value;
                    }
                    else if (field == 4)
                    {
                        timestamp = (long)value;
                    }

                    break;
                case 1:
                    if (!Skip(span, ref position, 8))
                    {
                        error = $"truncated fixed64 in field {field} at offset {tagStart}";
                        return false;
                    }

                    break;
                case 5:
                    if (!Skip(span, ref position, 4))
                    {
                        error = $"truncated fixed32 in field {field} at offset {tagStart}";
                        return false;
                    }

                    break;
                case 2:
                    if (!TryReadVarint(span, ref position, out var length) || length > (ulong)(span.Length - position))
                    {
                        error = $"length of field {field} at offset {tagStart} runs past the end of the {span.Length}-byte frame";
                        return false;
                    }

                    if (field == 3)
                    {
                        body = frame.Slice(position, (int)length);
                    }

                    position += (int)length;
                    break;
                default:
                    error = $"unsupported wire type {wireType} in field {field} at offset {tagStart}";
                    return false;
            }
        }

        envelope = new ImEnvelope(command, sequence, body, timestamp);
        error = null;
        return true;
    }

    /// <summary>Parses an inner message from a body slice.</summary>
    public static bool TryParse<T>(MessageParser<T> parser, ReadOnlyMemory<byte> body, [NotNullWhen(true)] out T? message, [NotNullWhen(false)] out string? error)
        where T : class, IMessage<T>
    {
        try
        {
            message = parser.ParseFrom(body.Span);
            error = null;
            return true;
        }
        catch (InvalidProtocolBufferException ex)
        {
            message = null;
            error = $"malformed {typeof(T).Name}: {ex.Message}";
            return false;
        }
    }

    /// <summary>Advances past <paramref name="count"/> bytes; false when fewer remain.</summary>
    internal static bool Skip(ReadOnlySpan<byte> span, ref int position, int count)
    {
        if (span.Length - position < count)
        {
            return false;
        }

        position += count;
        return true;
    }

    /// <summary>Reads a protobuf base-128 varint; false when it is truncated or longer than ten bytes.</summary>
    internal static bool TryReadVarint(ReadOnlySpan<byte> span, ref int position, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (position >= span.Length)
            {
                return false;
            }

            var b = span[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return true;
            }
        }

        return false;
    }
}
