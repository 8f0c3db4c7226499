namespace Bridge.Connectors.ProtobufIm;

/// <summary>What the session hands to the connector: an authenticated link, and server pushes.</summary>
internal interface IImSessionEvents
{
    /// <summary>Runs once per authenticated session (catch-up); throwing ends the session.</summary>
    Task OnAuthenticatedAsync(ImLink link, CancellationToken cancellationToken);

    /// <summary>A message or revoke push, in arrival order; the body must be parsed before returning.</summary>
    ValueTask OnPushAsync(ImLink link, ImEnvelope push, CancellationToken cancellationToken);
}
