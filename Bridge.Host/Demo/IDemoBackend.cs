namespace Bridge.Host.Demo;

/// <summary>A message a simulated user saw in the mirrored conversation.</summary>
public sealed record DemoArrival(string Text, DateTimeOffset At);

/// <summary>
/// One backend in the demo: its in-process simulator, provisioned with the bridge account and a
/// simulated user, the connector settings that point the bridge at it, and a way to make the
/// simulated user talk and to read what it received.
/// </summary>
public interface IDemoBackend : IAsyncDisposable
{
    /// <summary>The connector name in the demo's routing file.</summary>
    string Name { get; }

    /// <summary>What the mirrored conversation is, for the console.</summary>
    string Conversation { get; }

    /// <summary>The simulated user's display name.</summary>
    string User { get; }

    /// <summary>The user's native id on this backend (for the users: section).</summary>
    string UserId { get; }

    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>The connector's settings as a YAML flow mapping, e.g. <c>{ type: glide, url: … }</c>.</summary>
    string ConnectorYaml { get; }

    /// <summary>The mirrored endpoint (<c>kind/id</c>).</summary>
    string MirrorEndpoint { get; }

    /// <summary>The simulated user posts into the mirrored conversation.</summary>
    Task SendAsync(string text, CancellationToken cancellationToken);

    /// <summary>Everything the simulated user has received in the mirrored conversation so far.</summary>
    IReadOnlyList<DemoArrival> Received();
}

/// <summary>A backend where a second simulated user writes to the bridge account in a direct chat (the demo's directed route starts here).</summary>
public interface IDirectDemoSource
{
    /// <summary>The direct conversation (<c>user/&lt;id&gt;</c>) the directed route reads from.</summary>
    string DirectEndpoint { get; }

    /// <summary>That user's display name and native id (for the users: section).</summary>
    string DirectUser { get; }

    string DirectUserId { get; }

    Task SendDirectAsync(string text, CancellationToken cancellationToken);
}

/// <summary>A backend where a simulated user receives the directed route's messages in a direct chat with the bridge account.</summary>
public interface IDirectDemoTarget
{
    /// <summary>The direct conversation (<c>user/&lt;id&gt;</c>) the directed route writes to.</summary>
    string DirectEndpoint { get; }

    IReadOnlyList<DemoArrival> ReceivedDirect();
}
