using Bridge.Connectors.Rtm;
using Bridge.Simulators.Rtm;

namespace Bridge.Host.Demo.Backends;

/// <summary>
/// RTM: room 1001 with the bridge account (uid 900001) and Rita (uid 123); Ravi (uid 55) gets the
/// demo's directed route as direct messages from the bridge account.
/// </summary>
public sealed class RtmDemoBackend(string name = "rtm") : IDemoBackend, IDirectDemoTarget
{
    private const long BridgeUid = 900001;
    private const long RitaUid = 123;
    private const long RoomId = 1001;
    private const long RaviUid = 55;
    private readonly RtmSimulator _sim = new();

    public string Name => name;

    public string Conversation => $"RTM room {RoomId} at {_sim.Url}";

    public string User => "Rita";

    public string UserId => RitaUid.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public string MirrorEndpoint => $"room/{RoomId}";

    public string ConnectorYaml => $"{{ type: rtm, endpoint: \"{_sim.Url}\", pid: {_sim.Options.Pid}, uid: {BridgeUid}, token: token-{BridgeUid} }}";

    public RtmSimulator Simulator => _sim;

    public string DirectEndpoint => $"user/{RaviUid}";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _sim.StartAsync(cancellationToken).ConfigureAwait(false);
        _sim.AddUser(BridgeUid, $"token-{BridgeUid}");
        _sim.AddUser(RitaUid, $"token-{RitaUid}");
        _sim.EnterRoom(RitaUid, RoomId);
        _sim.AddUser(RaviUid, $"token-{RaviUid}");
    }

    public async Task SendAsync(string text, CancellationToken cancellationToken)
    {
        var result = await _sim.SendAsync(RitaUid, RtmConversationType.Room, RoomId, text).ConfigureAwait(false);
        if (result.Message is null)
        {
            throw new InvalidOperationException($"the RTM simulator refused the send: {result.ErrorCode} {result.Error}");
        }
    }

    public IReadOnlyList<DemoArrival> Received() =>
        _sim.Received(RitaUid)
            .Where(r => r.Message.Type == RtmConversationType.Room && r.Message.Target == RoomId && r.Message.From != RitaUid)
            .Select(r => new DemoArrival(r.Message.Msg, DateTimeOffset.UtcNow))
            .ToList();

    public IReadOnlyList<DemoArrival> ReceivedDirect() =>
        _sim.Received(RaviUid)
            .Where(r => r.Message.Type == RtmConversationType.P2P && r.Message.From == BridgeUid)
            .Select(r => new DemoArrival(r.Message.Msg, DateTimeOffset.UtcNow))
            .ToList();

    public ValueTask DisposeAsync() => _sim.DisposeAsync();
}
