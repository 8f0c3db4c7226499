using Bridge.Contracts.V1;
using Bridge.Host.Bus;
using Microsoft.Data.Sqlite;

namespace Bridge.Host.Store;

/// <summary>
/// The default store: one SQLite file in WAL mode. One connection, serialized by a lock (SQLite
/// has one writer anyway); statements are prepared once. Suits one bridge instance; several
/// instances share PostgreSQL instead. Cursor writes go by group commit: the checkpoints of many
/// conversations (a thousand xnest rooms each checkpoint every second) share one transaction
/// instead of one commit each.
/// </summary>
public sealed class SqliteBridgeStore : IBridgeStore
{
    private const int MaxCursorBatch = 512;

    private const string Schema = """
        PRAGMA journal_mode = WAL;
        PRAGMA synchronous = NORMAL;
        CREATE TABLE IF NOT EXISTS ingested (
            event_id   TEXT PRIMARY KEY,
            connector  TEXT NOT NULL,
            native_id  TEXT NOT NULL,
            at         INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS message_map (
            event_id   TEXT NOT NULL,
            connector  TEXT NOT NULL,
            endpoint   TEXT NOT NULL,
            native_id  TEXT NOT NULL,
            is_origin  INTEGER NOT NULL,
            at         INTEGER NOT NULL,
            PRIMARY KEY (event_id, connector, endpoint)
        );
        CREATE INDEX IF NOT EXISTS message_map_native ON message_map (connector, native_id);
        CREATE TABLE IF NOT EXISTS cursors (
            connector  TEXT NOT NULL,
            endpoint   TEXT NOT NULL,
            cursor     TEXT NOT NULL,
            PRIMARY KEY (connector, endpoint)
        );
        """;

    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly GroupCommit<CursorWrite> _cursorWrites;
    private SqliteConnection? _connection;
    private Statements? _statements;

    public SqliteBridgeStore(string path)
    {
        Path = path;
        _cursorWrites = new GroupCommit<CursorWrite>(
            writes => InsertAllAsync(writes, (s, tx, w, _) => s.SetCursor.Bind(w.Connector, w.EndpointKey, w.Cursor).In(tx).ExecuteNonQuery(), CancellationToken.None),
            MaxCursorBatch);
    }

    public string Path { get; }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path, Pooling = false }.ToString());
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = Schema;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        _statements = new Statements(connection);
        _connection = connection;
    }

    public Task<IngestLookup> LookupIngestAsync(Guid eventId, string connector, string nativeMessageId, CancellationToken cancellationToken) =>
        WithLock(s => s.LookupIngest.Bind(Key(eventId), connector, nativeMessageId).ExecuteScalar() switch
        {
            1L => IngestLookup.AlreadyIngested,
            2L => IngestLookup.DeliveredByBridge,
            _ => IngestLookup.New,
        }, cancellationToken);

    public Task RecordIngestAsync(Guid eventId, EndpointRef conversation, string nativeMessageId, CancellationToken cancellationToken) =>
        RecordIngestsAsync([new IngestRecord(eventId, conversation, nativeMessageId)], cancellationToken);

    public Task RecordIngestsAsync(IReadOnlyList<IngestRecord> ingests, CancellationToken cancellationToken) =>
        InsertAllAsync(ingests, (s, tx, i, now) =>
        {
            var key = Key(i.EventId);
            s.InsertIngested.Bind(key, i.Conversation.Connector, i.NativeMessageId, now).In(tx).ExecuteNonQuery();
            s.InsertMapping.Bind(key, i.Conversation.Connector, i.Conversation.Path, i.NativeMessageId, 1, now).In(tx).ExecuteNonQuery();
        }, cancellationToken);

    public Task RecordDeliveryAsync(Guid eventId, EndpointRef target, string nativeMessageId, CancellationToken cancellationToken) =>
        RecordDeliveriesAsync([new DeliveryRecord(eventId, target, nativeMessageId)], cancellationToken);

    public Task RecordDeliveriesAsync(IReadOnlyList<DeliveryRecord> deliveries, CancellationToken cancellationToken) =>
        InsertAllAsync(deliveries, (s, tx, d, now) =>
            s.InsertMapping.Bind(Key(d.EventId), d.Target.Connector, d.Target.Path, d.NativeMessageId, 0, now).In(tx).ExecuteNonQuery(), cancellationToken);

    /// <summary>Writes every record in one transaction, all stamped with the same time (Unix ms).</summary>
    private Task InsertAllAsync<T>(IReadOnlyList<T> records, Action<Statements, SqliteTransaction, T, long> insert, CancellationToken cancellationToken) =>
        WithLock(s =>
        {
            using var tx = s.Connection.BeginTransaction();
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            foreach (var record in records)
            {
                insert(s, tx, record, now);
            }

            tx.Commit();
            return true;
        }, cancellationToken);

    public Task<string?[]> FindNativesAsync(IReadOnlyList<(Guid EventId, EndpointRef Endpoint)> keys, CancellationToken cancellationToken) =>
        WithLock(s =>
        {
            var found = new string?[keys.Count];
            for (var i = 0; i < keys.Count; i++)
            {
                found[i] = FindNative(s, keys[i].EventId, keys[i].Endpoint);
            }

            return found;
        }, cancellationToken);

    public Task<string?> FindNativeAsync(Guid eventId, EndpointRef endpoint, CancellationToken cancellationToken) =>
        WithLock(s => FindNative(s, eventId, endpoint), cancellationToken);

    private static string? FindNative(Statements s, Guid eventId, EndpointRef endpoint) =>
        s.FindNative.Bind(Key(eventId), endpoint.Connector, endpoint.Path).ExecuteScalar() as string;

    public Task<MappedMessage?> FindByNativeAsync(string connector, string nativeMessageId, CancellationToken cancellationToken) =>
        WithLock(s =>
        {
            using var reader = s.FindByNative.Bind(connector, nativeMessageId).ExecuteReader();
            if (!reader.Read())
            {
                return null;
            }

            var endpoint = EndpointRef.TryParsePath(connector, reader.GetString(1), out _);
            return endpoint is null
                ? null
                : new MappedMessage(Guid.ParseExact(reader.GetString(0), "N"), endpoint, nativeMessageId, reader.GetInt64(2) == 1);
        }, cancellationToken);

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
        _statements?.Dispose();
        _statements = null;
        if (_connection is not null)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
            _connection = null;
        }

        _lock.Dispose();
    }

    private static string Key(Guid id) => id.ToString("N");

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
        public SqliteConnection Connection => connection;

        public PreparedStatement LookupIngest { get; } = new(connection, """
            SELECT 1 FROM ingested WHERE event_id = $p0
            UNION ALL
            SELECT 2 FROM message_map WHERE connector = $p1 AND native_id = $p2 AND is_origin = 0
            LIMIT 1
            """, 3);

        public PreparedStatement InsertIngested { get; } = new(connection,
            "INSERT OR IGNORE INTO ingested (event_id, connector, native_id, at) VALUES ($p0, $p1, $p2, $p3)", 4);

        public PreparedStatement InsertMapping { get; } = new(connection,
            "INSERT OR IGNORE INTO message_map (event_id, connector, endpoint, native_id, is_origin, at) VALUES ($p0, $p1, $p2, $p3, $p4, $p5)", 6);

        public PreparedStatement FindNative { get; } = new(connection,
            "SELECT native_id FROM message_map WHERE event_id = $p0 AND connector = $p1 AND endpoint = $p2", 3);

        public PreparedStatement FindByNative { get; } = new(connection,
            "SELECT event_id, endpoint, is_origin FROM message_map WHERE connector = $p0 AND native_id = $p1 ORDER BY is_origin DESC LIMIT 1", 2);

        public PreparedStatement GetCursor { get; } = new(connection,
            "SELECT cursor FROM cursors WHERE connector = $p0 AND endpoint = $p1", 2);

        public PreparedStatement SetCursor { get; } = new(connection,
            "INSERT INTO cursors (connector, endpoint, cursor) VALUES ($p0, $p1, $p2) ON CONFLICT (connector, endpoint) DO UPDATE SET cursor = excluded.cursor", 3);

        public void Dispose()
        {
            GetCursor.Dispose();
            SetCursor.Dispose();
            LookupIngest.Dispose();
            InsertIngested.Dispose();
            InsertMapping.Dispose();
            FindNative.Dispose();
            FindByNative.Dispose();
        }
    }
}
