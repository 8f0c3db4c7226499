using System.Diagnostics;

namespace Bridge.Host.Telemetry;

/// <summary>
/// Spans for work that covers several events at once. A batch send's span continues the trace of
/// the batch's first event and links every event's trace, so each event's trace shows the send
/// that carried it; per-event spans on the far side take their parent from the event itself.
/// </summary>
internal static class BatchTelemetry
{
    public static Activity? StartSend(string name, IEnumerable<string?> traceParents, int count)
    {
        BridgeTelemetry.BatchSize.Record(count, new KeyValuePair<string, object?>("stage", name));
        if (!BridgeTelemetry.Source.HasListeners())
        {
            return null;
        }

        ActivityContext parent = default;
        var links = new List<ActivityLink>();
        foreach (var traceParent in traceParents)
        {
            if (ActivityContext.TryParse(traceParent, null, out var context))
            {
                if (parent == default)
                {
                    parent = context;
                }

                links.Add(new ActivityLink(context));
            }
        }

        var activity = BridgeTelemetry.Source.StartActivity(name, ActivityKind.Internal, parent, links: links);
        activity?.SetTag("bridge.batch_size", count);
        return activity;
    }

    /// <summary>Starts a per-event span under the event's own trace (or the current span when it carries none).</summary>
    public static Activity? StartFor(string name, string? traceParent) =>
        ActivityContext.TryParse(traceParent, null, out var context)
            ? BridgeTelemetry.Source.StartActivity(name, ActivityKind.Internal, context, links: Activity.Current is { } current ? [new ActivityLink(current.Context)] : null)
            : BridgeTelemetry.Source.StartActivity(name, ActivityKind.Internal);
}
