using Bridge.Contracts.V1;
using Microsoft.Data.Sqlite;

namespace Bridge.Host.Store;

/// <summary>
/// The default store: one SQLite file in WAL mode. One connection, serialized by a lock (SQLite
/// has one writer anyway); statements are prepared once. Suits one bridge instance; several
/// instances share PostgreSQL instead.
/// </summary>
public sealed class SqliteBridgeStore(string path) : IBridgeStore
{
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
    private SqliteConnection? _connection;

    public string Path => path;

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = Schema;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        _connection = connection;
    }

    public Task<IngestLookup> LookupIngestAsync(Guid eventId, string connector, string nativeMessageId, CancellationToken cancellationToken) =>
        WithLock(c =>
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = """
                SELECT 1 FROM ingested WHERE event_id = $e
                UNION ALL
                SELECT 2 FROM message_map WHERE connector = $c AND native_id = $n AND is_origin = 0
                LIMIT 1
                """;
            cmd.Parameters.AddWithValue("$e", Key(eventId));
            cmd.Parameters.AddWithValue("$c", connector);
            cmd.Parameters.AddWithValue("$n", nativeMessageId);
            return cmd.ExecuteScalar() switch
            {
                1L => IngestLookup.AlreadyIngested,
                2L => IngestLookup.DeliveredByBridge,
                _ => IngestLookup.New,
            };
        }, cancellationToken);

    public Task RecordIngestAsync(Guid eventId, EndpointRef conversation, string nativeMessageId, CancellationToken cancellationToken) =>
        WithLock(c =>
        {
            using var tx = c.BeginTransaction();
            using (var cmd = c.CreateCommand())
            {
                cmd.Transaction = tx;
                cmd.CommandText = "INSERT OR IGNORE INTO ingested (event_id, connector, native_id, at) VALUES ($e, $c, $n, $t)";
                cmd.Parameters.AddWithValue("$e", Key(eventId));
                cmd.Parameters.AddWithValue("$c", conversation.Connector);
                cmd.Parameters.AddWithValue("$n", nativeMessageId);
                cmd.Parameters.AddWithValue("$t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                cmd.ExecuteNonQuery();
            }

            InsertMapping(c, tx, eventId, conversation, nativeMessageId, isOrigin: true);
            tx.Commit();
            return true;
        }, cancellationToken);

    public Task RecordDeliveryAsync(Guid eventId, EndpointRef target, string nativeMessageId, CancellationToken cancellationToken) =>
        WithLock(c =>
        {
            InsertMapping(c, null, eventId, target, nativeMessageId, isOrigin: false);
            return true;
        }, cancellationToken);

    public Task<string?> FindNativeAsync(Guid eventId, EndpointRef endpoint, CancellationToken cancellationToken) =>
        WithLock(c =>
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT native_id FROM message_map WHERE event_id = $e AND connector = $c AND endpoint = $p";
            cmd.Parameters.AddWithValue("$e", Key(eventId));
            cmd.Parameters.AddWithValue("$c", endpoint.Connector);
            cmd.Parameters.AddWithValue("$p", endpoint.Path);
            return cmd.ExecuteScalar() as string;
        }, cancellationToken);

    public Task<MappedMessage?> FindByNativeAsync(string connector, string nativeMessageId, CancellationToken cancellationToken) =>
        WithLock(c =>
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT event_id, endpoint, is_origin FROM message_map WHERE connector = $c AND native_id = $n ORDER BY is_origin DESC LIMIT 1";
            cmd.Parameters.AddWithValue("$c", connector);
            cmd.Parameters.AddWithValue("$n", nativeMessageId);
            using var reader = cmd.ExecuteReader();
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
        WithLock(c =>
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT cursor FROM cursors WHERE connector = $c AND endpoint = $p";
            cmd.Parameters.AddWithValue("$c", connector);
            cmd.Parameters.AddWithValue("$p", endpointKey);
            return cmd.ExecuteScalar() as string;
        }, cancellationToken);

    public Task SetCursorAsync(string connector, string endpointKey, string cursor, CancellationToken cancellationToken) =>
        WithLock(c =>
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "INSERT INTO cursors (connector, endpoint, cursor) VALUES ($c, $p, $v) ON CONFLICT (connector, endpoint) DO UPDATE SET cursor = excluded.cursor";
            cmd.Parameters.AddWithValue("$c", connector);
            cmd.Parameters.AddWithValue("$p", endpointKey);
            cmd.Parameters.AddWithValue("$v", cursor);
            cmd.ExecuteNonQuery();
            return true;
        }, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
            _connection = null;
        }

        _lock.Dispose();
    }

    private static void InsertMapping(SqliteConnection c, SqliteTransaction? tx, Guid eventId, EndpointRef endpoint, string nativeId, bool isOrigin)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "INSERT OR IGNORE INTO message_map (event_id, connector, endpoint, native_id, is_origin, at) VALUES ($e, $c, $p, $n, $o, $t)";
        cmd.Parameters.AddWithValue("$e", Key(eventId));
        cmd.Parameters.AddWithValue("$c", endpoint.Connector);
        cmd.Parameters.AddWithValue("$p", endpoint.Path);
        cmd.Parameters.AddWithValue("$n", nativeId);
        cmd.Parameters.AddWithValue("$o", isOrigin ? 1 : 0);
        cmd.Parameters.AddWithValue("$t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        cmd.ExecuteNonQuery();
    }

    private static string Key(Guid id) => id.ToString("N");

    private async Task<T> WithLock<T>(Func<SqliteConnection, T> work, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = _connection ?? throw new InvalidOperationException("the store is not initialized");
            return work(connection);
        }
        finally
        {
            _lock.Release();
        }
    }
}
