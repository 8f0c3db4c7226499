namespace Bridge.Benchmarks.Relay.Backends;

/// <summary>
/// One backend in a relay benchmark: an in-process simulator with the bridge account and one
/// simulated user in each of <c>rooms</c> conversations. The user can post into a room (the
/// source side), and every message the bridge account posts is reported through
/// <see cref="Arrived"/> the moment the simulator accepts it (the target side).
/// </summary>
public interface IBenchBackend : IAsyncDisposable
{
    /// <summary>The connector name in the benchmark's routing file.</summary>
    string Name { get; }

    /// <summary>Starts the simulator and provisions the accounts and conversations.</summary>
    Task StartAsync(int rooms, CancellationToken cancellationToken);

    /// <summary>The connector's settings as a YAML flow mapping.</summary>
    string ConnectorYaml { get; }

    /// <summary>The endpoint (<c>kind/id</c>) of conversation <paramref name="room"/>.</summary>
    string Endpoint(int room);

    /// <summary>The simulated user posts <paramref name="text"/> into conversation <paramref name="room"/>.</summary>
    ValueTask SendAsync(int room, string text);

    /// <summary>Pushes to the bridge the simulator dropped so far (a full per-connection buffer; protobuf-IM).</summary>
    long DroppedPushes => 0;

    /// <summary>Told the text (or raw payload) of every message the bridge account posts.</summary>
    ArrivalSink? Arrived { get; set; }
}
