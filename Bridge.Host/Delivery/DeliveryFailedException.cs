namespace Bridge.Host.Delivery;

/// <summary>A delivery gave up; MassTransit moves the message to the queue's <c>_error</c> queue with this reason.</summary>
public sealed class DeliveryFailedException(string reason) : Exception(reason);
