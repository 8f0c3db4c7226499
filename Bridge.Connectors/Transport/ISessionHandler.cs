namespace Bridge.Connectors.Transport;

/// <summary>
/// The protocol half of a session: given a fresh connection, authenticate, call
/// <see cref="SessionContext.MarkConnected"/>, then read and answer frames until the connection
/// ends. Return (or throw <see cref="SessionEndException"/>) to say how it ended; any other
/// exception counts as a transient failure.
/// </summary>
public interface ISessionHandler
{
    Task<SessionEnd> RunAsync(SessionContext context, CancellationToken cancellationToken);

    /// <summary>On clean shutdown, before the connection closes: send the protocol's goodbye (bye, DISCONNECT).</summary>
    Task GoodbyeAsync(IFrameConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;
}
