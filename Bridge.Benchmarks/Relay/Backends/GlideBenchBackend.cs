using Bridge.Simulators.Glide;

namespace Bridge.Benchmarks.Relay.Backends;

/// <summary>Glide: channels bench_i with the bridge account 900 and the user 1001 ("Gina").</summary>
public sealed class GlideBenchBackend(string name) : IBenchBackend
{
    private const string BridgeUid = "900";
    private const string UserId = "1001";
    private readonly GlideSimulator _sim = new(new GlideSimulatorOptions { SendQueueCapacity = 1_000_000, UniqueMids = true });

    public string Name => name;

    public ArrivalSink? Arrived { get; set; }

    public string ConnectorYaml => $"{{ type: glide, url: \"{_sim.WebSocketUrl}\", uid: \"{BridgeUid}\", gatewaySecret: \"{_sim.Options.Secret}\" }}";

    public string Endpoint(int room) => $"group/{Channel(room)}";

    public async Task StartAsync(int rooms, CancellationToken cancellationToken)
    {
        await _sim.StartAsync(cancellationToken).ConfigureAwait(false);
        _sim.CreateUser(UserId);
        _sim.CreateUser(BridgeUid, online: false);
        for (var i = 0; i < rooms; i++)
        {
            _sim.CreateChannel(Channel(i));
            _sim.Subscribe(Channel(i), UserId);
            _sim.Subscribe(Channel(i), BridgeUid);
        }

        _sim.GroupMessageAccepted += m =>
        {
            if (m.From == BridgeUid)
            {
                Arrived?.Text(m.Message.Content ?? string.Empty);
            }
        };
    }

    public ValueTask SendAsync(int room, string text)
    {
        _sim.SendGroup(UserId, Channel(room), text);
        return ValueTask.CompletedTask;
    }

    private static string Channel(int room) => $"bench_{room}";

    public ValueTask DisposeAsync() => _sim.DisposeAsync();
}
