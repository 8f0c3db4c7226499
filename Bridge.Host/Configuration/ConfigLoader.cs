using System.Text.RegularExpressions;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Configuration;
using Bridge.Contracts.V1;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Bridge.Host.Configuration;

/// <summary>
/// Reads and validates a bridge YAML file. Every problem is collected with file, line, column and
/// key; a file with any error yields no configuration at all, so a bad file never starts a
/// half-configured bridge.
/// </summary>
public static partial class ConfigLoader
{
    private static readonly string[] TopLevelKeys = ["bus", "store", "telemetry", "health", "delivery", "connectors", "users", "routes"];
    private static readonly string[] RouteKeys = ["name", "mirror", "from", "to", "format", "relay"];
    private static readonly string[] Placeholders = ["source", "sender", "text", "route"];

    public static BridgeConfig LoadFile(string path, IEnumerable<IConnectorFactory> factories, Func<string, string?>? environment = null)
    {
        if (!System.IO.File.Exists(path))
        {
            throw new ConfigurationInvalidException([new ConfigError(path, 0, 0, "(file)", "file not found")]);
        }

        return Load(System.IO.File.ReadAllText(path), path, factories, environment);
    }

    /// <summary>Loads from text; throws <see cref="ConfigurationInvalidException"/> listing every error.</summary>
    public static BridgeConfig Load(string yaml, string file, IEnumerable<IConnectorFactory> factories, Func<string, string?>? environment = null)
    {
        var errors = new ConfigErrors();
        var config = TryLoad(yaml, file, factories, errors, environment);
        if (errors.Any || config is null)
        {
            throw new ConfigurationInvalidException(errors.All);
        }

        return config;
    }

    public static BridgeConfig? TryLoad(string yaml, string file, IEnumerable<IConnectorFactory> factories, ConfigErrors errors, Func<string, string?>? environment = null)
    {
        var references = new List<string>();
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(EnvironmentSubstitution.Protect(yaml, references)));
        }
        catch (YamlException ex)
        {
            errors.Add(file, (int)ex.Start.Line, (int)ex.Start.Column, "(syntax)", $"not valid YAML: {ex.InnerException?.Message ?? ex.Message}");
            return null;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner can fail this way on a document cut off in the middle of a flow collection.
            var lines = yaml.Split('\n').Length;
            errors.Add(file, lines, 1, "(syntax)", "not valid YAML: the file ends inside an unclosed [ ] or { } collection");
            return null;
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            errors.Add(file, 1, 1, "(root)", "the file must be a mapping with at least connectors: and routes:");
            return null;
        }

        var tree = new YamlTree(file, errors, environment ?? Environment.GetEnvironmentVariable, references);
        var sections = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach (var (k, v) in root.Children)
        {
            var key = (k as YamlScalarNode)?.Value ?? string.Empty;
            if (!TopLevelKeys.Contains(key))
            {
                tree.Error(k, key, $"unknown top-level key (expected one of: {string.Join(", ", TopLevelKeys)})");
                continue;
            }

            sections[key] = v;
        }

        var bus = ReadBus(tree, sections.GetValueOrDefault("bus"));
        var store = ReadStore(tree, sections.GetValueOrDefault("store"));
        var telemetry = ReadTelemetry(tree, sections.GetValueOrDefault("telemetry"));
        var health = ReadHealth(tree, sections.GetValueOrDefault("health"));
        var delivery = ReadDelivery(tree, sections.GetValueOrDefault("delivery"));
        var byType = factories.ToDictionary(f => f.Type, StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var connectors = ReadConnectors(tree, sections.GetValueOrDefault("connectors"), byType, names);
        var users = ReadUsers(tree, sections.GetValueOrDefault("users"), names);
        var routes = ReadRoutes(tree, sections.GetValueOrDefault("routes"), names);

        return errors.Any ? null : new BridgeConfig(file, bus, store, telemetry, health, delivery, connectors, users, routes);
    }

    private static BusConfig ReadBus(YamlTree tree, YamlNode? node)
    {
        var r = tree.Section(node, "bus");
        var transport = r.String("transport", "in-memory") switch
        {
            "in-memory" or "inmemory" or "memory" => BusTransport.InMemory,
            "rabbitmq" => BusTransport.RabbitMq,
            var other => Invalid(r, "transport", $"'{other}' is not a bus transport (rabbitmq or in-memory)", BusTransport.InMemory),
        };
        var rabbit = new RabbitMqConfig(
            r.String("rabbitmq.host", "localhost"),
            r.Int32("rabbitmq.port", 5672, 1, 65535),
            r.String("rabbitmq.virtualHost", "/"),
            r.String("rabbitmq.username", "guest"),
            r.OptionalSecret("rabbitmq.password") ?? new Secret("guest"),
            r.Bool("rabbitmq.ssl", false));
        var bus = new BusConfig(
            transport,
            rabbit,
            r.Int32("routePartitions", 1, 1, 256),
            r.Int32("deliveryPartitions", 1, 1, 256),
            r.Int32("prefetch", 4, 1, 10000),
            r.String("queuePrefix", "bridge"),
            r.Duration("recoveryWindow", TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(45), TimeSpan.FromHours(1)),
            r.Duration("sendTimeout", TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10)),
            r.Int32("maxBatch", 100, 1, 1000),
            r.Int32("maxBatchBytes", 2 << 20, 4096, 64 << 20),
            r.Int32("deliveryConcurrency", 2, 1, 16));
        r.ReportUnknownKeys();
        return bus;
    }

    private static StoreConfig ReadStore(YamlTree tree, YamlNode? node)
    {
        var r = tree.Section(node, "store");
        var provider = r.Enum("provider", StoreProvider.Sqlite);
        var path = r.String("path", "bridge.db");
        var cs = r.OptionalSecret("connectionString");
        var retention = r.Duration("retention", StoreConfig.DefaultRetention, TimeSpan.Zero, TimeSpan.FromDays(3650));
        if (retention > TimeSpan.Zero && retention < StoreConfig.MinimumRetention)
        {
            r.Error("retention", $"{retention.TotalMinutes.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)} min is too short: at least 1h (replies, edits and deletes of newer messages must still map), or 0 to keep everything");
            retention = StoreConfig.DefaultRetention;
        }

        if (provider == StoreProvider.Postgres)
        {
            r.Error("provider", "postgres is not available in this build yet; use sqlite (one instance per store file)");
        }

        r.ReportUnknownKeys();
        return new StoreConfig(provider, path, cs, retention);
    }

    private static TelemetryConfig ReadTelemetry(YamlTree tree, YamlNode? node)
    {
        var r = tree.Section(node, "telemetry");
        var otlp = r.Uri("otlp", required: false, "http", "https");
        var protocol = r.String("protocol", "grpc") switch
        {
            "grpc" => OtlpProtocol.Grpc,
            "http" or "http/protobuf" => OtlpProtocol.HttpProtobuf,
            var other => Invalid(r, "protocol", $"'{other}' is not an OTLP protocol (grpc or http/protobuf)", OtlpProtocol.Grpc),
        };
        var config = new TelemetryConfig(otlp, protocol, r.String("service", "bridge"), r.Bool("enabled", true));
        r.ReportUnknownKeys();
        return config;
    }

    private static HealthConfig ReadHealth(YamlTree tree, YamlNode? node)
    {
        var r = tree.Section(node, "health");
        var config = new HealthConfig(r.Bool("enabled", true), r.String("bind", "127.0.0.1"), r.Int32("port", 8088, 0, 65535));
        if (!System.Net.IPAddress.TryParse(config.Bind, out _) && config.Bind != "localhost")
        {
            r.Error("bind", $"'{config.Bind}' is not an IP address");
        }

        r.ReportUnknownKeys();
        return config;
    }

    private static DeliveryConfig ReadDelivery(YamlTree tree, YamlNode? node)
    {
        var r = tree.Section(node, "delivery");
        var config = new DeliveryConfig(
            r.Int32("retries", 5, 0, 100),
            r.Duration("retryDelay", TimeSpan.FromMilliseconds(200), TimeSpan.Zero, TimeSpan.FromMinutes(10)),
            r.Duration("maxRetryDelay", TimeSpan.FromSeconds(10), TimeSpan.Zero, TimeSpan.FromHours(1)),
            r.Duration("sendTimeout", TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(10)),
            r.Enum("outcomeEvents", OutcomeEvents.All))
        {
            OutcomeProbe = r.Duration("outcomeProbe", DeliveryConfig.DefaultOutcomeProbe, TimeSpan.Zero, TimeSpan.FromMinutes(10)),
            ConversationWindow = r.Int32("conversationWindow", DeliveryConfig.DefaultConversationWindow, 1, 1000),
        };
        r.ReportUnknownKeys();
        return config;
    }

    /// <summary>Reads the connectors; <paramref name="names"/> gets every well-formed name, even of a connector with errors, so routes naming it do not report it twice.</summary>
    private static List<ConnectorConfig> ReadConnectors(YamlTree tree, YamlNode? node, Dictionary<string, IConnectorFactory> factories, HashSet<string> names)
    {
        var result = new List<ConnectorConfig>();
        if (node is not YamlMappingNode map || map.Children.Count == 0)
        {
            tree.Error(node ?? new YamlScalarNode(), "connectors", "at least one connector is required");
            return result;
        }

        foreach (var (k, v) in map.Children)
        {
            var name = (k as YamlScalarNode)?.Value ?? string.Empty;
            var key = $"connectors.{name}";
            if (!ConnectorName().IsMatch(name))
            {
                tree.Error(k, key, "a connector name uses letters, digits, '-' and '_' and starts with a letter");
                continue;
            }

            if (!names.Add(name))
            {
                tree.Error(k, key, "connector name is used twice");
                continue;
            }

            if (v is not YamlMappingNode body)
            {
                tree.Error(v, key, "must be a mapping with at least type:");
                continue;
            }

            var values = tree.Flatten(body, key);
            var (line, column) = YamlTree.Position(k);
            if (!values.TryGetValue("type", out var type))
            {
                tree.Error(k, $"{key}.type", $"is required (one of: {string.Join(", ", factories.Keys.Order())})");
                continue;
            }

            if (!factories.TryGetValue(type.Text, out var factory))
            {
                tree.Errors.Add(tree.File, type.Line, type.Column, $"{key}.type", $"unknown connector type '{type.Text}' (known: {string.Join(", ", factories.Keys.Order())})");
                continue;
            }

            var settings = new ConnectorSettings(name, type.Text, tree.File, line, column, values);
            var options = factory.BindOptions(settings, tree.Errors);
            result.Add(new ConnectorConfig(name, type.Text, settings) { Options = options });
        }

        return result;
    }

    private static List<UserIdentity> ReadUsers(YamlTree tree, YamlNode? node, HashSet<string> connectors)
    {
        var result = new List<UserIdentity>();
        if (node is null)
        {
            return result;
        }

        if (node is not YamlSequenceNode seq)
        {
            tree.Error(node, "users", "must be a list of { <connector>: <user id>, name: <display name> }");
            return result;
        }

        for (var i = 0; i < seq.Children.Count; i++)
        {
            var key = $"users[{i}]";
            if (seq.Children[i] is not YamlMappingNode entry)
            {
                tree.Error(seq.Children[i], key, "must be a mapping of connector names to user ids");
                continue;
            }

            var ids = new Dictionary<string, string>(StringComparer.Ordinal);
            string? name = null;
            foreach (var (k, v) in entry.Children)
            {
                var connector = (k as YamlScalarNode)?.Value ?? string.Empty;
                var value = v is YamlScalarNode s ? tree.Scalar(s, $"{key}.{connector}") : null;
                if (connector == "name")
                {
                    name = value;
                }
                else if (!connectors.Contains(connector))
                {
                    tree.Error(k, $"{key}.{connector}", $"'{connector}' is not a configured connector");
                }
                else if (string.IsNullOrEmpty(value))
                {
                    tree.Error(v, $"{key}.{connector}", "must be a user id");
                }
                else
                {
                    ids[connector] = value;
                }
            }

            result.Add(new UserIdentity(ids, name));
        }

        return result;
    }

    private static List<RouteConfig> ReadRoutes(YamlTree tree, YamlNode? node, HashSet<string> connectors)
    {
        var result = new List<RouteConfig>();
        if (node is not YamlSequenceNode seq)
        {
            tree.Error(node ?? new YamlScalarNode(), "routes", "must be a list of routes (mirror: or from:/to:)");
            return result;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < seq.Children.Count; i++)
        {
            if (seq.Children[i] is not YamlMappingNode map)
            {
                tree.Error(seq.Children[i], $"routes[{i}]", "must be a mapping");
                continue;
            }

            var route = ReadRoute(tree, map, i, connectors);
            if (route is null)
            {
                continue;
            }

            if (!seen.Add(route.Name))
            {
                tree.Error(map, $"routes[{i}].name", $"route name '{route.Name}' is used twice");
            }

            result.Add(route);
        }

        return result;
    }

    private static RouteConfig? ReadRoute(YamlTree tree, YamlMappingNode map, int index, HashSet<string> connectors)
    {
        var name = $"route-{index + 1}";
        var key = $"routes[{index}]";
        var nodes = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach (var (k, v) in map.Children)
        {
            var field = (k as YamlScalarNode)?.Value ?? string.Empty;
            if (!RouteKeys.Contains(field))
            {
                tree.Error(k, $"{key}.{field}", $"unknown route key (expected one of: {string.Join(", ", RouteKeys)})");
                continue;
            }

            nodes[field] = v;
        }

        if (nodes.TryGetValue("name", out var n) && n is YamlScalarNode ns)
        {
            name = tree.Scalar(ns, $"{key}.name");
        }

        key = $"routes.{name}";
        var mirror = ReadEndpoints(tree, nodes.GetValueOrDefault("mirror"), $"{key}.mirror", connectors);
        var from = ReadEndpoints(tree, nodes.GetValueOrDefault("from"), $"{key}.from", connectors);
        var to = ReadEndpoints(tree, nodes.GetValueOrDefault("to"), $"{key}.to", connectors);
        var isMirror = nodes.ContainsKey("mirror");
        var isDirected = nodes.ContainsKey("from") || nodes.ContainsKey("to");
        if (isMirror == isDirected)
        {
            tree.Error(map, key, "a route has either mirror: (two or more endpoints) or from: and to:");
        }
        else if (isMirror && nodes["mirror"] is YamlSequenceNode { Children.Count: < 2 })
        {
            tree.Error(nodes["mirror"], $"{key}.mirror", "a mirror needs at least two endpoints");
        }
        else if (isDirected && (from.Count == 0 || to.Count == 0) && !(nodes.ContainsKey("from") && nodes.ContainsKey("to")))
        {
            tree.Error(map, key, "a directed route needs both from: and to:");
        }

        var format = RouteConfig.DefaultFormat;
        if (nodes.TryGetValue("format", out var f) && f is YamlScalarNode fs)
        {
            format = tree.Scalar(fs, $"{key}.format");
            foreach (Match m in PlaceholderPattern().Matches(format))
            {
                if (!Placeholders.Contains(m.Groups[1].Value))
                {
                    tree.Error(fs, $"{key}.format", $"unknown placeholder {{{m.Groups[1].Value}}} (known: {string.Join(", ", Placeholders.Select(p => "{" + p + "}"))})");
                }
            }
        }

        var relay = RouteConfig.DefaultRelay;
        if (nodes.TryGetValue("relay", out var rl))
        {
            relay = ReadRelay(tree, rl, $"{key}.relay");
        }

        return new RouteConfig(name, (int)map.Start.Line, mirror, from, to, format, relay);
    }

    private static HashSet<RelayKind> ReadRelay(YamlTree tree, YamlNode node, string key)
    {
        var set = new HashSet<RelayKind>();
        var items = node is YamlSequenceNode seq ? seq.Children : [node];
        foreach (var item in items)
        {
            var text = item is YamlScalarNode s ? tree.Scalar(s, key) : string.Empty;
            if (Enum.TryParse<RelayKind>(text, ignoreCase: true, out var kind) && Enum.IsDefined(kind))
            {
                set.Add(kind);
            }
            else
            {
                tree.Error(item, key, $"'{text}' is not a relay kind (one of: {string.Join(", ", Enum.GetNames<RelayKind>().Select(x => x.ToLowerInvariant()))})");
            }
        }

        return set;
    }

    /// <summary>Endpoints written as <c>- conn: kind/id</c>, <c>{conn: kind/id}</c> or <c>conn:kind/id</c>.</summary>
    private static List<EndpointRef> ReadEndpoints(YamlTree tree, YamlNode? node, string key, HashSet<string> connectors)
    {
        var result = new List<EndpointRef>();
        if (node is null)
        {
            return result;
        }

        if (node is not YamlSequenceNode seq)
        {
            tree.Error(node, key, "must be a list of endpoints like '- connector: room/123'");
            return result;
        }

        foreach (var item in seq.Children)
        {
            foreach (var (connector, path, at) in EndpointParts(tree, item, key))
            {
                if (!connectors.Contains(connector))
                {
                    tree.Error(at, key, $"'{connector}' is not a configured connector");
                    continue;
                }

                var endpoint = EndpointRef.TryParsePath(connector, path, out var error);
                if (endpoint is null)
                {
                    tree.Error(at, key, error!);
                    continue;
                }

                if (result.Contains(endpoint))
                {
                    tree.Error(at, key, $"{endpoint} is listed twice");
                    continue;
                }

                result.Add(endpoint);
            }
        }

        return result;
    }

    private static IEnumerable<(string Connector, string Path, YamlNode At)> EndpointParts(YamlTree tree, YamlNode item, string key)
    {
        switch (item)
        {
            case YamlMappingNode map:
                foreach (var (k, v) in map.Children)
                {
                    var path = v is YamlScalarNode s ? tree.Scalar(s, key) : string.Empty;
                    yield return ((k as YamlScalarNode)?.Value ?? string.Empty, path, k);
                }

                break;
            case YamlScalarNode scalar:
                var text = tree.Scalar(scalar, key);
                var colon = text.IndexOf(':', StringComparison.Ordinal);
                if (colon <= 0)
                {
                    tree.Error(scalar, key, $"'{text}' is not an endpoint (write connector: kind/id)");
                    yield break;
                }

                yield return (text[..colon].Trim(), text[(colon + 1)..].Trim(), scalar);
                break;
            default:
                tree.Error(item, key, "an endpoint is written 'connector: kind/id'");
                break;
        }
    }

    private static T Invalid<T>(SettingsReader reader, string key, string message, T fallback)
    {
        reader.Error(key, message);
        return fallback;
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_-]*$")]
    private static partial Regex ConnectorName();

    [GeneratedRegex(@"\{([^{}]*)\}")]
    private static partial Regex PlaceholderPattern();
}
