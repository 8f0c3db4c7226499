namespace Bridge.Simulators.ErlangGateway;

/// <summary>How the simulator treats a second login of the same account.</summary>
public enum DuplicateLoginMode
{
    /// <summary>Like the real server's two eras: with a ClientId, LOGOUT (20) to the old connection on the same ClientId; without, refuse the new one with CONNECT_ACK 1.</summary>
    Auto,
    /// <summary>Always refuse the new connection with CONNECT_ACK 1 (README).</summary>
    RefuseNew,
    /// <summary>Always kick the old connection with LOGOUT (20) (newer SDK).</summary>
    KickOld,
    /// <summary>Allow several connections per account.</summary>
    Allow,
}

/// <summary>Timings and quirk switches of the Erlang gateway simulator (defaults follow the protocol doc).</summary>
public sealed record ErlangGatewaySimulatorOptions
{
    /// <summary>The WebSocket port (0: a free one).</summary>
    public int Port { get; init; }

    /// <summary>The TCP interface port (0: a free one; null: no TCP listener).</summary>
    public int? TcpPort { get; init; }

    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>No PING_RESP for this long after a PING: the connection is closed.</summary>
    public TimeSpan PingTimeout { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>An unacknowledged push is sent again after this long (real server: 2 s).</summary>
    public TimeSpan ResendInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Resends before the server gives up and disconnects the client (real server: 3).</summary>
    public int MaxResends { get; init; } = 3;

    public DuplicateLoginMode DuplicateLogin { get; init; } = DuplicateLoginMode.Auto;

    /// <summary>Queue pushes for offline users (and unacknowledged pushes of a dropped connection) and push them after the next login.</summary>
    public bool QueueOffline { get; init; } = true;

    /// <summary>At most this many queued pushes per user; the oldest are dropped.</summary>
    public int MaxOfflinePerUser { get; init; } = 100_000;

    /// <summary>
    /// At most this many deliveries and acknowledgements per user kept for
    /// <see cref="ErlangGatewaySimulator.ReceivedBy"/> and <see cref="ErlangGatewaySimulator.AcknowledgedBy"/>;
    /// the oldest are forgotten (a long benchmark would otherwise keep every payload).
    /// </summary>
    public int MaxRecordedPerUser { get; init; } = int.MaxValue;

    /// <summary>Deliver group messages as plain PUBLISH (3) instead of GROUP_PUBLISH (5) / GROUP_PART_PUBLISH (11).</summary>
    public bool GroupPushAsPublish { get; init; }

    /// <summary>Also deliver a group message to its sender.</summary>
    public bool EchoGroupToSender { get; init; }

    /// <summary>Give each push a fresh MsgId instead of reusing the sender's.</summary>
    public bool FreshPushMsgId { get; init; }

    /// <summary>On a malformed packet close the connection instead of answering INVALID_PACKET (10).</summary>
    public bool CloseOnInvalidPacket { get; init; }

    /// <summary>Route client PUBLISHes but never answer them with an ack (an answer that is never sent).</summary>
    public bool NeverAckSends { get; init; }

    /// <summary>The TCP interface's 4-byte length prefix is big-endian (assumed: Erlang {packet,4}); false: little-endian.</summary>
    public bool TcpLengthBigEndian { get; init; } = true;

    /// <summary>The first packet (CONNECT) must arrive within this long.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Largest WebSocket message or TCP frame accepted.</summary>
    public int MaxPacketBytes { get; init; } = 1 << 20;
}
