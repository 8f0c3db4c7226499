using Microsoft.Data.Sqlite;

namespace Bridge.Host.Store;

/// <summary>
/// One SQLite statement compiled once and executed many times with new values for its
/// positional parameters <c>$p0</c>…<c>$pN</c>. Not thread-safe: the store calls it under its lock.
/// </summary>
internal sealed class PreparedStatement : IDisposable
{
    private readonly SqliteCommand _command;
    private readonly SqliteParameter[] _parameters;

    public PreparedStatement(SqliteConnection connection, string sql, int parameterCount)
    {
        _command = connection.CreateCommand();
        _command.CommandText = sql;
        _parameters = new SqliteParameter[parameterCount];
        for (var i = 0; i < parameterCount; i++)
        {
            _parameters[i] = _command.Parameters.Add(new SqliteParameter { ParameterName = "$p" + i });
        }
    }

    public SqliteCommand Bind(params ReadOnlySpan<object> values)
    {
        for (var i = 0; i < _parameters.Length; i++)
        {
            _parameters[i].Value = values[i];
        }

        _command.Transaction = null;
        return _command;
    }

    public void Dispose() => _command.Dispose();
}

internal static class SqliteCommandExtensions
{
    public static SqliteCommand In(this SqliteCommand command, SqliteTransaction? transaction)
    {
        command.Transaction = transaction;
        return command;
    }
}
