using Bridge.Contracts.V1;
using Microsoft.Data.Sqlite;

namespace Bridge.Host.Store;

/// <summary>
/// How new id-map rows reach the map. Event ids are hashes, so rows inserted straight into the map
/// (clustered on the event id) each land on a random page: once the map outgrows SQLite's page
/// cache every commit wrote and re-read a page per row. Instead a commit appends its rows to
/// <c>message_log</c> (its last pages only) and the rows not merged yet are also held in memory
/// (<see cref="RecentMappings"/>), where lookups find them. Once <see cref="MergeAt"/> rows are
/// waiting, a background merge moves them into the map sorted by key, so neighbouring rows share a
/// page write: in short transactions (<see cref="MergeSliceTime"/>, at most <see cref="MergeChunk"/>
/// rows) with a pause between them, so the relay's own calls are held up by one slice at most; then
/// it drops them from the log. A merge cut short (a crash, a stop) is finished from the log at the
/// next start. A key is written once: a row whose key the log or the map already holds is ignored,
/// as the map's own <c>INSERT OR IGNORE</c> would.
/// </summary>
public sealed partial class SqliteBridgeStore
{
    internal const int DefaultMergeAt = 8_192;
    internal const int DefaultMergeChunk = 512;
    private const int MaxUnmergedFactor = 4;
    internal static readonly TimeSpan DefaultMergeSliceTime = TimeSpan.FromMilliseconds(2);
    private static readonly TimeSpan PauseBetweenSlices = TimeSpan.FromMilliseconds(1);

    private readonly SemaphoreSlim _mergeGate = new(1, 1);
    private readonly CancellationTokenSource _closing = new();
    private Task _backgroundMerge = Task.CompletedTask;
    private long _nextSeq = 1;

    /// <summary>How many appended rows start a background merge.</summary>
    internal int MergeAt { get; init; } = DefaultMergeAt;

    /// <summary>Rows per merge transaction at most.</summary>
    internal int MergeChunk { get; init; } = DefaultMergeChunk;

    /// <summary>How long one merge transaction keeps adding rows (then the relay's waiting calls go first).</summary>
    internal TimeSpan MergeSliceTime { get; init; } = DefaultMergeSliceTime;

    /// <summary>Rows appended and not merged yet (read without the lock: for tests and figures).</summary>
    internal int Unmerged => _recent.Count;

    /// <summary>
    /// Appends the rows whose key is new to the log, in one transaction. Should appends outrun the
    /// merge (<see cref="MergeAt"/> × <see cref="MaxUnmergedFactor"/> rows waiting), they wait for the
    /// running merge: memory stays bounded, and a larger merge shares more pages per write.
    /// </summary>
    private async Task AppendAsync<T>(IReadOnlyList<T> records, Func<T, (Guid EventId, EndpointRef Endpoint, string NativeId, bool IsOrigin)> describe, CancellationToken cancellationToken)
    {
        if (_recent.Count >= MergeAt * MaxUnmergedFactor)
        {
            await _backgroundMerge.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        await WithLock(s => Append(s, records, describe), cancellationToken).ConfigureAwait(false);
    }

    private bool Append<T>(Statements s, IReadOnlyList<T> records, Func<T, (Guid EventId, EndpointRef Endpoint, string NativeId, bool IsOrigin)> describe)
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var firstSeq = _nextSeq;
        try
        {
            s.InTransaction(() =>
            {
                foreach (var record in records)
                {
                    var (eventId, endpoint, nativeId, isOrigin) = describe(record);
                    if (FindNative(s, eventId, endpoint) is not null)
                    {
                        continue;
                    }

                    var key = Key(eventId);
                    var path = endpoint.Path;
                    var seq = _nextSeq++;
                    s.AppendLog.Bind(seq, key, endpoint.Connector, path, nativeId, isOrigin ? 1 : 0, now).ExecuteNonQuery();
                    _recent.Add(eventId, endpoint, path, nativeId, isOrigin, now, seq);
                }
            });
        }
        catch
        {
            _recent.RemoveFrom(firstSeq);
            _nextSeq = firstSeq;
            throw;
        }

        MergeInBackgroundIfDue();
        return true;
    }

    /// <summary>Called under the lock after an append.</summary>
    private void MergeInBackgroundIfDue()
    {
        if (_recent.Count < MergeAt || !_backgroundMerge.IsCompleted || _closing.IsCancellationRequested)
        {
            return;
        }

        using (ExecutionContext.SuppressFlow())
        {
            _backgroundMerge = Task.Run(MergeInBackgroundAsync);
        }
    }

    private async Task MergeInBackgroundAsync()
    {
        try
        {
            await MergeLogAsync(_closing.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            StoreLog.MergeFailed(_logger, _recent.Count, e.Message);
        }
    }

    /// <summary>Moves every row appended so far into the map (one merge at a time).</summary>
    private async Task MergeLogAsync(CancellationToken cancellationToken)
    {
        await _mergeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var snapshot = await WithLock(_ => _recent.Snapshot(), cancellationToken).ConfigureAwait(false);
            if (snapshot.Rows.Count == 0)
            {
                return;
            }

            var lastSeq = snapshot.Rows[^1].Seq;
            RecentMappings.SortInKeyOrder(snapshot);
            for (var start = 0; start < snapshot.Rows.Count;)
            {
                if (start > 0)
                {
                    await Task.Delay(PauseBetweenSlices, _time, cancellationToken).ConfigureAwait(false);
                }

                var from = start;
                start = await WithLock(s => MergeSlice(s, snapshot, from), cancellationToken).ConfigureAwait(false);
            }

            await WithLock(s =>
            {
                s.InTransaction(() => s.DropMerged.Bind(lastSeq).ExecuteNonQuery());
                _recent.RemoveThrough(lastSeq);
                return true;
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _mergeGate.Release();
        }
    }

    /// <summary>
    /// Merges rows from <paramref name="from"/> on in one transaction, until <see cref="MergeChunk"/>
    /// rows or <see cref="MergeSliceTime"/> have gone; returns where the next slice starts.
    /// </summary>
    private int MergeSlice(Statements s, MergeSnapshot snapshot, int from)
    {
        var (rows, endpoints) = snapshot;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var end = Math.Min(rows.Count, from + MergeChunk);
        var next = from;
        s.InTransaction(() =>
        {
            while (next < end && (next == from || System.Diagnostics.Stopwatch.GetElapsedTime(started) < MergeSliceTime))
            {
                var row = rows[next++];
                var (endpoint, path) = endpoints[row.Endpoint];
                s.MergeRow.Bind(Key(row.EventId), endpoint.Connector, path, row.NativeId, row.IsOrigin ? 1 : 0, row.At).ExecuteNonQuery();
            }
        });
        return next;
    }

    /// <summary>At start: the rows a previous run appended and did not merge go into the map, in the order they came (the first write of a key wins).</summary>
    private void MergeLeftOverLog(SqliteConnection connection)
    {
        var rows = Convert.ToInt64(Query(connection, "SELECT count(*) FROM message_log"), System.Globalization.CultureInfo.InvariantCulture);
        if (rows == 0)
        {
            return;
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var tx = connection.BeginTransaction();
        Execute(connection, tx, """
            INSERT OR IGNORE INTO message_map (event_id, connector, endpoint, native_id, is_origin, at)
                SELECT event_id, connector, endpoint, native_id, is_origin, at FROM message_log ORDER BY seq;
            DELETE FROM message_log;
            """);
        tx.Commit();
        StoreLog.MergedLeftOver(_logger, Path, rows, clock.Elapsed.TotalMilliseconds);
    }

    /// <summary>Stops a background merge between two chunks; what it had not merged stays in the log for the next start.</summary>
    private async Task StopMergingAsync()
    {
        await _closing.CancelAsync().ConfigureAwait(false);
        await _backgroundMerge.ConfigureAwait(false);
    }
}
