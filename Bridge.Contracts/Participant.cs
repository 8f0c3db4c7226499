namespace Bridge.Contracts.V1;

/// <summary>A user on one backend, with the display name the backend showed (if any).</summary>
public sealed record Participant(string Connector, string NativeUserId, string? DisplayName = null)
{
    /// <summary>The display name, or the native id when the backend gave no name.</summary>
    public string Name => string.IsNullOrEmpty(DisplayName) ? NativeUserId : DisplayName;
}
