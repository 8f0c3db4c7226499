using Bridge.Simulators.ProtobufIm;

namespace Bridge.Host.Demo.Backends;

/// <summary>
/// protobuf-IM: the v1 server pushes only direct messages, so the mirrored conversation is the
/// direct chat between the bridge account and the user paula. Sam writes to the bridge in a
/// second direct chat, the start of the demo's directed route.
/// </summary>
public sealed class ProtobufImDemoBackend(string name = "pbim") : IDemoBackend, IDirectDemoSource
{
    private const string BridgeUser = "bridge";
    private readonly ProtobufImSimulator _sim = new();

    public string Name => name;

    public string Conversation => $"protobuf-IM direct chat bridge <-> paula at {_sim.Url}";

    public string User => "Paula";

    public string UserId => "paula";

    public string MirrorEndpoint => $"user/{UserId}";

    public string ConnectorYaml => $"{{ type: protobuf-im, url: \"{_sim.Url}\", userId: {BridgeUser}, token: {_sim.CreateUser(BridgeUser)} }}";

    public ProtobufImSimulator Simulator => _sim;

    public string DirectUser => "Sam";

    public string DirectUserId => "sam";

    public string DirectEndpoint => $"user/{DirectUserId}";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _sim.StartAsync(cancellationToken).ConfigureAwait(false);
        _sim.CreateUser(UserId);
        _sim.CreateUser(DirectUserId);
    }

    public Task SendAsync(string text, CancellationToken cancellationToken)
    {
        _sim.SendDirect(UserId, BridgeUser, text);
        return Task.CompletedTask;
    }

    public Task SendDirectAsync(string text, CancellationToken cancellationToken)
    {
        _sim.SendDirect(DirectUserId, BridgeUser, text);
        return Task.CompletedTask;
    }

    public IReadOnlyList<DemoArrival> Received() =>
        _sim.Inbox(UserId)
            .Where(m => m.SenderId == BridgeUser)
            .Select(m => new DemoArrival(m.Content.ToStringUtf8(), DateTimeOffset.UtcNow))
            .ToList();

    public ValueTask DisposeAsync() => _sim.DisposeAsync();
}
