using System.Buffers;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Bridge.Host.Store;

/// <summary>
/// One SQLite statement compiled once and executed many times with new values for its positional
/// parameters <c>$p0</c>…<c>$pN</c>, straight on SQLite's C API (Microsoft.Data.Sqlite's commands
/// look every parameter up by name on every execution: 16 % of the store's time in a profile of
/// the relay under load). Values are bound by the index looked up once. Not thread-safe: the
/// store calls it under its lock.
/// </summary>
internal sealed class PreparedStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    private readonly int[] _indexes;

    public PreparedStatement(SqliteConnection connection, string sql, int parameterCount)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("the connection is not open");
        Check(raw.sqlite3_prepare_v2(_db, sql, out _statement));
        _indexes = new int[parameterCount];
        for (var i = 0; i < parameterCount; i++)
        {
            _indexes[i] = raw.sqlite3_bind_parameter_index(_statement, "$p" + i);
            if (_indexes[i] == 0)
            {
                _statement.Dispose();
                throw new ArgumentException($"the statement has no parameter $p{i}: {sql}", nameof(sql));
            }
        }
    }

    /// <summary>Binds the values to <c>$p0</c>… in order.</summary>
    public PreparedStatement Bind(params ReadOnlySpan<SqlValue> values)
    {
        for (var i = 0; i < _indexes.Length; i++)
        {
            Check(BindOne(_indexes[i], values[i]));
        }

        return this;
    }

    private int BindOne(int index, in SqlValue value)
    {
        switch (value.Kind)
        {
            case SqlValueKind.Integer:
                return raw.sqlite3_bind_int64(_statement, index, value.Integer);
            case SqlValueKind.Text:
                return BindText(index, value.Text);
            case SqlValueKind.Blob:
                return raw.sqlite3_bind_blob(_statement, index, value.Blob);
            case SqlValueKind.Id:
                Span<byte> key = stackalloc byte[16];
                value.Id.TryWriteBytes(key, bigEndian: true, out _);
                return raw.sqlite3_bind_blob(_statement, index, key);
            default:
                return raw.sqlite3_bind_null(_statement, index);
        }
    }

    /// <summary>
    /// Binds a text as UTF-8 encoded on the stack (or, when long, in a rented buffer), which SQLite
    /// copies: no array per value. An empty text goes the library's way, since an empty span would
    /// bind as NULL.
    /// </summary>
    private int BindText(int index, string text)
    {
        const int StackBytes = 512;
        if (text.Length == 0)
        {
            return raw.sqlite3_bind_text(_statement, index, text);
        }

        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        var rented = max > StackBytes ? ArrayPool<byte>.Shared.Rent(max) : null;
        try
        {
            Span<byte> buffer = rented ?? stackalloc byte[StackBytes];
            var length = Encoding.UTF8.GetBytes(text, buffer);
            return raw.sqlite3_bind_text(_statement, index, buffer[..length]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Runs the statement to its end; returns the rows it changed.</summary>
    public int ExecuteNonQuery()
    {
        try
        {
            while (Step())
            {
            }

            return raw.sqlite3_changes(_db);
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    /// <summary>The first column of the first row (long, string, byte[]), or null without a row.</summary>
    public object? ExecuteScalar() => QueryFirst(static row => row.Value(0));

    /// <summary>Reads the first row, if any, with <paramref name="read"/>.</summary>
    public T? QueryFirst<T>(Func<Row, T?> read)
        where T : class
    {
        try
        {
            return Step() ? read(new Row(_statement)) : null;
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    public void Dispose() => _statement.Dispose();

    private bool Step() => raw.sqlite3_step(_statement) switch
    {
        raw.SQLITE_ROW => true,
        raw.SQLITE_DONE => false,
        var rc => throw Error(rc),
    };

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            throw Error(rc);
        }
    }

    private SqliteException Error(int rc) =>
        new(raw.sqlite3_errmsg(_db).utf8_to_string(), rc, raw.sqlite3_extended_errcode(_db));

    /// <summary>The current row of a statement, read by column.</summary>
    public readonly struct Row(sqlite3_stmt statement)
    {
        public object? Value(int column) => raw.sqlite3_column_type(statement, column) switch
        {
            raw.SQLITE_INTEGER => raw.sqlite3_column_int64(statement, column),
            raw.SQLITE_TEXT => raw.sqlite3_column_text(statement, column).utf8_to_string(),
            raw.SQLITE_BLOB => raw.sqlite3_column_blob(statement, column).ToArray(),
            raw.SQLITE_FLOAT => raw.sqlite3_column_double(statement, column),
            _ => null,
        };

        public string GetString(int column) => raw.sqlite3_column_text(statement, column).utf8_to_string();

        public long GetInt64(int column) => raw.sqlite3_column_int64(statement, column);

        public ReadOnlySpan<byte> GetBlob(int column) => raw.sqlite3_column_blob(statement, column);
    }
}
