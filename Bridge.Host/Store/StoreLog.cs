using Microsoft.Extensions.Logging;

namespace Bridge.Host.Store;

internal static partial class StoreLog
{
    [LoggerMessage(EventId = 8001, Level = LogLevel.Information, Message = "Store {Path}: schema {From} brought to {To} ({Rows} id-map rows) in {Milliseconds:0} ms")]
    public static partial void Migrated(ILogger logger, string path, int from, int to, long rows, double milliseconds);

    [LoggerMessage(EventId = 8002, Level = LogLevel.Information, Message = "Store retention: forgot {Rows} id-map rows recorded before {Before:u}")]
    public static partial void Pruned(ILogger logger, long rows, DateTimeOffset before);

    [LoggerMessage(EventId = 8003, Level = LogLevel.Warning, Message = "Store retention pass failed: {Reason}; trying again at the next interval")]
    public static partial void PruneFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 8004, Level = LogLevel.Information, Message = "Store index {Path}: indexed {Rows} id-map rows the last run had appended and not merged (or all of them, for a new or stale index file), in {Milliseconds:0} ms")]
    public static partial void IndexedLeftOver(ILogger logger, string path, long rows, double milliseconds);

    [LoggerMessage(EventId = 8005, Level = LogLevel.Warning, Message = "Store: merging {Rows} appended id-map rows into the indexes failed: {Reason}; they are answered from memory, the next merge tries again")]
    public static partial void MergeFailed(ILogger logger, int rows, string reason);

    [LoggerMessage(EventId = 8006, Level = LogLevel.Warning, Message = "Store {Path}: background checkpoint failed: {Reason}; the rows stay in the WAL, the next checkpoint tries again")]
    public static partial void CheckpointFailed(ILogger logger, string path, string reason);
}
