using System.Net.Mime;
using System.Runtime.Serialization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using MassTransit;
using MassTransit.Serialization;

namespace Bridge.Host.Bus.Serialization;

/// <summary>
/// Serializer and deserializer of one internal batch contract (<see cref="Contracts.V1.RouteBatch"/>
/// or <see cref="Contracts.V1.DeliveryBatch"/>) under its own content type. The body is the batch's
/// JSON and nothing else: no MassTransit envelope, whose host, address and header fields cost more
/// than a small batch's events. Reading parses the body once, straight into the batch, instead of
/// into a JSON document first and the message from that. The content type names the contract, so
/// no type headers are needed; MassTransit's own headers still travel as transport headers.
/// Only the bridge reads these queues; a body in MassTransit's envelope format (written by an
/// older bridge) is still read by the bus's default deserializer.
/// </summary>
internal sealed class BatchSerializer<T> : IMessageSerializer, IMessageDeserializer, ISerializerFactory
    where T : class
{
    private readonly JsonTypeInfo<T> _typeInfo = BatchJson.TypeInfo<T>();

    private readonly Func<T, long> _estimatedBytes;
    private readonly Func<ReadOnlyMemory<byte>, T> _readLeased;

    /// <param name="mediaType">The content type the batches travel under.</param>
    /// <param name="estimatedBytes">About how large a batch's body will be, to serialize it without growing the buffer.</param>
    public BatchSerializer(string mediaType, Func<T, long> estimatedBytes)
    {
        _estimatedBytes = estimatedBytes;
        _readLeased = body => Read(body.Span);
        ContentType = new ContentType(mediaType);
        SupportedMessageTypes = [MessageUrn.ForTypeString<T>()];
    }

    public ContentType ContentType { get; }

    public string[] SupportedMessageTypes { get; }

    public IMessageSerializer CreateSerializer() => this;

    public IMessageDeserializer CreateDeserializer() => this;

    public MessageBody GetMessageBody<TMessage>(SendContext<TMessage> context)
        where TMessage : class =>
        context.Message is T message
            ? new BatchMessageBody<T>(message, _typeInfo, (int)Math.Clamp(_estimatedBytes(message), 4096, BatchBodyPool.MaxPooled))
            : throw new SerializationException($"{ContentType.MediaType} carries {typeof(T).Name} only, not {typeof(TMessage).Name}");

    /// <summary>
    /// A received batch, its texts read as slices of a pooled copy of its body
    /// (<see cref="ReceivedBatchLease"/>), which its consumer returns when it is done with them.
    /// </summary>
    public ConsumeContext Deserialize(ReceiveContext receiveContext)
    {
        var message = ReceivedBatchLease.Read(receiveContext, ReceivedBody.Span(receiveContext.Body), _readLeased);
        return new BodyConsumeContext(receiveContext, Context(message, receiveContext.TransportHeaders, receiveContext.InputAddress));
    }

    public SerializerContext Deserialize(MessageBody body, Headers headers, Uri? destinationAddress = null) =>
        Context(Read(ReceivedBody.Span(body)), headers, destinationAddress);

    private T Read(ReadOnlySpan<byte> body)
    {
        try
        {
            return JsonSerializer.Deserialize(body, _typeInfo) ?? throw new SerializationException($"the {ContentType.MediaType} body is null");
        }
        catch (JsonException ex)
        {
            // Not wrapped: MassTransit writes the innermost exception's message into the faulted
            // message's MT-Fault-Message header, and that header should say which contract failed.
            throw new SerializationException($"the {ContentType.MediaType} body is not a valid {typeof(T).Name}: {ex.Message}");
        }
    }

    private BatchSerializerContext<T> Context(T message, Headers headers, Uri? destinationAddress) =>
        new(this, new RawMessageContext(headers, destinationAddress, RawSerializerOptions.Default), message);

    public MessageBody GetMessageBody(string text) => new StringMessageBody(text);

    public void Probe(ProbeContext context)
    {
        var scope = context.CreateScope("json");
        scope.Add("contentType", ContentType.MediaType);
        scope.Add("provider", "System.Text.Json, source-generated");
    }
}
