using Bridge.Connectors.Xnest;
using Bridge.Simulators.Xnest;

namespace Bridge.Host.Demo.Backends;

/// <summary>xnest: the room f45c6d7720375d90 with the simulated member "Xena".</summary>
public sealed class XnestDemoBackend(string name = "xnest") : IDemoBackend
{
    private const string RoomId = "f45c6d7720375d90";
    private readonly XnestSimulator _sim = new();
    private XnestSimMember? _member;

    public string Name => name;

    public string Conversation => $"xnest room {RoomId} at {_sim.BaseUrl}";

    public string User => "Xena";

    public string UserId => _member?.Pid ?? "xena";

    public string MirrorEndpoint => $"room/{RoomId}";

    public string ConnectorYaml => $"{{ type: xnest, url: \"{_sim.BaseUrl}\", nickname: bridge }}";

    public XnestSimulator Simulator => _sim;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _sim.StartAsync(cancellationToken).ConfigureAwait(false);
        _sim.CreateRoom(RoomId);
        _member = _sim.AddMember(RoomId, User);
    }

    public Task SendAsync(string text, CancellationToken cancellationToken)
    {
        _member!.Send(text);
        return Task.CompletedTask;
    }

    public IReadOnlyList<DemoArrival> Received() =>
        (_member?.Received ?? [])
            .Where(f => f.Type == XnestFrameType.Normal && f.From != _member!.Pid && f.Text is not null)
            .Select(f => new DemoArrival(f.Text!, DateTimeOffset.UtcNow))
            .ToList();

    public ValueTask DisposeAsync() => _sim.DisposeAsync();
}
