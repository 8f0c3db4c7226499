using System.Text;
using System.Text.Json;
using Bridge.Connectors.ErlangGateway;
using Bridge.Simulators.ErlangGateway;

namespace Bridge.Host.Demo.Backends;

/// <summary>Erlang gateway: group 7 with the bridge account (uid 900001) and Erin (uid 1234), vendor JSON payloads.</summary>
public sealed class ErlangDemoBackend(string name = "erl") : IDemoBackend
{
    private const uint BridgeUid = 900001;
    private const uint ErinUid = 1234;
    private const uint GroupId = 7;
    private readonly ErlangGatewaySimulator _sim = new();

    public string Name => name;

    public string Conversation => $"Erlang gateway group {GroupId} at {_sim.WebSocketUrl}";

    public string User => "Erin";

    public string UserId => ErinUid.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public string MirrorEndpoint => $"group/{GroupId}";

    public string ConnectorYaml =>
        $"{{ type: erlang-gateway, url: \"{_sim.WebSocketUrl}\", username: bridge, password: bridge-pass, payload: xywy-json, selfId: \"{BridgeUid}\" }}";

    public ErlangGatewaySimulator Simulator => _sim;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _sim.StartAsync(cancellationToken).ConfigureAwait(false);
        _sim.AddUser("bridge", "bridge-pass", BridgeUid);
        _sim.AddUser("erin", "erin-pass", ErinUid);
        _sim.AddGroupMembers(GroupId, BridgeUid, ErinUid);
    }

    public Task SendAsync(string text, CancellationToken cancellationToken) =>
        _sim.SendToGroupAsync(ErinUid, GroupId, Encoding.UTF8.GetString(ErlangPayload.Envelope(UserId, GroupId.ToString(System.Globalization.CultureInfo.InvariantCulture), text)));

    public IReadOnlyList<DemoArrival> Received() =>
        _sim.ReceivedBy(ErinUid)
            .Select(d => Content(d.Text))
            .Where(c => c.From != UserId)
            .Select(c => new DemoArrival(c.Text, DateTimeOffset.UtcNow))
            .ToList();

    private static (string? From, string Text) Content(string payload)
    {
        try
        {
            using var doc = JsonDocument.Parse(payload);
            var root = doc.RootElement;
            var from = root.TryGetProperty("from", out var f) ? f.ToString() : null;
            var content = root.TryGetProperty("content", out var c) ? (c.ValueKind == JsonValueKind.String ? c.GetString() : c.ToString()) : payload;
            return (from, content ?? string.Empty);
        }
        catch (JsonException)
        {
            return (null, payload);
        }
    }

    public ValueTask DisposeAsync() => _sim.DisposeAsync();
}
