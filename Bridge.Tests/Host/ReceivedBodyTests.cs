using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Bridge.Host.Bus.Serialization;
using MassTransit;
using MassTransit.Serialization;

namespace Bridge.Tests.Host;

/// <summary>Batch bodies are parsed where the transport left them, not from a copy.</summary>
public class ReceivedBodyTests
{
    [Fact]
    public void A_memory_body_is_read_in_place()
    {
        var bytes = "{\"deliveries\":[]}"u8.ToArray();
        var body = new MemoryMessageBody(bytes);

        // Fails when a MassTransit upgrade renames the field: the reader would then copy again.
        Assert.True(MemoryMarshal.TryGetArray(ReceivedBody.Memory(body), out var segment));
        Assert.Same(bytes, segment.Array);

        var span = ReceivedBody.Span(body);
        Assert.True(Unsafe.AreSame(ref MemoryMarshal.GetReference(span), ref bytes[0]));
        Assert.Equal(bytes, span.ToArray());
    }

    [Fact]
    public void Other_bodies_are_read_through_their_bytes()
    {
        var bytes = "{\"events\":[]}"u8.ToArray();
        Assert.Equal(bytes, ReceivedBody.Span(new BytesMessageBody(bytes)).ToArray());
        Assert.Equal(bytes, ReceivedBody.Span(new StringMessageBody("{\"events\":[]}")).ToArray());
    }
}
