using System.Text.Json;
using Bridge.Connectors.Glide;
using Bridge.Simulators.Glide;

namespace Bridge.Host.Demo.Backends;

/// <summary>Glide: the bridge account 900 and user 1001 ("Gina") in the channel the_world_channel.</summary>
public sealed class GlideDemoBackend(string name = "glide") : IDemoBackend
{
    private const string BridgeUid = "900";
    private const string Channel = "the_world_channel";
    private readonly GlideSimulator _sim = new(new GlideSimulatorOptions { SendQueueCapacity = 100_000, UniqueMids = true });

    public string Name => name;

    public string Conversation => $"Glide channel {Channel} at {_sim.WebSocketUrl}";

    public string User => "Gina";

    public string UserId => "1001";

    public string MirrorEndpoint => $"group/{Channel}";

    public string ConnectorYaml => $"{{ type: glide, url: \"{_sim.WebSocketUrl}\", uid: \"{BridgeUid}\", gatewaySecret: \"{_sim.Options.Secret}\" }}";

    public GlideSimulator Simulator => _sim;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _sim.StartAsync(cancellationToken).ConfigureAwait(false);
        _sim.CreateChannel(Channel);
        _sim.CreateUser(UserId);
        _sim.CreateUser(BridgeUid, online: false);
        _sim.Subscribe(Channel, UserId);
        _sim.Subscribe(Channel, BridgeUid);
    }

    public Task SendAsync(string text, CancellationToken cancellationToken)
    {
        _sim.SendGroup(UserId, Channel, text);
        return Task.CompletedTask;
    }

    public IReadOnlyList<DemoArrival> Received() =>
        _sim.Received(UserId, GlideActions.Group)
            .Where(r => r.From != UserId && r.Data is not null)
            .Select(r => new DemoArrival(Content(r.Data!), DateTimeOffset.UtcNow))
            .ToList();

    private static string Content(string data)
    {
        using var doc = JsonDocument.Parse(data);
        return doc.RootElement.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() ?? string.Empty : data;
    }

    public ValueTask DisposeAsync() => _sim.DisposeAsync();
}
