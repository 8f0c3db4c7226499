using BenchmarkDotNet.Attributes;
using Bridge.Connectors.Transport;

namespace Bridge.Benchmarks.Transport;

/// <summary>
/// One request's bookkeeping on a link, as every send to RTM, the protobuf IM, Glide and the Erlang
/// gateway does it: register the key, wait with the send timeout under a cancellable token, the
/// answer arrives, the wait completes. <c>InFlight</c> requests are already waiting meanwhile
/// (under load a link has hundreds).
/// </summary>
[MemoryDiagnoser]
public class PendingRequestsBenchmarks
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly CancellationTokenSource _batch = new();
    private PendingRequests<uint, int> _pending = null!;
    private uint _next;

    [Params(0, 500)]
    public int InFlight { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _pending = new PendingRequests<uint, int>();
        for (var i = 0; i < InFlight; i++)
        {
            var key = uint.MaxValue - (uint)i;
            _ = _pending.WaitAsync(key, _pending.Register(key, out _), Timeout, _batch.Token);
        }
    }

    [Benchmark]
    public async Task<int> RequestAnswered()
    {
        var key = _next++ % 1_000_000;
        var wait = _pending.WaitAsync(key, _pending.Register(key, out _), Timeout, _batch.Token);
        _pending.TryComplete(key, 1);
        return await wait.ConfigureAwait(false);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _pending.FailAll(new ConnectionLostException("benchmark over"));
        _batch.Dispose();
    }
}
