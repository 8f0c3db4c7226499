using System.Globalization;
using Bridge.Simulators.Xnest;

namespace Bridge.Benchmarks.Relay.Backends;

/// <summary>xnest: rooms named by 16 hex digits, each with the simulated member "Xena"; the bridge joins each room with its own socket.</summary>
public sealed class XnestBenchBackend(string name) : IBenchBackend
{
    private readonly XnestSimulator _sim = new(new XnestSimulatorOptions { RecordLimit = 16 });
    private readonly List<XnestSimMember> _members = [];
    private readonly HashSet<string> _memberPids = new(StringComparer.Ordinal);

    public string Name => name;

    public ArrivalSink? Arrived { get; set; }

    public string ConnectorYaml => $"{{ type: xnest, url: \"{_sim.BaseUrl}\", nickname: bridge }}";

    public string Endpoint(int room) => $"room/{Room(room)}";

    public async Task StartAsync(int rooms, CancellationToken cancellationToken)
    {
        await _sim.StartAsync(cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < rooms; i++)
        {
            _sim.CreateRoom(Room(i), storeHistory: false);
            var member = _sim.AddMember(Room(i), "Xena");
            _members.Add(member);
            _memberPids.Add(member.Pid);
        }

        _sim.TextPosted += t =>
        {
            if (!_memberPids.Contains(t.Pid))
            {
                Arrived?.Text(t.Text);
            }
        };
    }

    public ValueTask SendAsync(int room, string text)
    {
        _members[room].Send(text);
        return ValueTask.CompletedTask;
    }

    private static string Room(int room) => (0xb000_0000_0000_0000UL + (ulong)room).ToString("x16", CultureInfo.InvariantCulture);

    public ValueTask DisposeAsync() => _sim.DisposeAsync();
}
