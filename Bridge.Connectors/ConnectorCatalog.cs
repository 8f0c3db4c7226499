using Bridge.Connectors.Abstractions;

namespace Bridge.Connectors;

/// <summary>The connector types this build knows, by their <c>type:</c> value. Each backend adds its factory here.</summary>
public static class ConnectorCatalog
{
    public static IReadOnlyList<IConnectorFactory> BuiltIn { get; } =
    [
        new Rtm.RtmConnectorFactory(),
        new Glide.GlideConnectorFactory(),
        new ProtobufIm.ProtobufImConnectorFactory(),
        new Xnest.XnestConnectorFactory(),
        new ErlangGateway.ErlangGatewayConnectorFactory(),
    ];
}
