using Bridge.Contracts.V1;
using Microsoft.Data.Sqlite;

namespace Bridge.Host.Store;

/// <summary>
/// How new id-map rows reach the indexes. A commit appends its rows to <c>message_rows</c> (their
/// numbers only grow, so it writes the table's last pages) and holds them in memory too
/// (<see cref="RecentMappings"/>), where lookups find them. The entries of the two indexes land on
/// random pages (their keys are hashes): written per commit, every entry would rewrite a page of
/// its own. So once <see cref="MergeAt"/> rows are waiting, a background merge adds all their
/// entries at once, sorted by key, so that the entries of one merge share their page writes. The
/// indexes live in a file of their own (<c>PATH-index</c>), which the merge writes on a connection
/// of its own: its transaction holds up neither the relay's appends nor its lookups. The merge
/// records in that file how far the indexes reach, in the same transaction; the rows then leave
/// memory. A merge cut short (a crash, a stop) is finished at the next start, and a missing or
/// stale index file is rebuilt from the rows. A key is written once: a row whose key the store
/// already holds is not appended.
/// </summary>
public sealed partial class SqliteBridgeStore
{
    internal const int DefaultMergeAt = 8_192;
    private const int MaxUnmergedFactor = 4;

    private readonly SemaphoreSlim _mergeGate = new(1, 1);
    private readonly CancellationTokenSource _closing = new();
    private Task _backgroundMerge = Task.CompletedTask;

    /// <summary>A background merge runs or is about to (written under the store's lock).</summary>
    private bool _merging;

    /// <summary>Completed when the running merge pass ends (and whenever no merge runs), for appends that wait for one.</summary>
    private TaskCompletionSource _mergePassed = CompletedPass();
    private SqliteConnection? _mergeConnection;
    private MergeStatements? _mergeStatements;
    private long _nextSeq = 1;

    /// <summary>The last row whose index entries are written (under the merge gate).</summary>
    private long _indexedThrough;

    /// <summary>How many appended rows start a background merge.</summary>
    internal int MergeAt { get; init; } = DefaultMergeAt;

    /// <summary>Rows per merge transaction at most (tests lower it; by default a merge is one transaction).</summary>
    internal int MergeChunk { get; init; } = int.MaxValue;

    /// <summary>The last row the merge before the last one indexed: the rows after it are still held in memory.</summary>
    private long _releasedThrough;

    /// <summary>Rows appended and not merged yet (read without the lock: for tests and figures). Row numbers have no gaps.</summary>
    internal int Unmerged => (int)(Volatile.Read(ref _nextSeq) - 1 - Volatile.Read(ref _indexedThrough));

    /// <summary>
    /// Appends the rows whose key is new, in one transaction. Should appends outrun the
    /// merge (<see cref="MergeAt"/> × <see cref="MaxUnmergedFactor"/> rows waiting), they wait for the
    /// running merge: memory stays bounded, and a larger merge shares more pages per write.
    /// </summary>
    private async Task AppendAsync<T>(IReadOnlyList<T> records, Func<T, (Guid EventId, EndpointRef Endpoint, string NativeId, bool IsOrigin)> describe, CancellationToken cancellationToken)
    {
        // One merge pass at a time: a background merge goes on while rows keep coming, so waiting
        // for all of it could take as long as the load lasts.
        while (Unmerged >= MergeAt * MaxUnmergedFactor && Volatile.Read(ref _merging))
        {
            await Volatile.Read(ref _mergePassed).Task.WaitAsync(cancellationToken).ConfigureAwait(false);
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
                    s.AppendRow.Bind(seq, key, endpoint.Connector, path, nativeId, isOrigin ? 1 : 0, now, MapKeys.Event(eventId), MapKeys.Native(endpoint.Connector, nativeId)).ExecuteNonQuery();
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
        if (Unmerged < MergeAt || _merging || _closing.IsCancellationRequested)
        {
            return;
        }

        _merging = true;
        Volatile.Write(ref _mergePassed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        using (ExecutionContext.SuppressFlow())
        {
            _backgroundMerge = Task.Run(MergeInBackgroundAsync);
        }
    }

    /// <summary>
    /// Merges until fewer than <see cref="MergeAt"/> rows are waiting. Whether to go on is decided
    /// under the store's lock, where appends decide whether to start a merge: an append that lands
    /// as a merge ends either is merged by it or starts the next one.
    /// </summary>
    private async Task MergeInBackgroundAsync()
    {
        var stopped = false;
        try
        {
            do
            {
                await MergeLogAsync(_closing.Token).ConfigureAwait(false);
            }
            while (await GoOnMergingAsync().ConfigureAwait(false));
            stopped = true;
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            StoreLog.MergeFailed(_logger, Unmerged, e.Message);
        }
        finally
        {
            if (!stopped)
            {
                // Failed or cancelled: the next append past the threshold starts a merge again.
                await _lock.WaitAsync().ConfigureAwait(false);
                StopMergingLocked();
                _lock.Release();
            }
        }
    }

    /// <summary>Under the lock, before an append can start the next merge: appends waiting for a pass see that none runs and go on.</summary>
    private void StopMergingLocked()
    {
        _merging = false;
        Volatile.Read(ref _mergePassed).TrySetResult();
    }

    private static TaskCompletionSource CompletedPass()
    {
        var passed = new TaskCompletionSource();
        passed.SetResult();
        return passed;
    }

    private async Task<bool> GoOnMergingAsync()
    {
        await _lock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (Unmerged >= MergeAt && !_closing.IsCancellationRequested)
            {
                return true;
            }

            StopMergingLocked();
            return false;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// Adds the index entries of every row appended so far (one merge at a time), at most
    /// <see cref="MergeChunk"/> rows per transaction, each of which also records how far the
    /// indexes reach. On its own connection when the store is a file (the relay's calls go on
    /// meanwhile), else under the store's lock. Then the rows the merge before indexed leave
    /// memory, and this merge's stay until the next (<paramref name="releaseAll"/> lets go of them
    /// too): the copies of an event are recorded up to a second after its origin, so without them
    /// a merge in between would send each of those lookups to the indexes. While every indexed row
    /// of an event is still held, an event marked as not in the indexes stays so (<see cref="RecentMappings.NotInMap"/>).
    /// </summary>
    private async Task MergeLogAsync(CancellationToken cancellationToken, bool releaseAll = false)
    {
        await _mergeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var lastSeq = await WithLock(_ => _nextSeq - 1, cancellationToken).ConfigureAwait(false);
            while (_indexedThrough < lastSeq)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var from = _indexedThrough + 1;
                var to = (long)Math.Min(lastSeq, _indexedThrough + (long)MergeChunk);
                if (_mergeStatements is { } own)
                {
                    own.Merge(from, to);
                }
                else
                {
                    await WithLock(s => s.Merge.Merge(from, to), cancellationToken).ConfigureAwait(false);
                }

                Volatile.Write(ref _indexedThrough, to);
            }

            var release = releaseAll ? lastSeq : _releasedThrough;
            if (release > 0)
            {
                await WithLock(_ =>
                {
                    _recent.RemoveThrough(release);
                    return true;
                }, cancellationToken).ConfigureAwait(false);
            }

            _releasedThrough = lastSeq;
            Interlocked.Exchange(ref _mergePassed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }
        finally
        {
            _mergeGate.Release();
        }
    }

    /// <summary>The statements of a merge, on the connection that runs it.</summary>
    private sealed class MergeStatements(SqliteConnection connection) : IDisposable
    {
        private readonly TransactionStatements _transactions = new(connection);

        private readonly PreparedStatement _indexEvents = new(connection,
            "INSERT OR IGNORE INTO idx.event_index (event_key, seq) SELECT event_key, seq FROM main.message_rows WHERE seq BETWEEN $p0 AND $p1 ORDER BY event_key", 2);

        private readonly PreparedStatement _indexNatives = new(connection,
            "INSERT OR IGNORE INTO idx.native_index (native_key, seq) SELECT native_key, seq FROM main.message_rows WHERE seq BETWEEN $p0 AND $p1 ORDER BY native_key", 2);

        private readonly PreparedStatement _markIndexed = new(connection,
            "UPDATE idx.merge_state SET indexed_through = $p0", 1);

        /// <summary>
        /// The entries of rows <paramref name="from"/> to <paramref name="to"/>, in key order, in one
        /// transaction that writes the index file only (the rows file is read).
        /// </summary>
        public bool Merge(long from, long to)
        {
            _transactions.InTransaction(() =>
            {
                _indexEvents.Bind(from, to).ExecuteNonQuery();
                _indexNatives.Bind(from, to).ExecuteNonQuery();
                _markIndexed.Bind(to).ExecuteNonQuery();
            });
            return true;
        }

        public void Dispose()
        {
            _transactions.Dispose();
            _indexEvents.Dispose();
            _indexNatives.Dispose();
            _markIndexed.Dispose();
        }
    }

    /// <summary>The SQL functions that compute the index keys of the rows a migration moves.</summary>
    private static void RegisterKeyFunctions(SqliteConnection connection)
    {
        connection.CreateFunction("event_key", static (byte[] id) => MapKeys.Event(id), isDeterministic: true);
        connection.CreateFunction("native_key", static (string connector, string nativeId) => MapKeys.Native(connector, nativeId), isDeterministic: true);
    }

    /// <summary>
    /// At start: the index entries of the rows a previous run appended and did not merge, written
    /// as a merge writes them. An index that claims rows the file does not hold (the rows file
    /// restored from an older copy, say) is emptied first and built again. Row numbers go on from
    /// the last.
    /// </summary>
    private void IndexLeftOverRows(SqliteConnection connection, Statements statements)
    {
        var indexed = Convert.ToInt64(Query(connection, "SELECT indexed_through FROM idx.merge_state"), System.Globalization.CultureInfo.InvariantCulture);
        var last = Convert.ToInt64(Query(connection, "SELECT coalesce(max(seq), 0) FROM main.message_rows"), System.Globalization.CultureInfo.InvariantCulture);
        _nextSeq = last + 1;
        _indexedThrough = last;
        if (last == indexed)
        {
            return;
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        if (indexed > last)
        {
            statements.InTransaction(() => Execute(connection, null, EmptyIndexes));
            indexed = 0;
        }

        statements.Merge.Merge(indexed + 1, last);
        StoreLog.IndexedLeftOver(_logger, IndexPath, last - indexed, clock.Elapsed.TotalMilliseconds);
    }

    /// <summary>
    /// The merge's connection checkpoints the index file's WAL itself (SQLite's automatic
    /// checkpoint, after the commit that crosses 1,000 pages: on the merge's thread, which nothing
    /// waits for). Its page caches are SQLite's default size: the index file's holds the pages a
    /// merge rewrites, kept from one merge to the next (only this connection writes the file under
    /// load); the rows file's size also bounds the memory of the sort that puts a merge in key
    /// order (2 MB: about 50,000 entries), past which SQLite would spill the sort to a file.
    /// </summary>
    private const string MergeSettings = """
        PRAGMA wal_autocheckpoint = 1000;
        """;

    /// <summary>
    /// The merge's own connection: the rows file (read) with the index file attached (written).
    /// Deferred transactions, so a merge takes the index file's write lock only, never the rows'.
    /// </summary>
    private async Task StartMergingAsync(CancellationToken cancellationToken)
    {
        if (InMemory)
        {
            return;
        }

        var connection = await OpenAsync(Path, _busySeconds, cancellationToken).ConfigureAwait(false);
        Execute(connection, null, MergeSettings);
        _mergeConnection = connection;
        _mergeStatements = new MergeStatements(connection);
    }

    /// <summary>Stops a background merge between two transactions; what it had not merged is merged at the next start.</summary>
    private async Task StopMergingAsync()
    {
        await _closing.CancelAsync().ConfigureAwait(false);
        await _backgroundMerge.ConfigureAwait(false);
        await _mergeGate.WaitAsync().ConfigureAwait(false);
        _mergeStatements?.Dispose();
        _mergeStatements = null;
        if (_mergeConnection is not null)
        {
            await _mergeConnection.DisposeAsync().ConfigureAwait(false);
            _mergeConnection = null;
        }
    }
}
