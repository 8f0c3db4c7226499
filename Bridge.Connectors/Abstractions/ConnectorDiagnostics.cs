using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Bridge.Connectors.Abstractions;

/// <summary>
/// The connectors' ActivitySource and Meter (both named <see cref="Name"/>). Receive and send spans
/// carry the backend's ids as attributes; counters are tagged with the connector name.
/// </summary>
public static class ConnectorDiagnostics
{
    public const string Name = "Bridge.Connectors";

    public static readonly ActivitySource Source = new(Name);

    public static readonly Meter Meter = new(Name);

    public static readonly Counter<long> FramesReceived = Meter.CreateCounter<long>("bridge.connector.frames.received", description: "Frames received from backends");

    public static readonly Counter<long> FramesSent = Meter.CreateCounter<long>("bridge.connector.frames.sent", description: "Frames sent to backends");

    public static readonly Counter<long> Errors = Meter.CreateCounter<long>("bridge.connector.errors", description: "Malformed frames, failed sends and protocol errors");

    public static readonly Counter<long> Reconnects = Meter.CreateCounter<long>("bridge.connector.reconnects", description: "Sessions that ended and were started again");

    /// <summary>Starts a receive span for a push (parent: none, it starts the message's trace).</summary>
    public static Activity? StartReceive(string connector, string type, string conversation, string nativeMessageId)
    {
        var activity = Source.StartActivity($"receive {type}", ActivityKind.Consumer, parentContext: default);
        activity?.SetTag("bridge.connector", connector);
        activity?.SetTag("bridge.conversation", conversation);
        activity?.SetTag("bridge.native_message_id", nativeMessageId);
        return activity;
    }

    /// <summary>Starts a send span (child of the current delivery span).</summary>
    public static Activity? StartSend(string connector, string type, string target, string idempotencyKey)
    {
        var activity = Source.StartActivity($"send {type}", ActivityKind.Producer);
        activity?.SetTag("bridge.connector", connector);
        activity?.SetTag("bridge.target", target);
        activity?.SetTag("bridge.idempotency_key", idempotencyKey);
        return activity;
    }

    public static KeyValuePair<string, object?> Tag(string connector) => new("connector", connector);
}
