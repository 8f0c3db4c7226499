using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Bridge.Connectors.Abstractions;

namespace Bridge.Tests.Infrastructure;

/// <summary>
/// Records the spans and counter increments of <see cref="ConnectorDiagnostics"/> for one connector
/// name (tests run in parallel, so give the connector under test a name of its own).
/// </summary>
public sealed class ConnectorTelemetry : IDisposable
{
    private readonly string _connector;
    private readonly ActivityListener _spans;
    private readonly MeterListener _counters = new();
    private readonly ConcurrentQueue<Activity> _finished = new();
    private readonly ConcurrentDictionary<string, long> _totals = new(StringComparer.Ordinal);

    public ConnectorTelemetry(string connector)
    {
        _connector = connector;
        _spans = new ActivityListener
        {
            ShouldListenTo = source => source.Name == ConnectorDiagnostics.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.GetTagItem("bridge.connector") as string == _connector)
                {
                    _finished.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(_spans);
        _counters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ConnectorDiagnostics.Name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _counters.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "connector" && tag.Value as string == _connector)
                {
                    _totals.AddOrUpdate(instrument.Name, value, (_, sum) => sum + value);
                }
            }
        });
        _counters.Start();
    }

    /// <summary>Finished spans of this connector.</summary>
    public IReadOnlyList<Activity> Spans => [.. _finished];

    public long FramesReceived => Total("bridge.connector.frames.received");

    public long FramesSent => Total("bridge.connector.frames.sent");

    public long Errors => Total("bridge.connector.errors");

    public long Reconnects => Total("bridge.connector.reconnects");

    public long Total(string counter) => _totals.GetValueOrDefault(counter);

    /// <summary>The finished span named <paramref name="name"/> whose tag <paramref name="key"/> is <paramref name="value"/>.</summary>
    public Activity? Span(string name, string key, string value) =>
        Spans.FirstOrDefault(a => a.OperationName == name && a.GetTagItem(key) as string == value);

    /// <summary>Asserts the send span of one message: found by its idempotency key, tagged with the target and the backend's id.</summary>
    public void AssertSendSpan(string name, string idempotencyKey, string target, string? nativeMessageId)
    {
        var send = Span(name, "bridge.idempotency_key", idempotencyKey);
        Assert.NotNull(send);
        Assert.Equal(target, send.GetTagItem("bridge.target"));
        Assert.Equal(nativeMessageId, send.GetTagItem("bridge.native_message_id"));
    }

    public void Dispose()
    {
        _spans.Dispose();
        _counters.Dispose();
    }
}
