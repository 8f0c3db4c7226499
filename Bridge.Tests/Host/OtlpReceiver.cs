using System.Collections.Concurrent;
using System.Text;
using Bridge.Simulators.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Bridge.Tests.Host;

/// <summary>One exported span: ids as hex, name, and string attributes.</summary>
public sealed record ReceivedSpan(string TraceId, string SpanId, string ParentSpanId, string Name, IReadOnlyDictionary<string, string> Attributes);

/// <summary>
/// An OTLP/HTTP (protobuf) receiver on loopback for tests. It decodes just the parts of
/// ExportTraceServiceRequest it needs (resource_spans → scope_spans → spans), and the metric names
/// of ExportMetricsServiceRequest, with a tiny protobuf wire reader, so the test depends on nothing
/// but the wire format.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly ConcurrentQueue<ReceivedSpan> _spans = new();
    private readonly ConcurrentDictionary<string, bool> _metricNames = new();
    private readonly SimulatorServer _server;

    public OtlpReceiver()
    {
        _server = new SimulatorServer(routes =>
        {
            routes.MapPost("/v1/traces", context => ReceiveAsync(context, request =>
            {
                foreach (var span in Decode(request))
                {
                    _spans.Enqueue(span);
                }
            }));
            routes.MapPost("/v1/metrics", context => ReceiveAsync(context, request =>
            {
                foreach (var name in MetricNamesOf(request))
                {
                    _metricNames[name] = true;
                }
            }));
        });
    }

    public Uri Endpoint => _server.HttpUrl("/");

    public IReadOnlyList<ReceivedSpan> Spans => _spans.ToArray();

    /// <summary>The names of the metrics exported so far (OTLP/HTTP ExportMetricsServiceRequest).</summary>
    public IReadOnlyCollection<string> MetricNames => _metricNames.Keys.ToArray();

    public Task StartAsync() => _server.StartAsync();

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private static async Task ReceiveAsync(HttpContext context, Action<byte[]> take)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        take(body.ToArray());
        context.Response.ContentType = "application/x-protobuf";
        await context.Response.Body.WriteAsync(Array.Empty<byte>());
    }

    /// <summary>resource_metrics → scope_metrics → metrics → name.</summary>
    private static IEnumerable<string> MetricNamesOf(byte[] request) =>
        from resourceMetrics in Fields(request, 1)
        from scopeMetrics in Fields(resourceMetrics, 2)
        from metric in Fields(scopeMetrics, 2)
        select Encoding.UTF8.GetString(Fields(metric, 1).FirstOrDefault() ?? []);

    private static IEnumerable<ReceivedSpan> Decode(byte[] request)
    {
        foreach (var resourceSpans in Fields(request, 1))
        {
            foreach (var scopeSpans in Fields(resourceSpans, 2))
            {
                foreach (var span in Fields(scopeSpans, 2))
                {
                    yield return DecodeSpan(span);
                }
            }
        }
    }

    private static ReceivedSpan DecodeSpan(byte[] span)
    {
        string Hex(int field) => Convert.ToHexStringLower(Fields(span, field).FirstOrDefault() ?? []);
        var attributes = new Dictionary<string, string>();
        foreach (var kv in Fields(span, 9))
        {
            var key = Encoding.UTF8.GetString(Fields(kv, 1).FirstOrDefault() ?? []);
            var value = Fields(kv, 2).FirstOrDefault() is { } any ? Encoding.UTF8.GetString(Fields(any, 1).FirstOrDefault() ?? []) : string.Empty;
            attributes[key] = value;
        }

        return new ReceivedSpan(Hex(1), Hex(2), Hex(4), Encoding.UTF8.GetString(Fields(span, 5).FirstOrDefault() ?? []), attributes);
    }

    /// <summary>The length-delimited values of one field number in a protobuf message.</summary>
    private static List<byte[]> Fields(byte[] message, int number)
    {
        var result = new List<byte[]>();
        var i = 0;
        while (i < message.Length)
        {
            var tag = ReadVarint(message, ref i);
            var wire = (int)(tag & 7);
            var field = (int)(tag >> 3);
            switch (wire)
            {
                case 0:
                    ReadVarint(message, ref i);
                    break;
                case 1:
                    i += 8;
                    break;
                case 5:
                    i += 4;
                    break;
                case 2:
                    var length = (int)ReadVarint(message, ref i);
                    if (field == number)
                    {
                        result.Add(message[i..(i + length)]);
                    }

                    i += length;
                    break;
                default:
                    throw new InvalidDataException($"unsupported wire type {wire}");
            }
        }

        return result;
    }

    private static ulong ReadVarint(byte[] data, ref int i)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = data[i++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }
    }
}
