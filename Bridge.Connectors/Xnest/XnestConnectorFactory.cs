using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Configuration;
using Bridge.Connectors.Transport;

namespace Bridge.Connectors.Xnest;

/// <summary>Binds and validates <c>type: xnest</c> settings and creates the connector.</summary>
public sealed class XnestConnectorFactory : ConnectorFactory<XnestOptions>
{
    public const string TypeName = "xnest";

    public override string Type => TypeName;

    protected override XnestOptions? Bind(SettingsReader settings)
    {
        var url = settings.Uri("url", required: true, "ws", "wss");
        var nickname = settings.String("nickname", "bridge");
        var storeHistory = settings.Has("storeHistory") ? settings.Bool("storeHistory", true) : (bool?)null;
        var probe = settings.Duration("probeInterval", TimeSpan.FromSeconds(30), max: TimeSpan.FromHours(1));
        var watchdog = settings.Duration("watchdog", probe == TimeSpan.Zero ? TimeSpan.Zero : probe * 2.5, max: TimeSpan.FromHours(3));
        if (watchdog > TimeSpan.Zero && probe > TimeSpan.Zero && watchdog <= probe)
        {
            settings.Error("watchdog", $"must be longer than probeInterval ({probe.TotalSeconds:0.###} s), or a quiet room reconnects for nothing");
        }

        var options = new XnestOptions
        {
            Url = url ?? new Uri("ws://invalid"),
            Nickname = nickname,
            StoreHistory = storeHistory,
            ChangeName = settings.Bool("changeName", false),
            CatchUp = settings.Bool("catchUp", true),
            SendTimeout = settings.Duration("sendTimeout", TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5)),
            ProbeInterval = probe,
            Watchdog = watchdog,
            MaxMessageBytes = settings.Int32("maxMessageBytes", 64 * 1024, 16, 16 * 1024 * 1024),
            MaxFrameBytes = settings.Int32("maxFrameBytes", 8 * 1024 * 1024, 4096, 256 * 1024 * 1024),
            DedupeWindow = settings.Int32("dedupeWindow", 4096, 16, 1_000_000),
            MaxInFlight = settings.Int32("maxInFlight", 256, 1, 65536),
            CheckpointInterval = settings.Duration("checkpointInterval", TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(50), TimeSpan.FromMinutes(10)),
            RobotNickname = settings.String("robotNickname", "小M机器人"),
            AllowUntrustedCertificate = settings.Bool("allowUntrustedCertificate", false),
            Reconnect = ReconnectPolicy.Default with
            {
                InitialDelay = settings.Duration("reconnectDelay", ReconnectPolicy.Default.InitialDelay, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(5)),
                MaxDelay = settings.Duration("reconnectMaxDelay", ReconnectPolicy.Default.MaxDelay, TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(1)),
            },
        };
        return url is null ? null : options;
    }

    protected override IConnector Create(ConnectorContext context, XnestOptions options) => new XnestConnector(context, options);
}
