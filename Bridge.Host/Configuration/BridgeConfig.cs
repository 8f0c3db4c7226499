using Bridge.Connectors.Configuration;
using Bridge.Contracts.V1;

namespace Bridge.Host.Configuration;

/// <summary>The whole validated configuration of one bridge instance.</summary>
public sealed record BridgeConfig(
    string File,
    BusConfig Bus,
    StoreConfig Store,
    TelemetryConfig Telemetry,
    HealthConfig Health,
    DeliveryConfig Delivery,
    IReadOnlyList<ConnectorConfig> Connectors,
    IReadOnlyList<UserIdentity> Users,
    IReadOnlyList<RouteConfig> Routes);

public enum BusTransport
{
    InMemory,
    RabbitMq,
}

public sealed record BusConfig(
    BusTransport Transport,
    RabbitMqConfig RabbitMq,
    int RoutePartitions,
    int DeliveryPartitions,
    int PrefetchCount,
    string QueuePrefix,
    TimeSpan RecoveryWindow,
    TimeSpan SendTimeout,
    int MaxBatch,
    int MaxBatchBytes,
    int DeliveryConcurrency);

public sealed record RabbitMqConfig(string Host, int Port, string VirtualHost, string Username, Secret Password, bool UseSsl)
{
    public override string ToString() => $"amqp{(UseSsl ? "s" : string.Empty)}://{Username}@{Host}:{Port}/{VirtualHost}";
}

public enum StoreProvider
{
    Sqlite,
    Postgres,
}

/// <param name="Retention">How long id-map rows are kept; <see cref="TimeSpan.Zero"/> keeps them forever.</param>
public sealed record StoreConfig(StoreProvider Provider, string Path, Secret? ConnectionString, TimeSpan Retention)
{
    public static readonly TimeSpan DefaultRetention = TimeSpan.FromDays(30);

    /// <summary>The shortest retention accepted (besides 0): replies and edits of the last hour must still map.</summary>
    public static readonly TimeSpan MinimumRetention = TimeSpan.FromHours(1);
}

public enum OtlpProtocol
{
    Grpc,
    HttpProtobuf,
}

public sealed record TelemetryConfig(Uri? OtlpEndpoint, OtlpProtocol Protocol, string ServiceName, bool Enabled);

public sealed record HealthConfig(bool Enabled, string Bind, int Port);

public sealed record DeliveryConfig(int Retries, TimeSpan RetryDelay, TimeSpan MaxRetryDelay, TimeSpan SendTimeout, OutcomeEvents OutcomeEvents = OutcomeEvents.All)
{
    /// <summary>The default of <see cref="OutcomeProbe"/>.</summary>
    public static readonly TimeSpan DefaultOutcomeProbe = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// While no queue is bound to an outcome type's exchange (on RabbitMQ), one event of the type
    /// per this interval is published to find out whether that changed, the rest are skipped;
    /// zero publishes every outcome whether or not anybody listens.
    /// </summary>
    public TimeSpan OutcomeProbe { get; init; } = DefaultOutcomeProbe;

    /// <summary>
    /// Posts to one conversation that may await the backend's answer at once, on a connector that
    /// allows it (<c>ConnectorCapabilities.PipelinedSends</c>); 1 sends them strictly one at a time.
    /// </summary>
    public int ConversationWindow { get; init; } = DefaultConversationWindow;

    public const int DefaultConversationWindow = 16;
}

/// <summary>
/// Which delivery outcomes are published on the bus for observers: every <c>MessageDelivered</c>
/// and <c>DeliveryFailed</c> (all), only the failures, or none (logs, metrics and traces still
/// record every outcome). Each published event costs a broker publish with confirm per delivery.
/// </summary>
public enum OutcomeEvents
{
    All,
    Failures,
    None,
}

/// <summary>One connector as configured: its name, type, raw settings and (once bound) its options.</summary>
public sealed record ConnectorConfig(string Name, string Type, ConnectorSettings Settings)
{
    public object? Options { get; init; }
}

/// <summary>One person known on several backends: connector name → native user id, and a display name.</summary>
public sealed record UserIdentity(IReadOnlyDictionary<string, string> Ids, string? Name);

public enum RelayKind
{
    Text,
    Image,
    Audio,
    Video,
    File,
    System,
    Edits,
    Deletes,
    Membership,
}

/// <summary>
/// A routing rule. A mirror: every endpoint both receives and sends. A directed rule: messages
/// from <see cref="From"/> go to <see cref="To"/>.
/// </summary>
public sealed record RouteConfig(
    string Name,
    int Line,
    IReadOnlyList<EndpointRef> Mirror,
    IReadOnlyList<EndpointRef> From,
    IReadOnlyList<EndpointRef> To,
    string Format,
    IReadOnlySet<RelayKind> Relay)
{
    public const string DefaultFormat = "[{source}] {sender}: {text}";

    public static readonly IReadOnlySet<RelayKind> DefaultRelay = new HashSet<RelayKind>
    {
        RelayKind.Text, RelayKind.Image, RelayKind.Audio, RelayKind.Video, RelayKind.File, RelayKind.Edits, RelayKind.Deletes,
    };
}
