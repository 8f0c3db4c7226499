using System.Net;

namespace Bridge.Simulators.Rtm;

/// <summary><c>dotnet run --project Bridge.Simulators -- rtm --port N</c>: a gate with uids 900001..900010 (token <c>token-&lt;uid&gt;</c>).</summary>
public sealed class RtmStandaloneSimulator(int port, IPAddress address) : IStandaloneSimulator
{
    private readonly RtmSimulator _simulator = new(port: port, address: address);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        for (long uid = 900001; uid <= 900010; uid++)
        {
            _simulator.AddUser(uid, $"token-{uid}");
        }

        await _simulator.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    public string Describe() => $"rtm gate and dispatch on {_simulator.Url} (pid {_simulator.Options.Pid}; uids 900001..900010, token token-<uid>)";

    public ValueTask DisposeAsync() => _simulator.DisposeAsync();
}
