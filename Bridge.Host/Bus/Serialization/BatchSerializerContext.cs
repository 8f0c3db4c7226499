using MassTransit;
using MassTransit.Serialization;

namespace Bridge.Host.Bus.Serialization;

/// <summary>
/// What the consume pipeline sees of a received batch: the batch already deserialized, offered
/// only as its own type, and serialized the same way again if MassTransit forwards it.
/// </summary>
internal sealed class BatchSerializerContext<T>(BatchSerializer<T> serializer, MessageContext messageContext, T message)
    : SystemTextJsonSerializerContext(SystemTextJsonMessageSerializer.Instance, SystemTextJsonMessageSerializer.Options, serializer.ContentType,
        messageContext, serializer.SupportedMessageTypes, envelope: null, message: message)
    where T : class
{
    public override bool IsSupportedMessageType<TMessage>() => typeof(TMessage).IsAssignableFrom(typeof(T));

    public override bool IsSupportedMessageType(Type messageType) => messageType.IsAssignableFrom(typeof(T));

    public override IMessageSerializer GetMessageSerializer() => serializer;

    public override IMessageSerializer GetMessageSerializer<TMessage>(MessageEnvelope envelope, TMessage message) => serializer;

    public override IMessageSerializer GetMessageSerializer(object message, string[] messageTypes) => serializer;
}
