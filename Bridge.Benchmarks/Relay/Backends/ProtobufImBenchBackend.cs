using Bridge.Simulators.ProtobufIm;

namespace Bridge.Benchmarks.Relay.Backends;

/// <summary>protobuf-IM: the v1 server pushes only direct messages, so conversation i is the direct chat between the bridge account and user u_i.</summary>
public sealed class ProtobufImBenchBackend(string name) : IBenchBackend
{
    private const string BridgeUser = "bridge";
    /// <summary>
    /// The messages table keeps 64 MB of content: a 60 KB run would otherwise hold every payload
    /// (1.2 GB and more), and the harness's collections and fresh pages took CPU from the bridge.
    /// </summary>
    private readonly ProtobufImSimulator _sim = new(new ProtobufImSimulatorOptions { MaxStoredContentBytes = 64L << 20 });

    public string Name => name;

    public ArrivalSink? Arrived { get; set; }

    /// <summary>
    /// The v1 server buffers 256 frames per connection and drops the rest; at saturation the
    /// connector falls behind and the simulator drops pushes, which the connector's live fills
    /// fetch back through SYNC (the lost column shows whether all came back).
    /// </summary>
    public long DroppedPushes => _sim.DroppedFrames;

    public string ConnectorYaml => $"{{ type: protobuf-im, url: \"{_sim.Url}\", userId: {BridgeUser}, token: {_sim.CreateUser(BridgeUser)} }}";

    public string Endpoint(int room) => $"user/{User(room)}";

    public async Task StartAsync(int rooms, CancellationToken cancellationToken)
    {
        await _sim.StartAsync(cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < rooms; i++)
        {
            _sim.CreateUser(User(i));
        }

        _sim.Stored += m =>
        {
            if (m.SenderId == BridgeUser)
            {
                Arrived?.Utf8(m.Content.Span);
            }
        };
    }

    public ValueTask SendAsync(int room, string text)
    {
        _sim.SendDirect(User(room), BridgeUser, text);
        return ValueTask.CompletedTask;
    }

    private static string User(int room) => $"u{room}";

    public ValueTask DisposeAsync() => _sim.DisposeAsync();
}
