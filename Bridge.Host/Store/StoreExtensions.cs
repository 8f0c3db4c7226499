using Bridge.Connectors.Abstractions;
using Bridge.Host.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Bridge.Host.Store;

public static class StoreExtensions
{
    /// <summary>Registers the configured store and creates its schema when the host starts (before the bus and connectors).</summary>
    public static IServiceCollection AddBridgeStore(this IServiceCollection services, StoreConfig config)
    {
        services.AddSingleton<IBridgeStore>(sp => config.Provider switch
        {
            StoreProvider.Sqlite => new SqliteBridgeStore(config.Path, sp.GetService<Microsoft.Extensions.Logging.ILogger<SqliteBridgeStore>>()),
            _ => throw new InvalidOperationException($"store provider {config.Provider} is not available in this build"),
        });
        services.AddSingleton<ICursorStore>(sp => sp.GetRequiredService<IBridgeStore>());
        services.AddHostedService<StoreInitializer>();
        if (config.Retention > TimeSpan.Zero)
        {
            services.AddSingleton(config);
            services.AddHostedService<StorePruner>();
        }

        return services;
    }

    private sealed class StoreInitializer(IBridgeStore store) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => store.InitializeAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
