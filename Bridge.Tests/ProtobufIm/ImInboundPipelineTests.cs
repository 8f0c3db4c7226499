using System.Collections.Concurrent;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.ProtobufIm;
using Bridge.Contracts.V1;
using Bridge.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bridge.Tests.ProtobufIm;

/// <summary>
/// The catch-up cursor moves only past messages that became durable in the order they were handed
/// over. Sink calls run concurrently and finish in any order; a sender's later seq counted as
/// handled while an earlier one failed made the reconnect's catch-up skip the earlier one (one
/// message lost in a RandomDropTests run).
/// </summary>
public sealed class ImInboundPipelineTests
{
    [Fact]
    public async Task A_later_message_durable_before_an_earlier_one_failed_does_not_move_the_cursor()
    {
        var rig = await PipelineRig.WithHandedOverAsync(3);

        rig.Sink.Complete(1);
        await Task.Delay(50);
        Assert.Empty(rig.Durable);

        rig.Sink.Fail(0);
        rig.Sink.Complete(2);
        await rig.Pipeline.WhenIdleAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));

        Assert.True(rig.Pipeline.SinkFailed);
        Assert.Empty(rig.Durable);
    }

    [Fact]
    public async Task Messages_durable_out_of_order_move_the_cursor_once_the_earlier_ones_are_in()
    {
        var rig = await PipelineRig.WithHandedOverAsync(3);

        rig.Sink.Complete(2);
        rig.Sink.Complete(1);
        await Task.Delay(50);
        Assert.Empty(rig.Durable);

        rig.Sink.Complete(0);
        await rig.Pipeline.WhenIdleAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));

        Assert.False(rig.Pipeline.SinkFailed);
        Assert.Equal([1L, 2L, 3L], rig.Durable.Select(d => d.Seq).Order());
        Assert.All(rig.Durable, d => Assert.Equal("paula", d.Sender));
    }

    private static ImPush Push(long seq) =>
        new(ImWireId.From($"m{seq}"), ImWireId.From($"c{seq}"), "paula:bridge", "paula", "bridge", string.Empty, 1, ImContent.From(System.Text.Encoding.UTF8.GetBytes($"text {seq}")), 1_700_000_000_000 + seq, 1_700_000_000_000 + seq, seq, null);

    private sealed class PipelineRig
    {
        private PipelineRig()
        {
            var link = new ImLink(new SilentFrameConnection(), "pbim", TimeProvider.System);
            Pipeline = new ImInboundPipeline("pbim", "bridge", Sink, new RecentSet<ImWireId>(100), link, maxInFlight: 8, TimeProvider.System,
                NullLogger.Instance, _ => { }, (sender, seq) => Durable.Add((sender, seq)));
        }

        public ControlledSink Sink { get; } = new();

        public ConcurrentBag<(string Sender, long Seq)> Durable { get; } = [];

        public ImInboundPipeline Pipeline { get; }

        /// <summary>A pipeline with pushes of seq 1..<paramref name="count"/> handed over, their sink calls still open.</summary>
        public static async Task<PipelineRig> WithHandedOverAsync(int count)
        {
            var rig = new PipelineRig();
            for (var seq = 1; seq <= count; seq++)
            {
                await rig.Pipeline.HandOverAsync(Push(seq), acknowledge: false, CancellationToken.None);
            }

            return rig;
        }
    }

    /// <summary>A sink whose calls finish when the test says so, by call index.</summary>
    private sealed class ControlledSink : IInboundSink
    {
        private readonly List<TaskCompletionSource<IngestOutcome>> _calls = [];

        public void Complete(int index) => _calls[index].SetResult(IngestOutcome.Accepted);

        public void Fail(int index) => _calls[index].SetException(new OperationCanceledException("the session ended"));

        public Task<IngestOutcome> PostedAsync(MessagePosted message, CancellationToken cancellationToken)
        {
            var call = new TaskCompletionSource<IngestOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
            _calls.Add(call);
            return call.Task;
        }

        public Task<IngestOutcome> EditedAsync(MessageEdited message, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IngestOutcome> DeletedAsync(MessageDeleted message, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IngestOutcome> MembershipAsync(MembershipChanged change, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
