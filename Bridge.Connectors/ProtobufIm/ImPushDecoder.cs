using System.Text;
using Bridge.Connectors.Abstractions;

namespace Bridge.Connectors.ProtobufIm;

/// <summary>
/// Reads a <c>PushMessage</c> body straight from the frame into an <see cref="ImPush"/>: the text
/// becomes a string, the message's own ids values (<see cref="ImWireId"/>), the ids that repeat
/// (conversation, sender, receiver, group) come from a <see cref="Utf8StringCache"/>; nothing else
/// is allocated (no message object, no content copy, no map). Field handling follows protobuf: the last occurrence of a field wins,
/// unknown fields and fields with another wire type are skipped; truncation and invalid tags are
/// errors. Never throws.
/// </summary>
public static class ImPushDecoder
{
    private const uint MessageIdTag = (1 << 3) | 2;
    private const uint ClientMsgIdTag = (2 << 3) | 2;
    private const uint ConversationIdTag = (3 << 3) | 2;
    private const uint SenderIdTag = (4 << 3) | 2;
    private const uint ReceiverIdTag = (5 << 3) | 2;
    private const uint GroupIdTag = (6 << 3) | 2;
    private const uint MessageTypeTag = (7 << 3) | 0;
    private const uint ContentTag = (8 << 3) | 2;
    private const uint SendTimeTag = (9 << 3) | 0;
    private const uint ServerTimeTag = (10 << 3) | 0;
    private const uint SeqTag = (11 << 3) | 0;
    private const uint ExtraTag = (15 << 3) | 2;
    private const uint EntryKeyTag = (1 << 3) | 2;
    private const uint EntryValueTag = (2 << 3) | 2;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    public static bool TryDecode(ReadOnlySpan<byte> body, Utf8StringCache? cache, out ImPush push, out string? error)
    {
        push = default;
        ImWireId messageId = default, clientMsgId = default;
        string conversationId = string.Empty;
        string senderId = string.Empty, receiverId = string.Empty, groupId = string.Empty;
        ImContent content = default;
        string? origin = null;
        int messageType = 0;
        long sendTime = 0, serverTime = 0, seq = 0;
        var position = 0;
        while (position < body.Length)
        {
            var at = position;
            if (!TryField(body, ref position, out var tag, out var value, out var bytes, out error))
            {
                error = $"malformed PushMessage: {error} at offset {at}";
                return false;
            }

            switch (tag)
            {
                case MessageIdTag: messageId = ImWireId.From(bytes); break;
                case ClientMsgIdTag: clientMsgId = ImWireId.From(bytes); break;
                case ConversationIdTag: conversationId = Text(bytes, cache); break;
                case SenderIdTag: senderId = Text(bytes, cache); break;
                case ReceiverIdTag: receiverId = Text(bytes, cache); break;
                case GroupIdTag: groupId = Text(bytes, cache); break;
                case MessageTypeTag: messageType = (int)value; break;
                case ContentTag: content = ImContent.From(bytes); break;
                case SendTimeTag: sendTime = (long)value; break;
                case ServerTimeTag: serverTime = (long)value; break;
                case SeqTag: seq = (long)value; break;
                case ExtraTag:
                    if (!TryEntry(bytes, ref origin, out error))
                    {
                        error = $"malformed PushMessage: {error} in extra at offset {at}";
                        return false;
                    }

                    break;
            }
        }

        push = new ImPush(messageId, clientMsgId, conversationId, senderId, receiverId, groupId, messageType, content, sendTime, serverTime, seq, origin);
        error = null;
        return true;
    }

    /// <summary>One <c>extra</c> map entry; keeps the value when the key is the origin marker (a later entry wins).</summary>
    private static bool TryEntry(ReadOnlySpan<byte> entry, ref string? origin, out string? error)
    {
        scoped ReadOnlySpan<byte> key = default, value = default;
        var position = 0;
        while (position < entry.Length)
        {
            if (!TryField(entry, ref position, out var tag, out _, out var bytes, out error, inMapEntry: true))
            {
                return false;
            }

            if (tag == EntryKeyTag)
            {
                key = bytes;
            }
            else if (tag == EntryValueTag)
            {
                value = bytes;
            }
        }

        if (key.SequenceEqual(OriginMarkerKey))
        {
            origin = Text(value, null);
        }

        error = null;
        return true;
    }

    private static ReadOnlySpan<byte> OriginMarkerKey => "bridgeOrigin"u8;

    /// <summary>
    /// Reads one field: a varint's value, or a length-delimited field's bytes; fixed-size fields and
    /// groups are skipped. Inside a map entry protobuf skips an undefined wire type (6, 7) as empty.
    /// </summary>
    private static bool TryField(ReadOnlySpan<byte> span, ref int position, out uint tag, out ulong value, out ReadOnlySpan<byte> bytes, out string? error, bool inMapEntry = false)
    {
        tag = 0;
        value = 0;
        bytes = default;
        if (!ImCodec.TryReadVarint(span, ref position, out var rawTag))
        {
            error = "truncated or overlong tag";
            return false;
        }

        tag = (uint)rawTag; // like protobuf: a tag is a 32-bit varint, upper bits of a longer one are dropped
        if (tag >> 3 == 0)
        {
            error = "invalid tag 0";
            return false;
        }

        switch (tag & 7)
        {
            case 0:
                error = ImCodec.TryReadVarint(span, ref position, out value) ? null : "truncated varint";
                break;
            case 1:
                error = ImCodec.Skip(span, ref position, 8) ? null : "truncated fixed64";
                break;
            case 5:
                error = ImCodec.Skip(span, ref position, 4) ? null : "truncated fixed32";
                break;
            case 2:
                if (!ImCodec.TryReadVarint(span, ref position, out var length) || length > (ulong)(span.Length - position))
                {
                    error = "length runs past the end";
                    break;
                }

                bytes = span.Slice(position, (int)length);
                position += (int)length;
                error = null;
                break;
            case 3:
                error = SkipGroup(span, ref position, tag >> 3, depth: 0, inMapEntry);
                break;
            case 6 or 7 when inMapEntry:
                error = null;
                break;
            default:
                error = $"unexpected wire type {tag & 7}";
                break;
        }

        return error is null;
    }

    /// <summary>Skips a (deprecated) group up to its end tag, as protobuf does for an unknown field.</summary>
    private static string? SkipGroup(ReadOnlySpan<byte> span, ref int position, uint field, int depth, bool inMapEntry)
    {
        if (depth >= 64)
        {
            return "groups nested too deeply";
        }

        while (true)
        {
            if (!ImCodec.TryReadVarint(span, ref position, out var rawTag) || (uint)rawTag >> 3 == 0)
            {
                return "truncated group";
            }

            var tag = (uint)rawTag;
            switch (tag & 7)
            {
                case 4:
                    return tag >> 3 == field ? null : "mismatched end of group";
                case 3:
                    if (SkipGroup(span, ref position, tag >> 3, depth + 1, inMapEntry) is { } nested)
                    {
                        return nested;
                    }

                    break;
                case 0:
                    if (!ImCodec.TryReadVarint(span, ref position, out _))
                    {
                        return "truncated varint";
                    }

                    break;
                case 1:
                    if (!ImCodec.Skip(span, ref position, 8))
                    {
                        return "truncated fixed64";
                    }

                    break;
                case 5:
                    if (!ImCodec.Skip(span, ref position, 4))
                    {
                        return "truncated fixed32";
                    }

                    break;
                case 2:
                    if (!ImCodec.TryReadVarint(span, ref position, out var length) || length > (ulong)(span.Length - position))
                    {
                        return "length runs past the end";
                    }

                    position += (int)length;
                    break;
                case 6 or 7 when inMapEntry:
                    break;
                default:
                    return $"unexpected wire type {tag & 7}";
            }
        }
    }

    private static string Text(ReadOnlySpan<byte> utf8, Utf8StringCache? cache)
    {
        if (utf8.IsEmpty)
        {
            return string.Empty;
        }

        if (cache is not null && cache.TryGet(utf8, out var cached))
        {
            return cached;
        }

        var text = Utf8.GetString(utf8);
        cache?.Add(utf8, text);
        return text;
    }
}
