using System.Diagnostics.Metrics;
using Bridge.Host.Telemetry;

namespace Bridge.Tests.Host;

public class BatchTelemetryTests
{
    [Fact]
    public void Every_batch_send_records_its_event_count_under_its_stage()
    {
        var stage = $"test.send-{Guid.NewGuid():N}";
        var seen = new List<int>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == BridgeTelemetry.Name && instrument.Name == "bridge.bus.batch_size")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "stage" && Equals(tag.Value, stage))
                {
                    lock (seen)
                    {
                        seen.Add(value);
                    }
                }
            }
        });
        listener.Start();

        using (BatchTelemetry.StartSend(stage, ["00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", null], 7))
        {
        }

        using (BatchTelemetry.StartSend(stage, [], 1))
        {
        }

        Assert.Equal([7, 1], seen);
    }
}
