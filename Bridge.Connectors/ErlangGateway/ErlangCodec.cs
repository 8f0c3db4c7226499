using System.Buffers.Binary;
using System.Text;

namespace Bridge.Connectors.ErlangGateway;

/// <summary>
/// Encodes and decodes Erlang gateway packets (big-endian, lengths in bytes, MsgId = 32 ASCII
/// bytes). Pure and allocation-aware: decoding slices the input, encoding writes into a caller's
/// span (or a new array for convenience). Malformed input yields a precise error, never an exception.
/// </summary>
public static class ErlangCodec
{
    public const int MsgIdLength = 32;

    /// <summary>The largest payload the 16-bit length field can describe.</summary>
    public const int MaxPayloadBytes = ushort.MaxValue;

    /// <summary>The largest uid list the 16-bit count can describe.</summary>
    public const int MaxUids = ushort.MaxValue;

    // ---------- decoding ----------

    /// <summary>
    /// Decodes one whole packet written by <paramref name="source"/>. Returns null on success,
    /// otherwise what is wrong (truncated, unknown command, trailing bytes, bad MsgId).
    /// </summary>
    public static string? TryDecode(ReadOnlyMemory<byte> frame, PacketSource source, out ErlangPacket packet)
    {
        packet = default;
        var span = frame.Span;
        if (span.Length == 0)
        {
            return "empty packet";
        }

        var command = (ErlangCommand)span[0];
        var reader = new Reader(frame, 1);
        string? error;
        switch (command)
        {
            case ErlangCommand.Ping or ErlangCommand.PingResp or ErlangCommand.Disconnect:
                return reader.End(command, out packet, new ErlangPacket(command));
            case ErlangCommand.InvalidPacket or ErlangCommand.Logout:
                // Bodies are not documented: accept and ignore trailing bytes.
                packet = new ErlangPacket(command);
                return null;
            case ErlangCommand.ConnectAck:
                if (!reader.Byte(out var code))
                {
                    return Truncated(command, "Code", frame.Length);
                }

                return reader.End(command, out packet, new ErlangPacket(command, code: code));
            case ErlangCommand.PubAck or ErlangCommand.GroupPubAck or ErlangCommand.GroupPartPubAck:
                if ((error = reader.MsgId(command, out var ackId)) is not null)
                {
                    return error;
                }

                return reader.End(command, out packet, new ErlangPacket(command, msgId: ackId));
            case ErlangCommand.Publish:
                uint to = 0;
                if (source == PacketSource.Client && !reader.UInt32(out to))
                {
                    return Truncated(command, "ToUid", frame.Length);
                }

                return DecodeBody(command, ref reader, to, default, out packet);
            case ErlangCommand.GroupPublish:
                if (!reader.UInt32(out var gid))
                {
                    return Truncated(command, "GroupId", frame.Length);
                }

                return DecodeBody(command, ref reader, gid, default, out packet);
            case ErlangCommand.GroupPartPublish:
                return DecodeGroupPart(ref reader, out packet);
            case ErlangCommand.Connect:
                return source == PacketSource.Client
                    ? DecodeConnect(ref reader, out packet)
                    : "CONNECT is only sent by clients";
            default:
                return $"unknown command {span[0]}";
        }
    }

    private static string? DecodeGroupPart(ref Reader reader, out ErlangPacket packet)
    {
        const ErlangCommand command = ErlangCommand.GroupPartPublish;
        packet = default;
        if (!reader.UInt32(out var gid))
        {
            return Truncated(command, "GroupId", reader.Total);
        }

        string? error;
        if ((error = reader.MsgId(command, out var msgId)) is not null)
        {
            return error;
        }

        if (!reader.UInt16(out var count))
        {
            return Truncated(command, "ToUserNum", reader.Total);
        }

        if (!reader.Bytes(count * 4, out var uids))
        {
            return $"GROUP_PART_PUBLISH truncated: ToUserNum {count} needs {count * 4} bytes of uids, {reader.Remaining} left";
        }

        return DecodePayload(command, ref reader, gid, msgId, uids, out packet);
    }

    private static string? DecodeBody(ErlangCommand command, ref Reader reader, uint target, ReadOnlyMemory<byte> uids, out ErlangPacket packet)
    {
        packet = default;
        var error = reader.MsgId(command, out var msgId);
        return error ?? DecodePayload(command, ref reader, target, msgId, uids, out packet);
    }

    private static string? DecodePayload(ErlangCommand command, ref Reader reader, uint target, ReadOnlyMemory<byte> msgId, ReadOnlyMemory<byte> uids, out ErlangPacket packet)
    {
        packet = default;
        if (!reader.UInt16(out var length))
        {
            return Truncated(command, "PayloadLen", reader.Total);
        }

        if (!reader.Bytes(length, out var payload))
        {
            return $"{Name(command)} truncated: PayloadLen {length} but {reader.Remaining} payload bytes";
        }

        return reader.End(command, out packet, new ErlangPacket(command, targetId: target, msgId: msgId, uids: uids, payload: payload));
    }

    private static string? DecodeConnect(ref Reader reader, out ErlangPacket packet)
    {
        const ErlangCommand command = ErlangCommand.Connect;
        packet = default;
        if (!reader.UInt16(out var userLength) || !reader.Bytes(userLength, out var user))
        {
            return Truncated(command, "Username", reader.Total);
        }

        if (!reader.UInt16(out var passLength) || !reader.Bytes(passLength, out var pass))
        {
            return Truncated(command, "Password", reader.Total);
        }

        byte? role = reader.Byte(out var r) ? r : null;
        byte? clientId = role is not null && reader.Byte(out var c) ? c : null;
        if (reader.Remaining > 0)
        {
            return $"CONNECT has {reader.Remaining} unexpected bytes after Role and ClientId";
        }

        if (!TryUtf8(user.Span, out var username) || !TryUtf8(pass.Span, out var password))
        {
            return "CONNECT username or password is not valid UTF-8";
        }

        packet = new ErlangPacket(command, connect: new ErlangConnect(username, password, role, clientId));
        return null;
    }

    private static bool TryUtf8(ReadOnlySpan<byte> bytes, out string text)
    {
        try
        {
            text = Utf8Strict.GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            text = string.Empty;
            return false;
        }
    }

    internal static readonly UTF8Encoding Utf8Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static string Truncated(ErlangCommand command, string field, int total) =>
        $"{Name(command)} truncated at {field} ({total} bytes)";

    public static string Name(ErlangCommand command) => command switch
    {
        ErlangCommand.Connect => "CONNECT",
        ErlangCommand.ConnectAck => "CONNECT_ACK",
        ErlangCommand.Publish => "PUBLISH",
        ErlangCommand.PubAck => "PUB_ACK",
        ErlangCommand.GroupPublish => "GROUP_PUBLISH",
        ErlangCommand.GroupPubAck => "GROUP_PUB_ACK",
        ErlangCommand.Ping => "PING",
        ErlangCommand.PingResp => "PING_RESP",
        ErlangCommand.Disconnect => "DISCONNECT",
        ErlangCommand.InvalidPacket => "INVALID_PACKET",
        ErlangCommand.GroupPartPublish => "GROUP_PART_PUBLISH",
        ErlangCommand.GroupPartPubAck => "GROUP_PART_PUB_ACK",
        ErlangCommand.Logout => "LOGOUT",
        _ => $"command {(byte)command}",
    };

    /// <summary>The ack command that answers a message command (3→4, 5→6, 11→12).</summary>
    public static ErlangCommand AckFor(ErlangCommand message) => message switch
    {
        ErlangCommand.Publish => ErlangCommand.PubAck,
        ErlangCommand.GroupPublish => ErlangCommand.GroupPubAck,
        ErlangCommand.GroupPartPublish => ErlangCommand.GroupPartPubAck,
        _ => throw new ArgumentOutOfRangeException(nameof(message), message, "not a message command"),
    };

    /// <summary>Whether a MsgId is exactly 32 printable ASCII bytes.</summary>
    public static bool IsValidMsgId(ReadOnlySpan<byte> msgId)
    {
        if (msgId.Length != MsgIdLength)
        {
            return false;
        }

        foreach (var b in msgId)
        {
            if (b is < 0x21 or > 0x7e)
            {
                return false;
            }
        }

        return true;
    }

    public static bool IsValidMsgId(string msgId) =>
        msgId.Length == MsgIdLength && msgId.All(c => c is > (char)0x20 and < (char)0x7f);

    private const string RawKeyPrefix = "raw:";

    /// <summary>
    /// The MsgId as a string key: the ASCII text itself, or for bytes that are not printable ASCII
    /// <c>raw:</c> + their hex, so such an id can still be deduplicated and acknowledged byte for byte.
    /// </summary>
    public static string MsgIdKey(ReadOnlySpan<byte> msgId) =>
        IsValidMsgId(msgId) ? Encoding.ASCII.GetString(msgId) : RawKeyPrefix + Convert.ToHexStringLower(msgId);

    /// <summary>Writes the 32 wire bytes of a MsgId key (the inverse of <see cref="MsgIdKey"/>).</summary>
    public static void WriteMsgIdKey(string key, Span<byte> destination)
    {
        if (key.StartsWith(RawKeyPrefix, StringComparison.Ordinal) && key.Length == RawKeyPrefix.Length + (2 * MsgIdLength))
        {
            Convert.FromHexString(key.AsSpan(RawKeyPrefix.Length), destination, out _, out _);
            return;
        }

        if (key.Length != MsgIdLength)
        {
            throw new ArgumentException($"a MsgId is exactly {MsgIdLength} bytes, got {key.Length}", nameof(key));
        }

        Encoding.ASCII.GetBytes(key, destination);
    }

    // ---------- encoding ----------

    public static byte[] Connect(string username, string password, byte? role, byte? clientId)
    {
        var user = Encoding.UTF8.GetBytes(username);
        var pass = Encoding.UTF8.GetBytes(password);
        if (user.Length > ushort.MaxValue || pass.Length > ushort.MaxValue)
        {
            throw new ArgumentException("username and password must each fit 65,535 bytes");
        }

        if (clientId is not null && role is null)
        {
            throw new ArgumentException("a ClientId needs a Role before it");
        }

        var frame = new byte[1 + 2 + user.Length + 2 + pass.Length + (role is null ? 0 : 1) + (clientId is null ? 0 : 1)];
        frame[0] = (byte)ErlangCommand.Connect;
        var at = 1;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(at), (ushort)user.Length);
        user.CopyTo(frame, at += 2);
        at += user.Length;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(at), (ushort)pass.Length);
        pass.CopyTo(frame, at += 2);
        at += pass.Length;
        if (role is { } r)
        {
            frame[at++] = r;
        }

        if (clientId is { } c)
        {
            frame[at] = c;
        }

        return frame;
    }

    public static byte[] ConnectAck(byte code) => [(byte)ErlangCommand.ConnectAck, code];

    /// <summary>A packet that is only its command byte (PING, PING_RESP, DISCONNECT, LOGOUT, INVALID_PACKET).</summary>
    public static byte[] Bare(ErlangCommand command) => [(byte)command];

    /// <summary>PUB_ACK / GROUP_PUB_ACK / GROUP_PART_PUB_ACK.</summary>
    public static int WriteAck(Span<byte> destination, ErlangCommand ack, ReadOnlySpan<byte> msgId)
    {
        CheckMsgId(msgId);
        destination[0] = (byte)ack;
        msgId.CopyTo(destination[1..]);
        return 1 + MsgIdLength;
    }

    public static byte[] Ack(ErlangCommand ack, ReadOnlySpan<byte> msgId)
    {
        var frame = new byte[1 + MsgIdLength];
        WriteAck(frame, ack, msgId);
        return frame;
    }

    public static byte[] Ack(ErlangCommand ack, string msgId)
    {
        var frame = new byte[1 + MsgIdLength];
        frame[0] = (byte)ack;
        WriteMsgIdKey(msgId, frame.AsSpan(1));
        return frame;
    }

    /// <summary>The size of a message packet (3, 5 or 11) in the given direction.</summary>
    public static int MessageLength(ErlangCommand command, PacketSource source, int uidCount, int payloadLength) => command switch
    {
        ErlangCommand.Publish => 1 + (source == PacketSource.Client ? 4 : 0) + MsgIdLength + 2 + payloadLength,
        ErlangCommand.GroupPublish => 1 + 4 + MsgIdLength + 2 + payloadLength,
        ErlangCommand.GroupPartPublish => 1 + 4 + MsgIdLength + 2 + (4 * uidCount) + 2 + payloadLength,
        _ => throw new ArgumentOutOfRangeException(nameof(command), command, "not a message command"),
    };

    /// <summary>
    /// Writes PUBLISH / GROUP_PUBLISH / GROUP_PART_PUBLISH. A client PUBLISH carries ToUid in
    /// <paramref name="targetId"/>; a server PUBLISH push carries no uid.
    /// </summary>
    public static int WriteMessage(
        Span<byte> destination,
        ErlangCommand command,
        PacketSource source,
        uint targetId,
        ReadOnlySpan<byte> msgId,
        ReadOnlySpan<uint> uids,
        ReadOnlySpan<byte> payload)
    {
        CheckMsgId(msgId);
        if (payload.Length > MaxPayloadBytes)
        {
            throw new ArgumentException($"payload of {payload.Length} bytes exceeds {MaxPayloadBytes} bytes", nameof(payload));
        }

        if (uids.Length > MaxUids)
        {
            throw new ArgumentException($"{uids.Length} uids exceed {MaxUids}", nameof(uids));
        }

        var length = MessageLength(command, source, uids.Length, payload.Length);
        if (destination.Length < length)
        {
            throw new ArgumentException($"destination holds {destination.Length} bytes, the packet needs {length}", nameof(destination));
        }

        destination[0] = (byte)command;
        var at = 1;
        if (command != ErlangCommand.Publish || source == PacketSource.Client)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination[at..], targetId);
            at += 4;
        }

        msgId.CopyTo(destination[at..]);
        at += MsgIdLength;
        if (command == ErlangCommand.GroupPartPublish)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination[at..], (ushort)uids.Length);
            at += 2;
            foreach (var uid in uids)
            {
                BinaryPrimitives.WriteUInt32BigEndian(destination[at..], uid);
                at += 4;
            }
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination[at..], (ushort)payload.Length);
        at += 2;
        payload.CopyTo(destination[at..]);
        return at + payload.Length;
    }

    public static byte[] Message(ErlangCommand command, PacketSource source, uint targetId, ReadOnlySpan<byte> msgId, ReadOnlySpan<uint> uids, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[MessageLength(command, source, uids.Length, payload.Length)];
        WriteMessage(frame, command, source, targetId, msgId, uids, payload);
        return frame;
    }

    private static void CheckMsgId(ReadOnlySpan<byte> msgId)
    {
        if (msgId.Length != MsgIdLength)
        {
            throw new ArgumentException($"a MsgId is exactly {MsgIdLength} bytes, got {msgId.Length}", nameof(msgId));
        }
    }

    /// <summary>A forward-only reader over a frame; every read says whether the bytes were there.</summary>
    private ref struct Reader(ReadOnlyMemory<byte> frame, int position)
    {
        private int _position = position;

        public readonly int Remaining => frame.Length - _position;

        public readonly int Total => frame.Length;

        public bool Byte(out byte value)
        {
            value = 0;
            if (Remaining < 1)
            {
                return false;
            }

            value = frame.Span[_position++];
            return true;
        }

        public bool UInt16(out int value)
        {
            value = 0;
            if (Remaining < 2)
            {
                return false;
            }

            value = BinaryPrimitives.ReadUInt16BigEndian(frame.Span[_position..]);
            _position += 2;
            return true;
        }

        public bool UInt32(out uint value)
        {
            value = 0;
            if (Remaining < 4)
            {
                return false;
            }

            value = BinaryPrimitives.ReadUInt32BigEndian(frame.Span[_position..]);
            _position += 4;
            return true;
        }

        public bool Bytes(int count, out ReadOnlyMemory<byte> value)
        {
            value = default;
            if (Remaining < count)
            {
                return false;
            }

            value = frame.Slice(_position, count);
            _position += count;
            return true;
        }

        public string? MsgId(ErlangCommand command, out ReadOnlyMemory<byte> value)
        {
            if (!Bytes(MsgIdLength, out value))
            {
                return $"{Name(command)} truncated at MsgId ({frame.Length} bytes)";
            }

            // Any 32 bytes are kept (see MsgIdKey): rejecting a push for its id would make it a poison resend loop.
            return null;
        }

        public readonly string? End(ErlangCommand command, out ErlangPacket packet, ErlangPacket decoded)
        {
            packet = default;
            if (Remaining > 0)
            {
                return $"{Name(command)} has {Remaining} trailing bytes after a complete packet";
            }

            packet = decoded;
            return null;
        }
    }
}
