using System.Runtime.InteropServices;
using System.Text;
using Bridge.Contracts.V1;
using Bridge.Host.Bus.Serialization;
using MassTransit.Context;
using MassTransit.Serialization;

namespace Bridge.Tests.Host;

/// <summary>
/// Batch bodies in pooled storage: a sent body is padded to its pool size class and still reads
/// back equal; its array is used again only once given back; a received batch's texts point into
/// its leased copy, and a returned lease is overwritten so that a text read too late is never
/// another message's.
/// </summary>
public class PooledBatchBodyTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 7, 9, 0, 0, TimeSpan.Zero);
    private static readonly EndpointRef Room = new("alpha", EndpointKind.Room, "lobby");

    private static RouteBatch Batch(params string[] texts) => new(texts.Select(text =>
        new InboundEvent(Posted: new MessagePosted(Guid.NewGuid(), Room, new Participant("alpha", "u1", "Alice"), MessageBody.FromText(text), "n-" + text.Length, At, At))).ToArray());

    private static string Text(int bytes, char fill) => new(fill, bytes);

    [Theory]
    [InlineData(0)]
    [InlineData(4095)]
    [InlineData(4096)]
    [InlineData(4097)]
    [InlineData(61_500)]
    [InlineData(65_535)]
    [InlineData(65_536)]
    [InlineData(1_800_000)]
    [InlineData(BatchBodyPool.MaxPooled)]
    [InlineData(BatchBodyPool.MaxPooled + 1)]
    public void A_size_class_holds_the_body_wastes_at_most_a_sixteenth_and_is_its_own_class(int length)
    {
        var size = BatchBodyPool.ClassSize(length);
        Assert.InRange(size, length, length + (length / 16));
        Assert.Equal(size, BatchBodyPool.ClassSize(size));
        if (length < BatchBodyPool.MinPooled || length > BatchBodyPool.MaxPooled)
        {
            Assert.Equal(length, size);
        }
    }

    [Fact]
    public void A_large_body_is_padded_with_spaces_to_its_class_reads_back_equal_and_its_array_serves_again_once_recycled()
    {
        var batch = Batch(Text(3_000_000, 'a'), "short");
        var body = BodyOf(batch);
        var bytes = body.GetBytes();
        var json = bytes.AsSpan().TrimEnd((byte)' ');
        Assert.Equal(BatchBodyPool.ClassSize(json.Length), bytes.Length);
        Assert.True(bytes.Length > json.Length, "a 3 MB body is not a class size by chance");
        Assert.Same(bytes, body.GetBytes());

        var message = ReadBack(bytes);
        Assert.Equal(batch.Events.Select(e => e.Posted!.Body.Text), message.Events.Select(e => e.Posted!.Body.Text));

        body.Recycle();
        var again = BodyOf(Batch(Text(3_000_000, 'b'), "short"));
        Assert.Same(bytes, again.GetBytes());
        Assert.Equal((byte)'b', bytes[json.IndexOf("bbb"u8)]);
        again.Recycle();
    }

    [Fact]
    public void A_body_that_is_not_recycled_keeps_its_array()
    {
        var bytes = BodyOf(Batch(Text(2_500_000, 'c'))).GetBytes();
        var other = BodyOf(Batch(Text(2_500_000, 'd')));
        Assert.NotSame(bytes, other.GetBytes());
        Assert.Contains("ccc", Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
    }

    [Fact]
    public void Texts_read_under_a_lease_point_into_its_copy_and_a_returned_lease_is_overwritten()
    {
        var batch = Batch(Text(70_000, 'x'), "two", "with \"quotes\"\n");
        var json = BodyOf(batch).GetBytes();

        var message = ReceivedBatchLease.Read(json, ReadBack, out var lease);
        var bodies = message.Events.Select(e => e.Posted!.Body).ToArray();
        Assert.Equal(batch.Events.Select(e => e.Posted!.Body.Text), bodies.Select(b => Encoding.UTF8.GetString(Utf8(b).Span)));

        // The two plain texts share one array, the leased copy (not the body that was read); the
        // escaped one could not be sliced and has an array of its own.
        Assert.True(MemoryMarshal.TryGetArray(Utf8(bodies[0]), out var first));
        Assert.True(MemoryMarshal.TryGetArray(Utf8(bodies[1]), out var second));
        Assert.True(MemoryMarshal.TryGetArray(Utf8(bodies[2]), out var escaped));
        Assert.Same(first.Array, second.Array);
        Assert.NotSame(json, first.Array);
        Assert.NotSame(first.Array, escaped.Array);

        lease.Return();
        Assert.All(Utf8(bodies[0]).ToArray(), b => Assert.Equal(ReceivedBatchLease.Poison, b));
        Assert.Equal("with \"quotes\"\n", Encoding.UTF8.GetString(Utf8(bodies[2]).Span));
        lease.Return();
    }

    [Fact]
    public void Without_a_lease_each_text_is_a_copy_of_its_own()
    {
        var batch = Batch(Text(70_000, 'y'), "two");
        var message = ReadBack(BodyOf(batch).GetBytes());
        Assert.True(MemoryMarshal.TryGetArray(Utf8(message.Events[0].Posted!.Body), out var first));
        Assert.True(MemoryMarshal.TryGetArray(Utf8(message.Events[1].Posted!.Body), out var second));
        Assert.NotSame(first.Array, second.Array);
        Assert.Equal(70_000, first.Count);
    }

    [Fact]
    public void A_detached_body_owns_its_text()
    {
        var shared = Encoding.UTF8.GetBytes("hello there");
        var body = MessageBody.FromUtf8(BodyKind.Text, shared);
        var detached = body.Detached();
        shared.AsSpan().Fill(ReceivedBatchLease.Poison);
        Assert.Equal("hello there", detached.Text);
        var plain = MessageBody.FromText("as a string");
        Assert.Same(plain, plain.Detached());
    }

    private static BatchMessageBody<RouteBatch> BodyOf(RouteBatch batch) =>
        (BatchMessageBody<RouteBatch>)BatchSerialization.Route.GetMessageBody(new MessageSendContext<RouteBatch>(batch, CancellationToken.None));

    /// <summary>Reads a route batch body the way a consumer's deserializer does, outside a lease unless the caller holds one.</summary>
    private static RouteBatch ReadBack(ReadOnlyMemory<byte> body)
    {
        var read = BatchSerialization.Route.Deserialize(new MemoryMessageBody(body), new DictionarySendHeaders(new Dictionary<string, object?>()));
        Assert.True(read.TryGetMessage<RouteBatch>(out var message));
        return message!;
    }

    private static ReadOnlyMemory<byte> Utf8(MessageBody body) =>
        body.TryGetUtf8Text(out var utf8) ? utf8 : throw new InvalidOperationException("the body holds its text as a string");
}
