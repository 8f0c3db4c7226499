using Microsoft.Extensions.Logging;

namespace Bridge.Host.Store;

internal static partial class StoreLog
{
    [LoggerMessage(EventId = 8001, Level = LogLevel.Information, Message = "Store {Path}: schema {From} brought to {To} ({Rows} id-map rows) in {Milliseconds:0} ms")]
    public static partial void Migrated(ILogger logger, string path, int from, int to, long rows, double milliseconds);
}
