using Bridge.Connectors.Rtm;

namespace Bridge.Simulators.Rtm;

/// <summary>A message the simulated gate stored (history) and pushed.</summary>
public sealed record RtmSimMessage(
    long Id,
    RtmConversationType Type,
    long From,
    long Target,
    long Mid,
    int Mtype,
    string Msg,
    string Attrs,
    long MTime)
{
    public bool Deleted { get; set; }
}

/// <summary>A push one simulated user received (once per message, whatever its connections).</summary>
public sealed record RtmSimReceived(string Method, RtmSimMessage Message);

/// <summary>An answer a client sent to one of the simulator's pushes.</summary>
public sealed record RtmSimClientAnswer(long Uid, uint Seq, string Method, byte Status, DateTimeOffset At);

/// <summary>The outcome of a control-surface send: the stored message, or the error the gate would answer.</summary>
public sealed record RtmSimSendResult(RtmSimMessage? Message, int ErrorCode = 0, string? Error = null);
