using Bridge.Contracts.V1;
using Microsoft.Extensions.Logging;

namespace Bridge.Host.Connectors;

internal static partial class ConnectorLog
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Connector {Connector} is {State}{Reason}")]
    public static partial void StateChanged(ILogger logger, string connector, SessionState state, string reason);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Error, Message = "Connector {Connector} stopped unexpectedly: {Reason}")]
    public static partial void Crashed(ILogger logger, string connector, string reason);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Debug, Message = "Could not publish the state of {Connector}: {Reason}")]
    public static partial void StatePublishFailed(ILogger logger, string connector, string reason);
}
