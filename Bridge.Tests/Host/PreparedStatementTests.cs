using Bridge.Host.Store;
using Microsoft.Data.Sqlite;

namespace Bridge.Tests.Host;

public sealed class PreparedStatementTests : IDisposable
{
    private readonly SqliteConnection _connection = new("Data Source=:memory:");

    public PreparedStatementTests()
    {
        _connection.Open();
        using var create = _connection.CreateCommand();
        create.CommandText = "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, data BLOB)";
        create.ExecuteNonQuery();
    }

    [Fact]
    public void Values_bind_by_position_and_read_back_with_their_types_and_the_statement_is_reused()
    {
        using var insert = new PreparedStatement(_connection, "INSERT INTO t (id, name, data) VALUES ($p0, $p1, $p2)", 3);
        using var select = new PreparedStatement(_connection, "SELECT name, data, id FROM t WHERE id = $p0", 1);

        Assert.Equal(1, insert.Bind(1L, "één", new byte[] { 0, 255 }).ExecuteNonQuery());
        Assert.Equal(1, insert.Bind(2, "two", SqlValue.Null).ExecuteNonQuery());

        Assert.Equal("één", select.Bind(1L).ExecuteScalar());
        Assert.Equal((byte[])[0, 255], select.Bind(1L).QueryFirst(row => row.Value(1)));
        Assert.Null(select.Bind(2L).QueryFirst(row => row.Value(1)));
        Assert.Equal(2L, select.Bind(2L).QueryFirst(row => row.Value(2)));
        Assert.Null(select.Bind(3L).ExecuteScalar());
    }

    [Fact]
    public void Texts_short_long_and_empty_and_event_ids_bind_as_what_they_are()
    {
        using var insert = new PreparedStatement(_connection, "INSERT INTO t (id, name, data) VALUES ($p0, $p1, $p2)", 3);
        using var select = new PreparedStatement(_connection, "SELECT name, data, typeof(name) FROM t WHERE id = $p0", 1);
        var id = Guid.Parse("00112233-4455-6677-8899-aabbccddeeff");
        var longText = string.Concat(Enumerable.Repeat("中文 ü 😀 ", 200)); // past the stack buffer: a rented one
        string? none = null;

        insert.Bind(1, "", SqlValue.EventKey(id)).ExecuteNonQuery();
        insert.Bind(2, longText, none).ExecuteNonQuery();
        insert.Bind(3, "ascii", new byte[] { 7 }).ExecuteNonQuery();

        Assert.Equal("text", select.Bind(1).QueryFirst(row => row.GetString(2))); // empty, not NULL
        Assert.Equal("", select.Bind(1).ExecuteScalar());
        Assert.Equal(Convert.FromHexString("00112233445566778899aabbccddeeff"), select.Bind(1).QueryFirst(row => row.Value(1)));
        Assert.Equal(longText, select.Bind(2).ExecuteScalar());
        Assert.Null(select.Bind(2).QueryFirst(row => row.Value(1)));
        Assert.Equal("ascii", select.Bind(3).ExecuteScalar());
    }

    [Fact]
    public void A_failing_step_throws_the_sqlite_error_and_leaves_the_statement_usable()
    {
        using var insert = new PreparedStatement(_connection, "INSERT INTO t (id, name) VALUES ($p0, $p1)", 2);
        insert.Bind(1L, "a").ExecuteNonQuery();

        var error = Assert.Throws<SqliteException>(() => insert.Bind(1L, "b").ExecuteNonQuery());
        Assert.Equal(SQLitePCL.raw.SQLITE_CONSTRAINT, error.SqliteErrorCode);
        Assert.Contains("UNIQUE", error.Message);

        Assert.Equal(1, insert.Bind(2L, "b").ExecuteNonQuery());
    }

    [Fact]
    public void A_statement_without_the_parameters_it_is_given_is_refused_at_prepare()
    {
        var error = Assert.Throws<ArgumentException>(() => new PreparedStatement(_connection, "SELECT name FROM t WHERE id = $p0", 2));
        Assert.Contains("$p1", error.Message);
        Assert.Throws<SqliteException>(() => new PreparedStatement(_connection, "SELECT nope FROM t", 0));
    }

    public void Dispose() => _connection.Dispose();
}
