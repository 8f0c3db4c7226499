using Bridge.Contracts.V1;
using Bridge.Host.Configuration;

namespace Bridge.Host.Routing;

/// <summary>The <c>users:</c> section: one person's ids across backends and their display name.</summary>
public sealed class UserDirectory
{
    private readonly Dictionary<(string Connector, string Id), UserIdentity> _byNative = [];

    public UserDirectory(IEnumerable<UserIdentity> users)
    {
        foreach (var user in users)
        {
            foreach (var (connector, id) in user.Ids)
            {
                _byNative[(connector, id)] = user;
            }
        }
    }

    public UserIdentity? Find(Participant participant) =>
        _byNative.GetValueOrDefault((participant.Connector, participant.NativeUserId));

    /// <summary>The configured name of the person, else the name the backend showed.</summary>
    public string DisplayName(Participant participant) => Find(participant)?.Name is { Length: > 0 } name ? name : participant.Name;

    /// <summary>The same person's id on another connector, if the users section knows it.</summary>
    public string? IdOn(Participant participant, string connector) => Find(participant)?.Ids.GetValueOrDefault(connector);
}
