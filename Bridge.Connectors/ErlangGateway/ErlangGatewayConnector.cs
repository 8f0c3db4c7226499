using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Transport;
using Bridge.Contracts.V1;
using Microsoft.Extensions.Logging;

namespace Bridge.Connectors.ErlangGateway;

/// <summary>
/// The <c>erlang-gateway</c> connector: one WebSocket session for the bridge account (pushes in,
/// sends out), optionally the TCP interface for 1:1 sends. No history: missed pushes come back as
/// the server's resends and offline re-pushes.
/// </summary>
public sealed class ErlangGatewayConnector : IConnector
{
    private readonly ErlangGatewayOptions _options;
    private readonly SessionSupervisor _supervisor;
    private readonly ErlangInbound _inbound;
    private readonly ErlangSender _sender;
    private readonly ErlangTcpPublisher? _tcp;

    public ErlangGatewayConnector(ConnectorContext context, ErlangGatewayOptions options)
    {
        Name = context.Name;
        _options = options;
        var logger = context.LoggerFactory.CreateLogger<ErlangGatewayConnector>();
        var sent = new RecentSet<ErlangMsgId>(options.RecentIdCapacity);
        var pending = new PendingRequests<string, ErlangCommand>();
        _inbound = new ErlangInbound(Name, options, sent, logger, context.Time);
        var handler = new ErlangSessionHandler(Name, options, _inbound, pending, logger);
        var endpoint = new WebSocketEndpointOptions(options.Url)
        {
            MaxFrameBytes = 1 << 19,
            ConnectTimeout = options.ConnectTimeout,
            AllowUntrustedCertificate = options.AllowUntrustedCertificate,
        };
        _supervisor = new SessionSupervisor(
            Name,
            endpoint.SafeDescription,
            async ct => await WebSocketFrameConnection.ConnectAsync(endpoint, context.Time, ct).ConfigureAwait(false),
            handler,
            options.EffectiveReconnect,
            context.LoggerFactory.CreateLogger<SessionSupervisor>(),
            context.Time);
        _supervisor.StatusChanged += status => StatusChanged?.Invoke(status);
        _tcp = options.SendPath == SendPath.Tcp ? new ErlangTcpPublisher(Name, options, logger, context.Time) : null;
        _sender = new ErlangSender(Name, options, () => _supervisor.Current, pending, _tcp, sent, logger);
    }

    public string Name { get; }

    /// <summary>Pipelined: one connection's publishes are acked by MsgId, and receivers drop a MsgId they have (the gateway's own dedupe rule for pushes).</summary>
    public ConnectorCapabilities Capabilities { get; } = new(ConnectorCapabilities.Kinds(EndpointKind.User, EndpointKind.Group), PipelinedSends: true);

    public ConnectorStatus Status => _supervisor.Status;

    public event Action<ConnectorStatus>? StatusChanged;

    /// <summary>How many times the session ended and was started again.</summary>
    public int Reconnects => _supervisor.Reconnects;

    /// <summary>Pushes handed to the sink and not yet acknowledged.</summary>
    internal int PushesInFlight => _inbound.InFlight;

    internal ErlangGatewayOptions Options => _options;

    public Task RunAsync(IInboundSink sink, CancellationToken stoppingToken)
    {
        _inbound.Attach(sink, stoppingToken);
        return _supervisor.RunAsync(stoppingToken);
    }

    public Task<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken) =>
        _sender.SendAsync(message, null, cancellationToken);

    public Task<SendResult> SendAsync(OutboundMessage message, SendWritten written, CancellationToken cancellationToken) =>
        _sender.SendAsync(message, written, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_tcp is not null)
        {
            await _tcp.DisposeAsync().ConfigureAwait(false);
        }
    }
}
