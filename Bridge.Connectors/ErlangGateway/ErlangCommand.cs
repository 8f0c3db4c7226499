namespace Bridge.Connectors.ErlangGateway;

/// <summary>The command byte that starts every Erlang gateway packet.</summary>
public enum ErlangCommand : byte
{
    Connect = 1,
    ConnectAck = 2,
    Publish = 3,
    PubAck = 4,
    GroupPublish = 5,
    GroupPubAck = 6,
    Ping = 7,
    PingResp = 8,
    Disconnect = 9,
    InvalidPacket = 10,
    GroupPartPublish = 11,
    GroupPartPubAck = 12,
    Logout = 20,
}

/// <summary>Who wrote a packet: commands 3 and 4 have a different layout per direction.</summary>
public enum PacketSource
{
    Server,
    Client,
}

/// <summary>The CONNECT_ACK return codes.</summary>
public static class ConnectAckCode
{
    public const byte Accepted = 0;
    public const byte DuplicateConnection = 1;
    public const byte InvalidVhost = 2;
    public const byte BadUsernameOrPassword = 3;

    /// <summary>The reason an operator reads for a code.</summary>
    public static string Describe(byte code) => code switch
    {
        Accepted => "connection accepted",
        DuplicateConnection => "duplicate connection: the account is already connected elsewhere (CONNECT_ACK 1)",
        InvalidVhost => "invalid vhost: the server speaks the older vhost protocol or the account is misconfigured (CONNECT_ACK 2)",
        BadUsernameOrPassword => "bad username or password (CONNECT_ACK 3)",
        _ => $"unknown CONNECT_ACK code {code}",
    };
}
