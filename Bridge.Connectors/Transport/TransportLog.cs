using Microsoft.Extensions.Logging;

namespace Bridge.Connectors.Transport;

internal static partial class TransportLog
{
    /// <summary>At the supervisor's <see cref="SessionSupervisor.RoutineLogLevel"/> (Information unless a connector runs many sessions).</summary>
    [LoggerMessage(EventId = 1001, Message = "{Session}: connecting to {Endpoint} (attempt {Attempt})")]
    public static partial void Connecting(ILogger logger, LogLevel level, string session, string endpoint, int attempt);

    /// <summary>At the supervisor's <see cref="SessionSupervisor.RoutineLogLevel"/>.</summary>
    [LoggerMessage(EventId = 1002, Message = "{Session}: connected to {Endpoint}")]
    public static partial void Connected(ILogger logger, LogLevel level, string session, string endpoint);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "{Session}: session ended ({Kind}): {Reason}; next attempt in {DelaySeconds:0.0} s")]
    public static partial void SessionEnded(ILogger logger, string session, SessionEndKind kind, string reason, double delaySeconds);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "{Session}: could not connect to {Endpoint}: {Reason}")]
    public static partial void ConnectFailed(ILogger logger, string session, string endpoint, string reason);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "{Session}: watchdog: {Reason}; reconnecting")]
    public static partial void WatchdogFired(ILogger logger, string session, string reason);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Information, Message = "{Session}: stopped")]
    public static partial void Stopped(ILogger logger, string session);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Debug, Message = "{Session}: goodbye failed: {Reason}")]
    public static partial void GoodbyeFailed(ILogger logger, string session, string reason);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Warning, Message = "{Session}: a status or cancellation callback failed: {Reason}")]
    public static partial void CallbackFailed(ILogger logger, string session, string reason);
}
