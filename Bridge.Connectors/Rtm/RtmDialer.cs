using Bridge.Connectors.Rtm.Fpnn;
using Bridge.Connectors.Transport;
using Microsoft.Extensions.Logging;

namespace Bridge.Connectors.Rtm;

/// <summary>
/// Opens the gate connection: the configured endpoint, or the gate a dispatch names (<c>which</c>,
/// asked again on every connect; the dispatch socket is closed afterwards). With a proxy, every
/// connection goes to the proxy and packets are wrapped.
/// </summary>
internal sealed class RtmDialer(string connectorName, RtmOptions options, TimeProvider time, ILogger logger)
{
    public const string SdkVersion = "1.1.5";

    public string Description => (options.Endpoint ?? options.Dispatch)?.GetLeftPart(UriPartial.Path) ?? "(none)";

    public async Task<IFrameConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        var gate = options.Endpoint ?? await WhichAsync(options.Dispatch!, cancellationToken).ConfigureAwait(false);
        return await OpenAsync(gate, cancellationToken).ConfigureAwait(false);
    }

    private async Task<IFrameConnection> OpenAsync(Uri target, CancellationToken cancellationToken)
    {
        if (options.ProxyEndpoint is { } proxy)
        {
            var inner = await WebSocketFrameConnection.ConnectAsync(options.Socket(proxy), time, cancellationToken).ConfigureAwait(false);
            return new ProxiedFrameConnection(inner, RtmEndpoints.HostPort(target));
        }

        return await WebSocketFrameConnection.ConnectAsync(options.Socket(target), time, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Asks the dispatch for a gate: <c>which {pid, uid, what:"rtmGated", addrType, version, sdk_version}</c> → <c>{endpoint}</c>.</summary>
    private async Task<Uri> WhichAsync(Uri dispatch, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(dispatch, cancellationToken).ConfigureAwait(false);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.QuestTimeout);
        using (var quest = RtmQuests.Which(1, options.Pid, options.Uid, options.AddrType, string.Empty, SdkVersion))
        {
            await connection.SendAsync(quest.Complete(), FrameKind.Binary, timeout.Token).ConfigureAwait(false);
        }

        using var decoder = new FpnnStreamDecoder(options.MaxPacketBytes);
        RtmAnswer? answer = null;
        while (answer is null)
        {
            using var frame = await connection.ReceiveAsync(timeout.Token).ConfigureAwait(false);
            if (frame.Kind == FrameKind.Close)
            {
                throw new IOException("the dispatch closed the connection before answering which");
            }

            var status = decoder.Feed(frame.Span, packet =>
            {
                if (packet.Kind == FpnnPacketKind.Answer && packet.Seq == 1)
                {
                    answer = new RtmAnswer(packet.Status, packet.Payload.ToArray());
                }
            }, out var error);
            if (status == FpnnDecodeStatus.Malformed)
            {
                throw new ProtocolViolationException($"dispatch: {error}");
            }
        }

        await connection.CloseAsync("dispatch done", timeout.Token).ConfigureAwait(false);
        if (answer.IsError)
        {
            throw new IOException($"dispatch which failed with {answer.ErrorCode}: {answer.ErrorText}");
        }

        var endpoint = answer.GetString("endpoint");
        var gate = endpoint is null ? null : RtmEndpoints.ToGateUrl(endpoint, dispatch.Scheme == "wss");
        if (gate is null)
        {
            throw new ProtocolViolationException($"dispatch answered without a usable endpoint ('{endpoint}')");
        }

        RtmLog.Dispatched(logger, connectorName, RtmEndpoints.HostPort(gate));
        return gate;
    }
}
