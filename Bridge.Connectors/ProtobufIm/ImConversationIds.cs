namespace Bridge.Connectors.ProtobufIm;

/// <summary>
/// The clients' conversation id convention (SwiftIM <c>generateConversationID</c>):
/// <c>single_&lt;min&gt;_&lt;max&gt;</c> of the two user ids in byte-wise (ordinal) order, and
/// <c>group_&lt;groupId&gt;</c>. The v1 server stores the value verbatim and never checks it.
/// </summary>
public static class ImConversationIds
{
    public const string SinglePrefix = "single_";
    public const string GroupPrefix = "group_";

    public static string Single(string a, string b) =>
        string.CompareOrdinal(a, b) <= 0 ? $"{SinglePrefix}{a}_{b}" : $"{SinglePrefix}{b}_{a}";

    public static string Group(string groupId) => GroupPrefix + groupId;

    /// <summary>The other participant of a direct conversation with <paramref name="self"/>, if the id is one.</summary>
    public static string? OtherParty(string conversationId, string self)
    {
        if (!conversationId.StartsWith(SinglePrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var pair = conversationId.AsSpan(SinglePrefix.Length);
        if (pair.StartsWith(self + "_", StringComparison.Ordinal) && pair.Length > self.Length + 1)
        {
            return pair[(self.Length + 1)..].ToString();
        }

        if (pair.EndsWith("_" + self, StringComparison.Ordinal) && pair.Length > self.Length + 1)
        {
            return pair[..^(self.Length + 1)].ToString();
        }

        return null;
    }
}
