using Bridge.Contracts.V1;
using Bridge.Host.Configuration;
using Bridge.Host.Routing;

namespace Bridge.Tests.Host;

public class RoutingUnitTests
{
    private static EndpointRef E(string connector, EndpointKind kind, string id) => new(connector, kind, id);

    private static RouteConfig Route(string name, IReadOnlyList<EndpointRef>? mirror = null, IReadOnlyList<EndpointRef>? from = null, IReadOnlyList<EndpointRef>? to = null) =>
        new(name, 1, mirror ?? [], from ?? [], to ?? [], RouteConfig.DefaultFormat, RouteConfig.DefaultRelay);

    [Fact]
    public void A_mirror_sends_each_member_to_every_other_and_a_directed_route_only_from_its_sources()
    {
        var a = E("a", EndpointKind.Room, "1");
        var b = E("b", EndpointKind.Group, "2");
        var c = E("c", EndpointKind.User, "3");
        var table = new RouteTable([Route("m", mirror: [a, b]), Route("d", from: [c], to: [a])]);

        Assert.Equal([b], table.TargetsOf(a).Select(t => t.Target));
        Assert.Equal([a], table.TargetsOf(b).Select(t => t.Target));
        Assert.Equal([a], table.TargetsOf(c).Select(t => t.Target));
        Assert.Empty(table.TargetsOf(E("a", EndpointKind.Room, "9")));
    }

    [Fact]
    public void A_target_reached_by_two_routes_gets_the_message_once_by_the_first_route()
    {
        var a = E("a", EndpointKind.Room, "1");
        var b = E("b", EndpointKind.Room, "2");
        var table = new RouteTable([Route("first", mirror: [a, b]), Route("second", from: [a], to: [b])]);

        var target = Assert.Single(table.TargetsOf(a));
        Assert.Equal("first", target.Route.Name);
        Assert.Equal([a, b], RouteTable.EndpointsOf("a", [Route("x", mirror: [a, b])]).Concat(RouteTable.EndpointsOf("b", [Route("x", mirror: [a, b])])));
    }

    [Fact]
    public void The_template_fills_known_placeholders_and_leaves_others_as_written()
    {
        Assert.Equal("[rtm] Ann: hi (lobby) {other}", MessageFormatter.Apply("[{source}] {sender}: {text} ({route}) {other}", "rtm", "Ann", "hi", "lobby"));
        Assert.Equal("unclosed {text", MessageFormatter.Apply("unclosed {text", "s", "n", "t", "r"));
        var large = new string('x', 10_000);
        Assert.Equal($"<{large}>", MessageFormatter.Apply("<{text}>", "s", "n", large, "r"));
        Assert.Equal("s:n", MessageFormatter.Apply("{source}:{sender}", "s", "n", "t", "r"));
        var medium = new string('y', 3_000);
        Assert.Equal(medium + medium, MessageFormatter.Apply("{text}{text}", "s", "n", medium, "r"));
        Assert.Equal("[s] n", MessageFormatter.Apply("[{source}] {sender}", "s", "n", "t", "r"));
        Assert.Equal("{other}", MessageFormatter.Apply("{other}", "s", "n", "t", "r"));
        Assert.Equal("{}", MessageFormatter.Apply("{}", "s", "n", "t", "r"));
        Assert.Equal("{{text}", MessageFormatter.Apply("{{text}", "s", "n", "t", "r"));
        Assert.Equal("{{text}}", MessageFormatter.Apply("{{text}}", "s", "n", "t", "r"));
        Assert.Equal("r", MessageFormatter.Apply("{route}", "s", "n", "t", "r"));
        Assert.Equal(string.Empty, MessageFormatter.Apply("{text}", "s", "n", string.Empty, "r"));
        Assert.Equal(string.Empty, MessageFormatter.Apply(string.Empty, "s", "n", "t", "r"));
        var media = MessageFormatter.Format(MessageBody.Media(BodyKind.Image, "http://x/1.png", "1.png"), "{sender}: {text}", "s", "Ann", "r");
        Assert.Equal(BodyKind.Image, media.Kind);
        Assert.Equal("http://x/1.png", media.Url);
        Assert.Equal("Ann: 1.png", media.Text);
    }

    /// <summary>A 60 KB text is 120 KB of characters: "{text}" must not copy it once more per target.</summary>
    [Fact]
    public void A_template_of_one_placeholder_passes_the_value_through_without_a_copy()
    {
        var large = new string('z', 60_000);
        Assert.Same(large, MessageFormatter.Apply("{text}", "s", "n", large, "r"));
        var body = MessageFormatter.Format(MessageBody.FromText(large), "{text}", "s", "Ann", "r");
        Assert.Same(large, body.Text);
        Assert.Equal($"{large}!", MessageFormatter.Apply("{text}!", "s", "n", large, "r"));
    }

    [Fact]
    public void Users_map_names_and_ids_across_connectors()
    {
        var users = new UserDirectory([new UserIdentity(new Dictionary<string, string> { ["rtm"] = "123", ["glide"] = "1001" }, "Alice")]);
        Assert.Equal("Alice", users.DisplayName(new Participant("rtm", "123", "al")));
        Assert.Equal("bob", users.DisplayName(new Participant("rtm", "999", "bob")));
        Assert.Equal("999", users.DisplayName(new Participant("rtm", "999")));
        Assert.Equal("1001", users.IdOn(new Participant("rtm", "123"), "glide"));
        Assert.Null(users.IdOn(new Participant("rtm", "123"), "pbim"));
    }

    /// <summary>
    /// Ids and keys must not change between builds: a redelivered push after an upgrade has to get
    /// the same event id, a retried send the same key. Expected values: SHA-256 of the documented
    /// texts, computed outside .NET; long texts and non-ASCII ids included.
    /// </summary>
    [Theory]
    [InlineData("erl", "0f8e7d6c5b4a39281706f5e4d3c2b1a0", "283134d3-d117-5e56-b513-4e74bea9adc4")]
    [InlineData("glide", "u1:你好", "d75a3dea-d955-5f1a-a825-e0eb8b1c1fef")]
    [InlineData("pbim", null, "be246e83-7c30-594a-a683-cea2a80aba4b")]
    public void Event_ids_are_the_same_as_in_earlier_builds(string connector, string? nativeKey, string expected) =>
        Assert.Equal(Guid.Parse(expected), EventIds.ForIngest(connector, nativeKey ?? new string('x', 600)));

    [Theory]
    [InlineData(DeliveryAction.Post, "rtm-main", EndpointKind.Room, "1001", "265ac10694cbbc78bf81677030a4a11a")]
    [InlineData(DeliveryAction.Edit, "glide", EndpointKind.User, "用户", "e634bdfda16176ea58c13f4c2e80d3ee")]
    [InlineData(DeliveryAction.Delete, "xnest", EndpointKind.Group, null, "68819a32072b6b2380919b50a1fd560a")]
    public void Idempotency_keys_are_the_same_as_in_earlier_builds(DeliveryAction action, string connector, EndpointKind kind, string? nativeId, string expected)
    {
        var eventId = Guid.Parse("6f1c2b1e-8d2a-4c55-9a6e-1f3b2a4c5d6e");
        Assert.Equal(expected, EventIds.IdempotencyKey(eventId, action, E(connector, kind, nativeId ?? new string('r', 600))));
    }

    [Fact]
    public void An_idempotency_key_allocates_the_key_alone_and_an_event_id_nothing()
    {
        var eventId = Guid.Parse("6f1c2b1e-8d2a-4c55-9a6e-1f3b2a4c5d6e");
        var target = E("rtm-main", EndpointKind.Room, "1001");
        var key = string.Empty;
        var id = Guid.Empty;

        var forKey = Bridge.Tests.Infrastructure.Allocations.Of(() => key = EventIds.IdempotencyKey(eventId, DeliveryAction.Post, target));
        var forId = Bridge.Tests.Infrastructure.Allocations.Of(() => id = EventIds.ForIngest("erl", "0f8e7d6c5b4a39281706f5e4d3c2b1a0"));

        Assert.Equal("265ac10694cbbc78bf81677030a4a11a", key);
        Assert.Equal(Guid.Parse("283134d3-d117-5e56-b513-4e74bea9adc4"), id);
        Assert.True(forKey <= Bridge.Tests.Infrastructure.Allocations.StringBytes(32), $"the key allocated {forKey} B");
        Assert.Equal(0, forId);
    }

    [Fact]
    public void Event_ids_and_idempotency_keys_are_deterministic_and_fit_every_backend()
    {
        var id = EventIds.ForIngest("rtm", "3/1001/7/42");
        Assert.Equal(id, EventIds.ForIngest("rtm", "3/1001/7/42"));
        Assert.NotEqual(id, EventIds.ForIngest("rtm2", "3/1001/7/42"));
        Assert.Equal(5, id.ToByteArray(bigEndian: true)[6] >> 4);

        var target = E("erl", EndpointKind.Group, "7");
        var key = EventIds.IdempotencyKey(id, DeliveryAction.Post, target);
        Assert.Matches("^[0-9a-f]{32}$", key);
        Assert.Equal(key, EventIds.IdempotencyKey(id, DeliveryAction.Post, target));
        Assert.NotEqual(key, EventIds.IdempotencyKey(id, DeliveryAction.Delete, target));
        Assert.NotEqual(key, EventIds.IdempotencyKey(id, DeliveryAction.Post, E("erl", EndpointKind.Group, "8")));
        Assert.InRange(EventIds.ToPositiveInt64(key), 0, long.MaxValue);
    }

    [Theory]
    [InlineData("7")]
    [InlineData("a conversation id far longer than the stack buffer the key is hashed from, repeated: ")]
    public void Idempotency_keys_stay_what_earlier_bridges_derived(string conversation)
    {
        // Keys go to the backends as client-side ids: a redelivery after an upgrade must carry the same one.
        var id = EventIds.ForIngest("rtm", "3/1001/7/42");
        var target = E("erl", EndpointKind.Group, conversation.Length > 1 ? string.Concat(Enumerable.Repeat(conversation + "Ünï ", 20)) : conversation);
        var earlier = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"deliver\n{id:N}\nEdit\n{target}")).AsSpan(0, 16));
        Assert.Equal(earlier, EventIds.IdempotencyKey(id, DeliveryAction.Edit, target));

        // Event ids and RTM mids too: the store and the backends hold the ones earlier bridges made.
        var name = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"ingest\nrtm\n{target.NativeId}")).AsSpan(0, 16).ToArray();
        name[6] = (byte)((name[6] & 0x0F) | 0x50);
        name[8] = (byte)((name[8] & 0x3F) | 0x80);
        Assert.Equal(new Guid(name, bigEndian: true), EventIds.ForIngest("rtm", target.NativeId));
        var mid = BitConverter.ToUInt64(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("int64\n" + target.NativeId))) & 0x7FFF_FFFF_FFFF_FFFFUL;
        Assert.Equal((long)mid, EventIds.ToPositiveInt64(target.NativeId));
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("${SET}", "value")]
    [InlineData("a-${SET}-b", "a-value-b")]
    [InlineData("${UNSET:-fallback}", "fallback")]
    [InlineData("$${SET}", "${SET}")]
    public void Environment_references_resolve_with_defaults_and_escapes(string text, string expected)
    {
        var references = new List<string>();
        var missing = new List<string>();
        var protectedText = EnvironmentSubstitution.Protect(text, references);
        var resolved = EnvironmentSubstitution.Resolve(protectedText, references, name => name == "SET" ? "value" : null, missing);
        Assert.Equal(expected, resolved);
        Assert.Empty(missing);
    }

    [Fact]
    public void An_unset_reference_without_default_is_reported()
    {
        var references = new List<string>();
        var missing = new List<string>();
        EnvironmentSubstitution.Resolve(EnvironmentSubstitution.Protect("${NOPE}", references), references, _ => null, missing);
        Assert.Equal(["NOPE"], missing);
    }
}
