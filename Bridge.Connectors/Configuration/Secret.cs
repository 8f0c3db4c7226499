namespace Bridge.Connectors.Configuration;

/// <summary>
/// A credential from the configuration. It never prints: <see cref="ToString"/> is a fixed mask, so
/// an options record that holds one can be logged or thrown in an exception message safely.
/// </summary>
public sealed class Secret(string value) : IEquatable<Secret>
{
    private const string Mask = "***";

    /// <summary>The actual value, for the one place that puts it on the wire.</summary>
    public string Reveal() => value;

    public bool IsEmpty => value.Length == 0;

    public override string ToString() => Mask;

    public bool Equals(Secret? other) => other is not null && string.Equals(value, other.Reveal(), StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as Secret);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(value);
}
