using Microsoft.Data.Sqlite;

namespace Bridge.Host.Store;

/// <summary>
/// BEGIN, COMMIT and ROLLBACK, prepared once on a connection: a unit of work in one transaction,
/// rolled back if it throws, and a read scope. Not thread-safe: its owner serializes the
/// connection's calls (the store's lock, or the merge gate for the merge's own connection).
/// </summary>
internal sealed class TransactionStatements(SqliteConnection connection) : IDisposable
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

    public void Dispose()
    {
        _begin.Dispose();
        _commit.Dispose();
        _rollback.Dispose();
    }

    /// <summary>Ends the transaction, if one is open, without keeping anything it wrote (a read transaction has nothing to keep).</summary>
    private void RollBackIfOpen()
    {
        if (SQLitePCL.raw.sqlite3_get_autocommit(connection.Handle) == 0)
        {
            _rollback.ExecuteNonQuery();
        }
    }

    public readonly struct ReadScope(TransactionStatements transactions) : IDisposable
    {
        public void Dispose() => transactions.RollBackIfOpen();
    }
}
