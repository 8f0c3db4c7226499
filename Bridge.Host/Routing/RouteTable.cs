using Bridge.Contracts.V1;
using Bridge.Host.Configuration;

namespace Bridge.Host.Routing;

/// <summary>One place a message from a given source goes, and the rule that sends it there.</summary>
public sealed record RouteTarget(RouteConfig Route, EndpointRef Target);

/// <summary>
/// The routes compiled for lookup by source endpoint. A mirror sends from each member to every
/// other member; a directed route from each <c>from</c> to every <c>to</c>. A target reached by
/// several routes gets the message once, by the first route in file order.
/// </summary>
public sealed class RouteTable
{
    private readonly Dictionary<EndpointRef, RouteTarget[]> _bySource;

    public RouteTable(IEnumerable<RouteConfig> routes)
    {
        var map = new Dictionary<EndpointRef, List<RouteTarget>>();
        foreach (var route in routes)
        {
            var pairs = route.Mirror.Count > 0
                ? route.Mirror.SelectMany(s => route.Mirror.Where(t => t != s).Select(t => (s, t)))
                : route.From.SelectMany(s => route.To.Where(t => t != s).Select(t => (s, t)));
            foreach (var (source, target) in pairs)
            {
                if (!map.TryGetValue(source, out var list))
                {
                    map[source] = list = [];
                }

                if (!list.Any(x => x.Target == target))
                {
                    list.Add(new RouteTarget(route, target));
                }
            }
        }

        _bySource = map.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
    }

    public IReadOnlyList<RouteTarget> TargetsOf(EndpointRef source) =>
        _bySource.TryGetValue(source, out var targets) ? targets : [];

    /// <summary>Every endpoint the routes name for a connector (what it must join, enter or watch).</summary>
    public static IReadOnlyList<EndpointRef> EndpointsOf(string connector, IEnumerable<RouteConfig> routes) =>
        routes.SelectMany(r => r.Mirror.Concat(r.From).Concat(r.To)).Where(e => e.Connector == connector).Distinct().ToArray();
}
