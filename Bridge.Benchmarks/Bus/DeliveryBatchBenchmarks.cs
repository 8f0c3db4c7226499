using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using BenchmarkDotNet.Attributes;
using Bridge.Benchmarks.Codecs;
using Bridge.Contracts.V1;
using Bridge.Host.Bus.Serialization;
using MassTransit.Context;

namespace Bridge.Benchmarks.Bus;

/// <summary>
/// A delivery batch as the router writes it and the delivery consumer reads it: 100 instructions
/// for 100 conversations of one target, each a 100-character post. <c>Write</c> and <c>Read</c> are
/// the bridge's serializer; the <c>GeneratedMetadata</c> pair is the same JSON through the
/// source-generated metadata alone, without the instruction's own converter
/// (<see cref="DeliverMessageJsonConverter"/>), which is what the bridge used before it.
/// </summary>
[MemoryDiagnoser]
public class DeliveryBatchBenchmarks
{
    private DeliveryBatch _batch = null!;
    private byte[] _body = [];
    private JsonTypeInfo<DeliveryBatch> _generated = null!;

    [GlobalSetup]
    public void Setup()
    {
        var source = new EndpointRef("erl", EndpointKind.Room, "room-0001");
        var sender = new Participant("erl", "user-42", "Alice");
        var at = new DateTimeOffset(2026, 12, 6, 21, 0, 0, TimeSpan.Zero);
        _batch = new DeliveryBatch([.. Enumerable.Range(0, 100).Select(i =>
        {
            var eventId = Guid.NewGuid();
            var target = new EndpointRef("rtm", EndpointKind.Room, $"{1000 + i}");
            return new DeliverMessage(eventId, "fan-out", source, target, DeliveryAction.Post, sender,
                MessageBody.FromText(CodecBenchmark.SampleText(100)), EventIds.IdempotencyKey(eventId, DeliveryAction.Post, target), at, at.AddMilliseconds(3),
                TraceParent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        })]);
        _body = Write();

        var options = new JsonSerializerOptions(BatchJson.Options);
        var own = options.Converters.Single(c => c is DeliverMessageJsonConverter);
        options.Converters.Remove(own);
        _generated = (JsonTypeInfo<DeliveryBatch>)options.GetTypeInfo(typeof(DeliveryBatch));
        if (!WriteGeneratedMetadata().AsSpan().SequenceEqual(_body) || ReadGeneratedMetadata()!.Deliveries[7].EventId != Read()!.Deliveries[7].EventId)
        {
            throw new InvalidOperationException("the two ways disagree: they would not measure the same work");
        }
    }

    [Benchmark]
    public byte[] Write() => BatchSerialization.Delivery.GetMessageBody(new MessageSendContext<DeliveryBatch>(_batch, CancellationToken.None)).GetBytes();

    [Benchmark]
    public DeliveryBatch? Read() => JsonSerializer.Deserialize(_body, BatchJson.TypeInfo<DeliveryBatch>());

    [Benchmark]
    public byte[] WriteGeneratedMetadata() => JsonSerializer.SerializeToUtf8Bytes(_batch, _generated);

    [Benchmark]
    public DeliveryBatch? ReadGeneratedMetadata() => JsonSerializer.Deserialize(_body, _generated);
}
