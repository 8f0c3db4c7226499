using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Bridge.Simulators.Hosting;

/// <summary>
/// A Kestrel server for one simulator: WebSocket endpoints and plain HTTP routes, bound to
/// 127.0.0.1 (unless told otherwise) on a fixed port or a free one. It can be stopped and started
/// again on the same port, which is how tests restart a "server".
/// </summary>
public sealed class SimulatorServer : IAsyncDisposable
{
    private readonly Action<IEndpointRouteBuilder> _map;
    private readonly IPAddress _address;
    private readonly ILoggerFactory? _loggerFactory;
    private WebApplication? _app;

    public SimulatorServer(Action<IEndpointRouteBuilder> map, int port = 0, IPAddress? address = null, ILoggerFactory? loggerFactory = null)
    {
        _map = map;
        Port = port;
        _address = address ?? IPAddress.Loopback;
        _loggerFactory = loggerFactory;
    }

    /// <summary>The bound port (after the first start, the same on every restart).</summary>
    public int Port { get; private set; }

    public bool IsRunning => _app is not null;

    public string Host => _address.ToString();

    public Uri WebSocketUrl(string path) => new($"ws://{Host}:{Port}{path}");

    public Uri HttpUrl(string path) => new($"http://{Host}:{Port}{path}");

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_app is not null)
        {
            return;
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (_loggerFactory is not null)
        {
            builder.Services.AddSingleton(_loggerFactory);
        }

        // The owner (a test, the demo, the standalone command) decides when to stop; the server must
        // not swallow Ctrl+C / SIGTERM through the default console lifetime.
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, OwnerControlledLifetime>();
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(_address, Port);
            k.Limits.MaxRequestBodySize = 64 * 1024 * 1024;
        });
        var app = builder.Build();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
        _map(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Port = new Uri(address).Port;
        _app = app;
    }

    /// <summary>Stops listening and drops every connection at once (a crashed server).</summary>
    public async Task StopAsync()
    {
        var app = Interlocked.Exchange(ref _app, null);
        if (app is null)
        {
            return;
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        try
        {
            await app.StopAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Connections were torn down rather than drained: that is the point.
        }

        await app.DisposeAsync().ConfigureAwait(false);
    }

    public async Task RestartAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await StartAsync().ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    /// <summary>Maps a WebSocket endpoint; non-WebSocket requests get 400.</summary>
    public static void MapWebSocket(IEndpointRouteBuilder routes, string pattern, Func<HttpContext, WebSocket, Task> session)
    {
        routes.Map(pattern, async context =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }

            using var socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
            try
            {
                await session(context, socket).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
            {
                // The client went away or the server is stopping.
            }
        });
    }

    private sealed class OwnerControlledLifetime : Microsoft.Extensions.Hosting.IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
