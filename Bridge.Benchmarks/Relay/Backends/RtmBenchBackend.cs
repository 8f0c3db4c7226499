using Bridge.Connectors.Rtm;
using Bridge.Simulators.Rtm;

namespace Bridge.Benchmarks.Relay.Backends;

/// <summary>RTM: rooms 5000+i with the bridge account (uid 900001) and Rita (uid 123).</summary>
public sealed class RtmBenchBackend(string name) : IBenchBackend
{
    private const long BridgeUid = 900001;
    private const long RitaUid = 123;
    private const long FirstRoom = 5000;
    private readonly RtmSimulator _sim = new();

    public string Name => name;

    public ArrivalSink? Arrived { get; set; }

    public string ConnectorYaml => $"{{ type: rtm, endpoint: \"{_sim.Url}\", pid: {_sim.Options.Pid}, uid: {BridgeUid}, token: token-{BridgeUid} }}";

    public string Endpoint(int room) => $"room/{FirstRoom + room}";

    public async Task StartAsync(int rooms, CancellationToken cancellationToken)
    {
        await _sim.StartAsync(cancellationToken).ConfigureAwait(false);
        _sim.AddUser(BridgeUid, $"token-{BridgeUid}");
        _sim.AddUser(RitaUid, $"token-{RitaUid}");
        for (var i = 0; i < rooms; i++)
        {
            _sim.EnterRoom(RitaUid, FirstRoom + i);
        }

        _sim.Stored += m =>
        {
            if (m.From == BridgeUid)
            {
                Arrived?.Text(m.Msg);
            }
        };
    }

    public async ValueTask SendAsync(int room, string text)
    {
        var result = await _sim.SendAsync(RitaUid, RtmConversationType.Room, FirstRoom + room, text).ConfigureAwait(false);
        if (result.Message is null)
        {
            throw new InvalidOperationException($"the RTM simulator refused the send: {result.ErrorCode} {result.Error}");
        }
    }

    public ValueTask DisposeAsync() => _sim.DisposeAsync();
}
