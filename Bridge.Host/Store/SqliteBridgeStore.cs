using Bridge.Contracts.V1;
using Bridge.Host.Bus;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bridge.Host.Store;

/// <summary>
/// The default store: one SQLite file in WAL mode. One connection does the store's work,
/// serialized by a lock (SQLite has one writer anyway); statements are prepared once. A second
/// connection only copies the WAL into the file (see the checkpoint part of this class). Belongs
/// to one bridge instance, kept so by an OS lock on <c>PATH.lock</c> held while the store is open:
/// a second bridge waits for it and is then told the file is in use; a <c>sqlite3</c> shell may
/// read the file meanwhile. Cursor writes go by group commit: the checkpoints of many
/// conversations (a thousand xnest rooms each checkpoint every second) share one transaction
/// instead of one commit each. New id-map rows are appended to a log and merged into the
/// clustered map in the background (see the log part of this class).
/// </summary>
public sealed partial class SqliteBridgeStore : IBridgeStore
{
    private const int MaxCursorBatch = 512;

    /// <summary>The layout this build writes (<c>PRAGMA user_version</c>).</summary>
    internal const int SchemaVersion = 3;

    /// <summary>How long a start waits, by default, for another process to let go of the file before giving up.</summary>
    internal static readonly TimeSpan DefaultBusyWait = TimeSpan.FromSeconds(10);

    private const string Pragmas = """
        PRAGMA journal_mode = WAL;
        PRAGMA synchronous = NORMAL;
        PRAGMA wal_autocheckpoint = 0;
        """;

    /// <summary>
    /// One row per copy of a message: its origin (<c>is_origin</c> 1, written at ingest, which is
    /// also what dedupes a redelivered push) and each delivered copy. Clustered on the event id
    /// (16 bytes, no rowid), so an ingest is two B-tree inserts and a delivery two. Event ids are
    /// hashes, evenly spread: retention sweeps the table by the first byte of the id, 1/256 at a
    /// time, instead of keeping a time index (which cost 10–12 % of the store's throughput).
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

    private const string Indexes = """
        CREATE INDEX message_map_native ON message_map (connector, native_id);
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
    /// Version 3 adds the log new id-map rows are appended to: in the order they came, so a commit
    /// writes to the log's last pages instead of one random page of the map per row. Its rows are
    /// the map's columns plus the order.
    /// </summary>
    private const string LogTable = """
        CREATE TABLE IF NOT EXISTS message_log (
            seq        INTEGER PRIMARY KEY,
            event_id   BLOB NOT NULL,
            connector  TEXT NOT NULL,
            endpoint   TEXT NOT NULL,
            native_id  TEXT NOT NULL,
            is_origin  INTEGER NOT NULL,
            at         INTEGER NOT NULL
        );
        """;

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
        """ + Indexes + CursorsTable;

    private static readonly string CreateCurrent =
        MessageMapTable("message_map") + Indexes + CursorsTable;

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
        _recent = new RecentMappings(DefaultMergeAt);
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
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Pooling = false,
            DefaultTimeout = _busySeconds,
        }.ToString());
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            Execute(connection, null, Pragmas);
            MigrateToCurrent(connection);
            MergeLeftOverLog(connection);
        }
        catch (Exception e)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            ReleaseInstanceLock();
            if (e is SqliteException { SqliteErrorCode: SQLitePCL.raw.SQLITE_BUSY or SQLitePCL.raw.SQLITE_LOCKED })
            {
                throw new InvalidOperationException(
                    $"store {Path} is in use by another process (still locked after {_busySeconds} s); a SQLite store belongs to one bridge instance", e);
            }

            throw;
        }

        _statements = new Statements(connection);
        _connection = connection;
        await StartCheckpointsAsync(cancellationToken).ConfigureAwait(false);
        StoreMetrics.Register(this);
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
            2 => "",
            _ => existing ? MigrateFrom1 : CreateCurrent,
        };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var tx = connection.BeginTransaction();
        Execute(connection, tx, steps + LogTable + $"PRAGMA user_version = {SchemaVersion};");
        tx.Commit();
        if (existing)
        {
            var rows = Convert.ToInt64(Query(connection, "SELECT count(*) FROM message_map"), System.Globalization.CultureInfo.InvariantCulture);
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
            var inMap = s.EventRows.Bind(Key(eventId)).ExecuteScalar();
            if (inMap is 1L)
            {
                return IngestLookup.AlreadyIngested;
            }

            if (s.CopyByNative.Bind(connector, nativeMessageId).ExecuteScalar() is not null || _recent.HasCopy(connector, nativeMessageId))
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
        ?? (_recent.NotInMap(eventId) ? null : s.FindNative.Bind(Key(eventId), endpoint.Connector, endpoint.Path).ExecuteScalar() as string);

    public Task<MappedMessage?> FindByNativeAsync(string connector, string nativeMessageId, CancellationToken cancellationToken) =>
        WithLock(s =>
        {
            var mapped = s.FindByNative.Bind(connector, nativeMessageId).QueryFirst(row =>
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

    /// <summary>Merges the log first, so the rows it holds are pruned like the others.</summary>
    public async Task<int> PruneAsync(DateTimeOffset before, byte slice, CancellationToken cancellationToken)
    {
        await MergeLogAsync(cancellationToken).ConfigureAwait(false);
        return await WithLock(s =>
        {
            // [slice] sorts before every id starting with it, [slice + 1] after them; 17 × 0xFF after every id.
            var upper = slice < byte.MaxValue ? new[] { (byte)(slice + 1) } : Enumerable.Repeat(byte.MaxValue, 17).ToArray();
            var removed = 0;
            s.InTransaction(() => removed = s.Prune.Bind(new[] { slice }, upper, before.ToUnixTimeMilliseconds()).ExecuteNonQuery());
            return removed;
        }, cancellationToken).ConfigureAwait(false);
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
        private readonly PreparedStatement _begin = new(connection, "BEGIN", 0);
        private readonly PreparedStatement _commit = new(connection, "COMMIT", 0);
        private readonly PreparedStatement _rollback = new(connection, "ROLLBACK", 0);

        /// <summary>Runs <paramref name="work"/> in one transaction, rolled back if it throws.</summary>
        public void InTransaction(Action work)
        {
            _begin.ExecuteNonQuery();
            try
            {
                work();
                _commit.ExecuteNonQuery();
            }
            catch
            {
                RollBackIfOpen();
                throw;
            }
        }

        /// <summary>
        /// Starts a read transaction that ends when the scope is disposed: the statements in it
        /// read one snapshot and take the WAL's read lock once, instead of each starting a
        /// transaction of its own (a file lock call or more each time, one of the costlier system
        /// calls on a virtual machine).
        /// </summary>
        public ReadScope Read()
        {
            _begin.ExecuteNonQuery();
            return new ReadScope(this);
        }

        /// <summary>Ends the transaction, if one is open, without keeping anything it wrote (a read transaction has nothing to keep).</summary>
        private void RollBackIfOpen()
        {
            if (SQLitePCL.raw.sqlite3_get_autocommit(connection.Handle) == 0)
            {
                _rollback.ExecuteNonQuery();
            }
        }

        public readonly struct ReadScope(Statements statements) : IDisposable
        {
            public void Dispose() => statements.RollBackIfOpen();
        }

        /// <summary>1 if the map holds the event's origin, 0 if only copies of it, nothing if no row.</summary>
        public PreparedStatement EventRows { get; } = new(connection,
            "SELECT max(is_origin) FROM message_map WHERE event_id = $p0", 1);

        public PreparedStatement CopyByNative { get; } = new(connection,
            "SELECT 1 FROM message_map WHERE connector = $p0 AND native_id = $p1 AND is_origin = 0 LIMIT 1", 2);

        public PreparedStatement AppendLog { get; } = new(connection,
            "INSERT INTO message_log (seq, event_id, connector, endpoint, native_id, is_origin, at) VALUES ($p0, $p1, $p2, $p3, $p4, $p5, $p6)", 7);

        public PreparedStatement MergeRow { get; } = new(connection,
            "INSERT OR IGNORE INTO message_map (event_id, connector, endpoint, native_id, is_origin, at) VALUES ($p0, $p1, $p2, $p3, $p4, $p5)", 6);

        public PreparedStatement DropMerged { get; } = new(connection,
            "DELETE FROM message_log WHERE seq <= $p0", 1);

        public PreparedStatement FindNative { get; } = new(connection,
            "SELECT native_id FROM message_map WHERE event_id = $p0 AND connector = $p1 AND endpoint = $p2", 3);

        public PreparedStatement FindByNative { get; } = new(connection,
            "SELECT event_id, endpoint, is_origin FROM message_map WHERE connector = $p0 AND native_id = $p1 ORDER BY is_origin DESC LIMIT 1", 2);

        public PreparedStatement Prune { get; } = new(connection,
            "DELETE FROM message_map WHERE event_id >= $p0 AND event_id < $p1 AND at < $p2", 3);

        public PreparedStatement GetCursor { get; } = new(connection,
            "SELECT cursor FROM cursors WHERE connector = $p0 AND endpoint = $p1", 2);

        public PreparedStatement SetCursor { get; } = new(connection,
            "INSERT INTO cursors (connector, endpoint, cursor) VALUES ($p0, $p1, $p2) ON CONFLICT (connector, endpoint) DO UPDATE SET cursor = excluded.cursor", 3);

        public void Dispose()
        {
            _begin.Dispose();
            _commit.Dispose();
            _rollback.Dispose();
            Prune.Dispose();
            GetCursor.Dispose();
            SetCursor.Dispose();
            EventRows.Dispose();
            CopyByNative.Dispose();
            AppendLog.Dispose();
            MergeRow.Dispose();
            DropMerged.Dispose();
            FindNative.Dispose();
            FindByNative.Dispose();
        }
    }
}
