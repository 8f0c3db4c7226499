using System.Globalization;
using System.Text;
using Bridge.Connectors.ErlangGateway;
using Bridge.Simulators.ErlangGateway;

namespace Bridge.Benchmarks.Relay.Backends;

/// <summary>Erlang gateway: groups 1000+i with the bridge account and the user Erin, vendor JSON payloads.</summary>
public sealed class ErlangBenchBackend(string name) : IBenchBackend
{
    private const uint BridgeUid = 900001;
    private const uint ErinUid = 1234;
    private const uint FirstGroup = 1000;
    /// <summary>The simulator keeps the last 1,000 deliveries and acknowledgements per user for inspection, not all of them (see <see cref="ProtobufImBenchBackend"/>).</summary>
    private readonly ErlangGatewaySimulator _sim = new(new ErlangGatewaySimulatorOptions { MaxRecordedPerUser = 1000 });

    public string Name => name;

    public ArrivalSink? Arrived { get; set; }

    public string ConnectorYaml =>
        $"{{ type: erlang-gateway, url: \"{_sim.WebSocketUrl}\", username: bridge, password: bridge-pass, payload: xywy-json, selfId: \"{BridgeUid}\" }}";

    public string Endpoint(int room) => $"group/{FirstGroup + (uint)room}";

    public async Task StartAsync(int rooms, CancellationToken cancellationToken)
    {
        await _sim.StartAsync(cancellationToken).ConfigureAwait(false);
        _sim.AddUser("bridge", "bridge-pass", BridgeUid);
        _sim.AddUser("erin", "erin-pass", ErinUid);
        for (var i = 0; i < rooms; i++)
        {
            _sim.AddGroupMembers(FirstGroup + (uint)i, BridgeUid, ErinUid);
        }

        _sim.Routed += push =>
        {
            if (push.FromUid == BridgeUid)
            {
                Arrived?.Utf8(push.Payload);
            }
        };
    }

    public async ValueTask SendAsync(int room, string text)
    {
        var group = FirstGroup + (uint)room;
        var payload = ErlangPayload.Envelope(ErinUid.ToString(CultureInfo.InvariantCulture), group.ToString(CultureInfo.InvariantCulture), text);
        await _sim.SendToGroupAsync(ErinUid, group, payload).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _sim.DisposeAsync();
}
