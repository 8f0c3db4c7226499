namespace Bridge.Host.Store;

/// <summary>
/// A value for one parameter of a <see cref="PreparedStatement"/>: an integer, a text, a blob, an
/// event id (bound as its 16 bytes, big-endian) or null. A struct, so that binding a row's values
/// boxes none of them and builds no array for its id.
/// </summary>
internal readonly struct SqlValue
{
    private readonly object? _reference;
    private readonly long _integer;
    private readonly Guid _id;

    private SqlValue(SqlValueKind kind, long integer = 0, object? reference = null, Guid id = default)
    {
        Kind = kind;
        _integer = integer;
        _reference = reference;
        _id = id;
    }

    public SqlValueKind Kind { get; }

    public long Integer => _integer;

    public string Text => (string)_reference!;

    public byte[] Blob => (byte[])_reference!;

    public Guid Id => _id;

    public static SqlValue Null => default;

    /// <summary>An event id as the key column stores it: its 16 bytes, big-endian (so keys sort as the ids do).</summary>
    public static SqlValue EventKey(Guid id) => new(SqlValueKind.Id, id: id);

    public static implicit operator SqlValue(long value) => new(SqlValueKind.Integer, value);

    public static implicit operator SqlValue(int value) => new(SqlValueKind.Integer, value);

    public static implicit operator SqlValue(string? value) => value is null ? Null : new(SqlValueKind.Text, reference: value);

    public static implicit operator SqlValue(byte[]? value) => value is null ? Null : new(SqlValueKind.Blob, reference: value);
}

internal enum SqlValueKind
{
    Null,
    Integer,
    Text,
    Blob,
    Id,
}
