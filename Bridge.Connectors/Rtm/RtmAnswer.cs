using Bridge.Connectors.Rtm.MsgPack;

namespace Bridge.Connectors.Rtm;

/// <summary>An answer to one of the connector's quests: its status and a copy of the msgpack payload.</summary>
public sealed class RtmAnswer(byte status, byte[] payload)
{
    public byte Status => status;

    public byte[] Payload => payload;

    /// <summary>An error answer: FPNN status ≠ 0 (the payload then carries <c>{code, ex}</c>).</summary>
    public bool IsError => status != 0;

    public long ErrorCode => IsError && TryGetInt64("code", out var code) ? code : 0;

    public string ErrorText => IsError ? GetString("ex") ?? "(no ex)" : string.Empty;

    public bool TryGetInt64(string key, out long value)
    {
        var reader = new MsgPackReader(payload);
        if (Seek(ref reader, key) && reader.PeekType() is MsgPackType.Integer or MsgPackType.Float)
        {
            value = reader.ReadInt64();
            return true;
        }

        value = 0;
        return false;
    }

    public bool? GetBoolean(string key)
    {
        var reader = new MsgPackReader(payload);
        return Seek(ref reader, key) && reader.PeekType() == MsgPackType.Boolean ? reader.ReadBoolean() : null;
    }

    public string? GetString(string key)
    {
        var reader = new MsgPackReader(payload);
        return Seek(ref reader, key) && reader.PeekType() is MsgPackType.String or MsgPackType.Binary ? reader.ReadString() : null;
    }

    /// <summary>Positions <paramref name="reader"/> on the value of <paramref name="key"/> in the top-level map.</summary>
    public static bool Seek(ref MsgPackReader reader, string key)
    {
        Span<byte> utf8 = stackalloc byte[64];
        var length = System.Text.Encoding.UTF8.GetBytes(key, utf8);
        utf8 = utf8[..length];
        for (var n = reader.ReadMapHeader(); n > 0; n--)
        {
            if (reader.PeekType() is MsgPackType.String or MsgPackType.Binary)
            {
                if (reader.ReadBytes().SequenceEqual(utf8))
                {
                    return true;
                }
            }
            else
            {
                reader.Skip();
            }

            reader.Skip();
        }

        return false;
    }

    public override string ToString() => IsError ? $"error {ErrorCode}: {ErrorText}" : "ok";
}

/// <summary>The gate answered a quest with an FPNN error (<c>{code, ex}</c>).</summary>
public sealed class RtmErrorException(string method, long code, string ex)
    : Exception($"{method} failed with {code}: {ex}")
{
    public long Code { get; } = code;

    public string Ex { get; } = ex;
}
