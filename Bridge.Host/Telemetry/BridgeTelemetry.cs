using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Bridge.Host.Telemetry;

/// <summary>The host's ActivitySource and Meter (both "Bridge.Host") and its instruments.</summary>
public static class BridgeTelemetry
{
    public const string Name = "Bridge.Host";

    public static readonly ActivitySource Source = new(Name);

    public static readonly Meter Meter = new(Name);

    public static readonly Counter<long> Received = Meter.CreateCounter<long>("bridge.messages.received", description: "Inbound events accepted as durable");

    public static readonly Counter<long> Relayed = Meter.CreateCounter<long>("bridge.messages.relayed", description: "Deliveries acknowledged by the target backend");

    public static readonly Counter<long> Failed = Meter.CreateCounter<long>("bridge.messages.failed", description: "Deliveries that gave up or were skipped");

    public static readonly Counter<long> Duplicates = Meter.CreateCounter<long>("bridge.duplicates.dropped", description: "Inbound redeliveries, overlaps and echoes dropped");

    public static readonly Counter<long> OutcomesUnheard = Meter.CreateCounter<long>("bridge.outcomes.unheard", description: "Outcome events not published because no queue was bound to their exchange");

    public static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>("bridge.bus.batch_size", unit: "{event}", description: "Events per broker message sent, by stage (ingest.send, route.send): near 1 means every event pays its own send and confirm");

    public static readonly Histogram<double> RelayLatency = Meter.CreateHistogram<double>("bridge.relay.latency", unit: "ms", description: "From receipt at the source connector to the target's acknowledgement");
}
