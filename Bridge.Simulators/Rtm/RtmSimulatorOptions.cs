namespace Bridge.Simulators.Rtm;

/// <summary>Timings and quirk switches of the RTM gate simulator.</summary>
public sealed record RtmSimulatorOptions
{
    /// <summary>The project id every auth must carry (null: any).</summary>
    public long? Pid { get; init; } = 1000012;

    /// <summary>Gate <c>ping</c> period (null: no pings). The doc's assumption is 20 s.</summary>
    public TimeSpan? PingInterval { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Close a connection that sent nothing for this long (FPNN idle timeout, 60 s; null: never).</summary>
    public TimeSpan? IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Allow several logins of one uid (off: a new login kicks the older one with a oneway <c>kickout</c>).</summary>
    public bool MultiLogin { get; init; }

    /// <summary>Push a message back to the sender's other connections too.</summary>
    public bool EchoToSender { get; init; }

    /// <summary>mtype 30 pushes carry msg as the map <c>{source, target, sourceText, targetText}</c> (native SDK form).</summary>
    public bool ChatAsMap { get; init; }

    /// <summary>Push again (with a new seq) what a client has not answered after this long (null: never; RTM's default).</summary>
    public TimeSpan? RepushUnanswered { get; init; }

    /// <summary>Largest packet accepted from a client; beyond it the connection is closed.</summary>
    public int MaxPacketBytes { get; init; } = 1 << 20;

    /// <summary>The endpoint <c>which</c> answers (null: this simulator's own host:port).</summary>
    public string? GateEndpoint { get; init; }
}
