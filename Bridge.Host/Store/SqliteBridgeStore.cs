using Bridge.Contracts.V1;
using Bridge.Host.Bus;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bridge.Host.Store;

/// <summary>
/// The default store: a SQLite file in WAL mode, with its id map's indexes in a second file. One
/// connection does the relay's work, serialized by a lock (SQLite has one writer anyway);
/// statements are prepared once. A second connection only copies the WAL into the file (see the
/// checkpoint part of this class), a third merges new rows into the indexes (see the log part). Belongs
/// to one bridge instance, kept so by an OS lock on <c>PATH.lock</c> held while the store is open:
/// a second bridge waits for it and is then told the file is in use; a <c>sqlite3</c> shell may
/// read the file meanwhile. Cursor writes go by group commit: the checkpoints of many
/// conversations (a thousand xnest rooms each checkpoint every second) share one transaction
/// instead of one commit each.
/// </summary>
public sealed partial class SqliteBridgeStore : IBridgeStore
{
    private const int MaxCursorBatch = 512;

    /// <summary>The layout this build writes (<c>PRAGMA user_version</c>).</summary>
    internal const int SchemaVersion = 4;

    /// <summary>How long a start waits, by default, for another process to let go of the file before giving up.</summary>
    internal static readonly TimeSpan DefaultBusyWait = TimeSpan.FromSeconds(10);

    private const string Pragmas = """
        PRAGMA journal_mode = WAL;
        PRAGMA synchronous = NORMAL;
        PRAGMA wal_autocheckpoint = 0;
        """;

    /// <summary>
    /// Version 4's id map. One row per copy of a message: its origin (<c>is_origin</c> 1, written at
    /// ingest, which is also what dedupes a redelivered push) and each delivered copy, numbered in
    /// the order they were recorded, so a commit appends to the table's last pages. Each row carries
    /// its two index keys (<see cref="MapKeys"/>); the indexes themselves are in the index file.
    /// </summary>
    private const string RowsTable = """
        CREATE TABLE message_rows (
            seq        INTEGER PRIMARY KEY,
            event_id   BLOB NOT NULL,
            connector  TEXT NOT NULL,
            endpoint   TEXT NOT NULL,
            native_id  TEXT NOT NULL,
            is_origin  INTEGER NOT NULL,
            at         INTEGER NOT NULL,
            event_key  INTEGER NOT NULL,
            native_key INTEGER NOT NULL
        );
        """;

    /// <summary>
    /// The index file (<c>PATH-index</c>, attached as <c>idx</c>): two indexes that lead to a row,
    /// by event and by native id, each entry a 64-bit key and the row's number, and how far they
    /// reach. Derived from the rows alone: a start rebuilds what is missing. Event ids are hashes,
    /// evenly spread: retention sweeps by the first byte of the id, 1/256 at a time, instead of
    /// keeping a time index.
    /// </summary>
    private const string IndexTables = """
        PRAGMA idx.journal_mode = WAL;
        PRAGMA idx.synchronous = NORMAL;
        CREATE TABLE IF NOT EXISTS idx.event_index (
            event_key  INTEGER NOT NULL,
            seq        INTEGER NOT NULL,
            PRIMARY KEY (event_key, seq)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS idx.native_index (
            native_key INTEGER NOT NULL,
            seq        INTEGER NOT NULL,
            PRIMARY KEY (native_key, seq)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS idx.merge_state (
            id              INTEGER PRIMARY KEY CHECK (id = 0),
            indexed_through INTEGER NOT NULL
        );
        INSERT OR IGNORE INTO idx.merge_state (id, indexed_through) VALUES (0, 0);
        """;

    private const string CursorsTable = """
        CREATE TABLE IF NOT EXISTS cursors (
            connector  TEXT NOT NULL,
            endpoint   TEXT NOT NULL,
            cursor     TEXT NOT NULL,
            PRIMARY KEY (connector, endpoint)
        );
        """;

    /// <summary>
    /// Versions 2 and 3 kept the map clustered on the event id (16 bytes, no rowid) with an index on
    /// (connector, native id); version 3 appended new rows to <c>message_log</c> first. Every
    /// merged random insert into those wide rows wrote a page of its own once the map outgrew the
    /// page cache. Their rows move into version 4's in the order they were recorded.
    /// </summary>
    private static string MessageMapTable(string name) => $"""
        CREATE TABLE {name} (
            event_id   BLOB NOT NULL,
            connector  TEXT NOT NULL,
            endpoint   TEXT NOT NULL,
            native_id  TEXT NOT NULL,
            is_origin  INTEGER NOT NULL,
            at         INTEGER NOT NULL,
            PRIMARY KEY (event_id, connector, endpoint)
        ) WITHOUT ROWID;
        """;

    /// <summary>Indexes that lead to no row: a new or migrated rows file, or an index file that claims rows the rows file does not hold.</summary>
    private const string EmptyIndexes = """
        DELETE FROM idx.event_index;
        DELETE FROM idx.native_index;
        UPDATE idx.merge_state SET indexed_through = 0;
        """;

    /// <summary>The rows of a version 2 or 3 map, in the order they were recorded; the index file is built from them at start.</summary>
    private const string MigrateFromMap = RowsTable + """
        INSERT INTO message_rows (event_id, connector, endpoint, native_id, is_origin, at, event_key, native_key)
            SELECT event_id, connector, endpoint, native_id, is_origin, at, event_key(event_id), native_key(connector, native_id) FROM message_map ORDER BY at;
        DROP TABLE message_map;
        """ + EmptyIndexes;

    /// <summary>Version 3's log rows not merged yet go into its map first (the first write of a key wins).</summary>
    private const string MigrateFrom3 = """
        INSERT OR IGNORE INTO message_map (event_id, connector, endpoint, native_id, is_origin, at)
            SELECT event_id, connector, endpoint, native_id, is_origin, at FROM message_log ORDER BY seq;
        DROP TABLE message_log;
        """ + MigrateFromMap;

    /// <summary>
    /// Version 1 (no user_version) kept ids as 32-character hex text in a rowid table plus a
    /// separate <c>ingested</c> table that repeated every origin row. Its rows move over as they
    /// are; <c>ingested</c> is dropped (each of its rows was written with an origin row in the
    /// same transaction).
    /// </summary>
    private static readonly string MigrateFrom1 = MessageMapTable("message_map_v2") + """
        INSERT OR IGNORE INTO message_map_v2 (event_id, connector, endpoint, native_id, is_origin, at)
            SELECT unhex(event_id), connector, endpoint, native_id, is_origin, at FROM message_map;
        DROP TABLE message_map;
        DROP TABLE IF EXISTS ingested;
        ALTER TABLE message_map_v2 RENAME TO message_map;
        """ + CursorsTable + MigrateFromMap;

    private const string CreateCurrent = RowsTable + CursorsTable + EmptyIndexes;

    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly RecentMappings _recent;
    private readonly GroupCommit<CursorWrite> _cursorWrites;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly int _busySeconds;
    private SqliteConnection? _connection;
    private Statements? _statements;
    private bool _disposed;

    public SqliteBridgeStore(string path, ILogger<SqliteBridgeStore>? logger = null, TimeProvider? time = null, TimeSpan? busyWait = null)
    {
        Path = path;
        _busySeconds = Math.Max(1, (int)(busyWait ?? DefaultBusyWait).TotalSeconds);
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger<SqliteBridgeStore>.Instance;
        _cursorWrites = new GroupCommit<CursorWrite>(WriteCursorsAsync, MaxCursorBatch);
        _recent = new RecentMappings(2 * DefaultMergeAt);
    }

    public string Path { get; }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        await AcquireInstanceLockAsync(cancellationToken).ConfigureAwait(false);
        SqliteConnection? connection = null;
        Statements? statements = null;
        try
        {
            connection = await OpenAsync(Path, _busySeconds, cancellationToken).ConfigureAwait(false);
            Execute(connection, null, IndexTables);
            RegisterKeyFunctions(connection);
            MigrateToCurrent(connection);
            statements = new Statements(connection);
            IndexLeftOverRows(connection, statements);
        }
        catch (Exception e)
        {
            statements?.Dispose();
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }

            ReleaseInstanceLock();
            if (e is SqliteException { SqliteErrorCode: SQLitePCL.raw.SQLITE_BUSY or SQLitePCL.raw.SQLITE_LOCKED })
            {
                throw new InvalidOperationException(
                    $"store {Path} is in use by another process (still locked after {_busySeconds} s); a SQLite store belongs to one bridge instance", e);
            }

            throw;
        }

        _statements = statements;
        _connection = connection;
        await StartCheckpointsAsync(cancellationToken).ConfigureAwait(false);
        await StartMergingAsync(cancellationToken).ConfigureAwait(false);
        StoreMetrics.Register(this);
    }

    /// <summary>The index file beside the rows file (an in-memory store keeps its indexes in memory too).</summary>
    internal string IndexPath => InMemory ? ":memory:" : Path + "-index";

    /// <summary>A connection to the rows file with the index file attached as <c>idx</c>, in WAL mode.</summary>
    private async Task<SqliteConnection> OpenAsync(string path, int busySeconds, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Pooling = false,
            DefaultTimeout = busySeconds,
        }.ToString());
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            Execute(connection, null, Pragmas);
            using var attach = connection.CreateCommand();
            attach.CommandText = "ATTACH DATABASE $file AS idx";
            attach.Parameters.AddWithValue("$file", IndexPath);
            attach.ExecuteNonQuery();
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Creates the schema in a new file, or brings an older file's to this version in one transaction.</summary>
    private void MigrateToCurrent(SqliteConnection connection)
    {
        var version = Convert.ToInt32(Query(connection, "PRAGMA user_version"), System.Globalization.CultureInfo.InvariantCulture);
        if (version == SchemaVersion)
        {
            return;
        }

        if (version > SchemaVersion)
        {
            throw new InvalidOperationException($"store {Path} has schema version {version}, written by a newer bridge; this build knows up to {SchemaVersion}");
        }

        var existing = version > 0 || Query(connection, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'message_map'") is not null;
        var steps = version switch
        {
            3 => MigrateFrom3,
            2 => MigrateFromMap,
            _ => existing ? MigrateFrom1 : CreateCurrent,
        };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var tx = connection.BeginTransaction();
        Execute(connection, tx, steps + $"PRAGMA user_version = {SchemaVersion};");
        tx.Commit();
        if (existing)
        {
            var rows = Convert.ToInt64(Query(connection, "SELECT count(*) FROM message_rows"), System.Globalization.CultureInfo.InvariantCulture);
            StoreLog.Migrated(_logger, Path, Math.Max(1, version), SchemaVersion, rows, clock.Elapsed.TotalMilliseconds);
        }
    }

    private static object? Query(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction? tx, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// Looks for the event's rows and for a delivered copy with this native id. A new event whose
    /// rows the map holds none of is marked so (see <see cref="RecentMappings.MarkNotInMap"/>): the
    /// lookups of its copies then need not read the map.
    /// </summary>
    public Task<IngestLookup> LookupIngestAsync(Guid eventId, string connector, string nativeMessageId, CancellationToken cancellationToken) =>
        WithLock(s =>
        {
            if (_recent.HasOrigin(eventId))
            {
                return IngestLookup.AlreadyIngested;
            }

            using var read = s.Read();
            var inMap = s.EventRows.Bind(MapKeys.Event(eventId), Key(eventId)).ExecuteScalar();
            if (inMap is 1L)
            {
                return IngestLookup.AlreadyIngested;
            }

            if (s.CopyByNative.Bind(MapKeys.Native(connector, nativeMessageId), connector, nativeMessageId).ExecuteScalar() is not null || _recent.HasCopy(connector, nativeMessageId))
            {
                return IngestLookup.DeliveredByBridge;
            }

            if (inMap is null)
            {
                _recent.MarkNotInMap(eventId);
            }

            return IngestLookup.New;
        }, cancellationToken);

    public Task RecordIngestAsync(Guid eventId, EndpointRef conversation, string nativeMessageId, CancellationToken cancellationToken) =>
        RecordIngestsAsync([new IngestRecord(eventId, conversation, nativeMessageId)], cancellationToken);

    public Task RecordIngestsAsync(IReadOnlyList<IngestRecord> ingests, CancellationToken cancellationToken) =>
        AppendAsync(ingests, static i => (i.EventId, i.Conversation, i.NativeMessageId, true), cancellationToken);

    public Task RecordDeliveryAsync(Guid eventId, EndpointRef target, string nativeMessageId, CancellationToken cancellationToken) =>
        RecordDeliveriesAsync([new DeliveryRecord(eventId, target, nativeMessageId)], cancellationToken);

    public Task RecordDeliveriesAsync(IReadOnlyList<DeliveryRecord> deliveries, CancellationToken cancellationToken) =>
        AppendAsync(deliveries, static d => (d.EventId, d.Target, d.NativeMessageId, false), cancellationToken);

    public Task<string?[]> FindNativesAsync(IReadOnlyList<(Guid EventId, EndpointRef Endpoint)> keys, CancellationToken cancellationToken) =>
        WithLock(s =>
        {
            var found = new string?[keys.Count];
            using var read = s.Read();
            for (var i = 0; i < keys.Count; i++)
            {
                found[i] = FindNative(s, keys[i].EventId, keys[i].Endpoint);
            }

            return found;
        }, cancellationToken);

    public Task<string?> FindNativeAsync(Guid eventId, EndpointRef endpoint, CancellationToken cancellationToken) =>
        WithLock(s => FindNative(s, eventId, endpoint), cancellationToken);

    /// <summary>
    /// The native id of a key, from the logged rows or the map (a key is in one of them; during a
    /// merge the same row is in both). The map is not read for an event it holds no row of.
    /// </summary>
    private string? FindNative(Statements s, Guid eventId, EndpointRef endpoint) =>
        _recent.FindNative(eventId, endpoint)
        ?? (_recent.NotInMap(eventId) ? null : s.FindNative.Bind(MapKeys.Event(eventId), Key(eventId), endpoint.Connector, endpoint.Path).ExecuteScalar() as string);

    public Task<MappedMessage?> FindByNativeAsync(string connector, string nativeMessageId, CancellationToken cancellationToken) =>
        WithLock(s =>
        {
            var mapped = s.FindByNative.Bind(MapKeys.Native(connector, nativeMessageId), connector, nativeMessageId).QueryFirst(row =>
                EndpointRef.TryParsePath(connector, row.GetString(1), out _) is { } endpoint
                    ? new MappedMessage(new Guid(row.GetBlob(0), bigEndian: true), endpoint, nativeMessageId, row.GetInt64(2) == 1)
                    : null);

            if (mapped is { IsOrigin: true })
            {
                return mapped;
            }

            // The origin wins wherever it is; otherwise any copy, as the map's own query answers.
            var recent = _recent.FindByNative(connector, nativeMessageId) is { } row
                ? new MappedMessage(row.EventId, _recent.Endpoint(row.Endpoint).Endpoint, nativeMessageId, row.IsOrigin)
                : null;
            return recent is { IsOrigin: true } ? recent : mapped ?? recent;
        }, cancellationToken);

    /// <summary>
    /// Merges first, so the rows not merged yet are pruned like the others. Rows are numbered in
    /// the order they were recorded, so the rows recorded before the time are those numbered below
    /// a cut, found by a binary search on the row numbers (about twenty lookups; a clock that stepped
    /// back only keeps some rows a little longer). The slice's rows below the cut go, with their
    /// entries in the event index, and the native index entries below the cut in the same range of
    /// native keys (their rows go in their own event slice of the same sweep).
    /// </summary>
    public async Task<int> PruneAsync(DateTimeOffset before, byte slice, CancellationToken cancellationToken)
    {
        await MergeLogAsync(cancellationToken, releaseAll: true).ConfigureAwait(false);
        return await WithLock(s =>
        {
            var cut = FirstRowRecordedFrom(s, before.ToUnixTimeMilliseconds());
            var (low, high) = MapKeys.Slice(slice);
            var removed = 0;
            if (cut is { } below)
            {
                s.InTransaction(() =>
                {
                    removed = s.PruneRows.Bind(low, high, below).ExecuteNonQuery();
                    s.PruneEventIndex.Bind(low, high, below).ExecuteNonQuery();
                    s.PruneNativeIndex.Bind(low, high, below).ExecuteNonQuery();
                });
            }

            return removed;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The number of the first row recorded at or after the time (every row before it is older), or null if no row is older.</summary>
    private static long? FirstRowRecordedFrom(Statements s, long at)
    {
        using var read = s.Read();
        var first = (long)s.FirstRow.ExecuteScalar()!;
        long low = first, high = (long)s.LastRow.ExecuteScalar()! + 1;
        while (low < high)
        {
            var middle = low + ((high - low) / 2);
            var recorded = s.FirstRowFrom.Bind(middle).ExecuteScalar() as long?;
            if (recorded is null || recorded >= at)
            {
                high = middle;
            }
            else
            {
                low = middle + 1;
            }
        }

        return low > first ? low : null;
    }

    public Task<string?> GetCursorAsync(string connector, string endpointKey, CancellationToken cancellationToken) =>
        WithLock(s => s.GetCursor.Bind(connector, endpointKey).ExecuteScalar() as string, cancellationToken);

    /// <summary>
    /// Completes once the cursor is committed, in one transaction with the cursor writes made at
    /// about the same time; writes commit in the order they were made. Cancelling stops the wait,
    /// not the write.
    /// </summary>
    public Task SetCursorAsync(string connector, string endpointKey, string cursor, CancellationToken cancellationToken) =>
        _cursorWrites.Add(new CursorWrite(connector, endpointKey, cursor)).WaitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        StoreMetrics.Unregister(this);
        await StopMergingAsync().ConfigureAwait(false);
        await StopCheckpointsAsync().ConfigureAwait(false);
        _statements?.Dispose();
        _statements = null;
        if (_connection is not null)
        {
            // The last connection to close copies what is left in the WAL and removes it.
            await _connection.DisposeAsync().ConfigureAwait(false);
            _connection = null;
        }

        ReleaseInstanceLock();

        _lock.Dispose();
        _mergeGate.Dispose();
        _closing.Dispose();
    }

    private Task WriteCursorsAsync(IReadOnlyList<CursorWrite> writes) =>
        WithLock(s =>
        {
            s.InTransaction(() =>
            {
                foreach (var w in writes)
                {
                    s.SetCursor.Bind(w.Connector, w.EndpointKey, w.Cursor).ExecuteNonQuery();
                }
            });
            return true;
        }, CancellationToken.None);

    /// <summary>The 16 bytes of an event id in the order its hex text reads (what <c>unhex</c> gives for version 1 rows).</summary>
    private static SqlValue Key(Guid id) => SqlValue.EventKey(id);

    private async Task<T> WithLock<T>(Func<Statements, T> work, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var statements = _statements ?? throw new InvalidOperationException("the store is not initialized");
            return work(statements);
        }
        finally
        {
            _lock.Release();
        }
    }

    private readonly record struct CursorWrite(string Connector, string EndpointKey, string Cursor);

    /// <summary>The hot statements, each prepared once and re-bound per call (under the store's lock).</summary>
    private sealed class Statements(SqliteConnection connection) : IDisposable
    {
        private readonly TransactionStatements _transactions = new(connection);

        /// <summary>Runs <paramref name="work"/> in one transaction, rolled back if it throws.</summary>
        public void InTransaction(Action work) => _transactions.InTransaction(work);

        /// <summary>A read transaction that ends when the scope is disposed (see <see cref="TransactionStatements.Read"/>).</summary>
        public TransactionStatements.ReadScope Read() => _transactions.Read();

        /// <summary>1 if the map holds the event's origin, 0 if only copies of it, nothing if no row.</summary>
        public PreparedStatement EventRows { get; } = new(connection,
            "SELECT max(r.is_origin) FROM idx.event_index i CROSS JOIN main.message_rows r ON r.seq = i.seq WHERE i.event_key = $p0 AND r.event_id = $p1", 2);

        public PreparedStatement CopyByNative { get; } = new(connection,
            "SELECT 1 FROM idx.native_index i CROSS JOIN main.message_rows r ON r.seq = i.seq WHERE i.native_key = $p0 AND r.connector = $p1 AND r.native_id = $p2 AND r.is_origin = 0 LIMIT 1", 3);

        public PreparedStatement AppendRow { get; } = new(connection,
            "INSERT INTO main.message_rows (seq, event_id, connector, endpoint, native_id, is_origin, at, event_key, native_key) VALUES ($p0, $p1, $p2, $p3, $p4, $p5, $p6, $p7, $p8)", 9);

        /// <summary>The merge on this connection: a start's, and every merge of an in-memory store (a file's runs on a connection of its own).</summary>
        public MergeStatements Merge { get; } = new(connection);

        public PreparedStatement FindNative { get; } = new(connection,
            "SELECT r.native_id FROM idx.event_index i CROSS JOIN main.message_rows r ON r.seq = i.seq WHERE i.event_key = $p0 AND r.event_id = $p1 AND r.connector = $p2 AND r.endpoint = $p3", 4);

        public PreparedStatement FindByNative { get; } = new(connection,
            "SELECT r.event_id, r.endpoint, r.is_origin FROM idx.native_index i CROSS JOIN main.message_rows r ON r.seq = i.seq WHERE i.native_key = $p0 AND r.connector = $p1 AND r.native_id = $p2 ORDER BY r.is_origin DESC LIMIT 1", 3);

        /// <summary>The first row number (1 when there is no row).</summary>
        public PreparedStatement FirstRow { get; } = new(connection,
            "SELECT coalesce(min(seq), 1) FROM main.message_rows", 0);

        /// <summary>The last row number (0 when there is no row).</summary>
        public PreparedStatement LastRow { get; } = new(connection,
            "SELECT coalesce(max(seq), 0) FROM main.message_rows", 0);

        /// <summary>When the first row numbered $p0 or more was recorded.</summary>
        public PreparedStatement FirstRowFrom { get; } = new(connection,
            "SELECT at FROM main.message_rows WHERE seq >= $p0 ORDER BY seq LIMIT 1", 1);

        /// <summary>The rows below the cut ($p2) in the slice (a range of event keys).</summary>
        public PreparedStatement PruneRows { get; } = new(connection,
            "DELETE FROM main.message_rows WHERE seq IN (SELECT seq FROM idx.event_index WHERE event_key BETWEEN $p0 AND $p1 AND seq < $p2)", 3);

        public PreparedStatement PruneEventIndex { get; } = new(connection,
            "DELETE FROM idx.event_index WHERE event_key BETWEEN $p0 AND $p1 AND seq < $p2", 3);

        public PreparedStatement PruneNativeIndex { get; } = new(connection,
            "DELETE FROM idx.native_index WHERE native_key BETWEEN $p0 AND $p1 AND seq < $p2", 3);

        public PreparedStatement GetCursor { get; } = new(connection,
            "SELECT cursor FROM cursors WHERE connector = $p0 AND endpoint = $p1", 2);

        public PreparedStatement SetCursor { get; } = new(connection,
            "INSERT INTO cursors (connector, endpoint, cursor) VALUES ($p0, $p1, $p2) ON CONFLICT (connector, endpoint) DO UPDATE SET cursor = excluded.cursor", 3);

        public void Dispose()
        {
            _transactions.Dispose();
            FirstRow.Dispose();
            LastRow.Dispose();
            FirstRowFrom.Dispose();
            PruneRows.Dispose();
            PruneEventIndex.Dispose();
            PruneNativeIndex.Dispose();
            GetCursor.Dispose();
            SetCursor.Dispose();
            EventRows.Dispose();
            CopyByNative.Dispose();
            AppendRow.Dispose();
            Merge.Dispose();
            FindNative.Dispose();
            FindByNative.Dispose();
        }
    }
}
