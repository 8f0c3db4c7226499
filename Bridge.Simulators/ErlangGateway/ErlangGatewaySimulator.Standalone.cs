using System.Net;

namespace Bridge.Simulators.ErlangGateway;

public sealed partial class ErlangGatewaySimulator
{
    /// <summary>
    /// The standalone simulator (<c>-- erlang-gateway --port 9095</c>): the TCP interface listens on
    /// the port + 10000 (9095 → 19095, like the real server), or a free port when the port is 0.
    /// Seeded with a bridge account and two users in group 7 for the demo.
    /// </summary>
    public static IStandaloneSimulator Standalone(int port, IPAddress address)
    {
        var simulator = new ErlangGatewaySimulator(
            new ErlangGatewaySimulatorOptions { Port = port, TcpPort = port == 0 ? 0 : port + 10000 },
            address);
        simulator.AddUser("bridge", "bridge", 1000);
        simulator.AddUser("alice", "alice", 1001);
        simulator.AddUser("bob", "bob", 1002);
        simulator.AddGroupMembers(7, 1000, 1001, 1002);
        return simulator;
    }
}
