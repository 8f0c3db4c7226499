namespace Bridge.Simulators.Xnest;

/// <summary>Timings and quirks of the xnest fake (defaults are the real server's).</summary>
public sealed record XnestSimulatorOptions
{
    public string RobotNickname { get; init; } = "小M机器人";

    /// <summary>What the robot answers to every text starting with '@' (the real one asks a web service).</summary>
    public string RobotAnswer { get; init; } = " Sorry, I Don't Understand! ";

    /// <summary>A room with only the robot left stops after this long.</summary>
    public TimeSpan RoomIdleStop { get; init; } = TimeSpan.FromSeconds(600);

    /// <summary>How often a room checks whether it should stop.</summary>
    public TimeSpan RoomTick { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A new history page starts once the current one holds more than this many items.</summary>
    public int HistoryPageThreshold { get; init; } = 50;

    /// <summary>The server's local time zone offset (send_time is local, without zone).</summary>
    public TimeSpan UtcOffset { get; init; } = TimeSpan.FromHours(8);

    /// <summary>Quirk: the join broadcast reaches the joiner before its self frame (the real order is not fixed).</summary>
    public bool JoinBeforeSelf { get; init; }

    /// <summary>Quirk of the published code: a binary upload crashes every socket in the room (1011).</summary>
    public bool BugCompatibleUploads { get; init; }

    /// <summary>Keep at most this many received frames per member for <see cref="XnestSimMember.Received"/>.</summary>
    public int RecordLimit { get; init; } = 100_000;

    public TimeProvider Time { get; init; } = TimeProvider.System;
}
