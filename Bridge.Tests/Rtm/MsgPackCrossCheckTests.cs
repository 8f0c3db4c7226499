using System.Diagnostics;
using System.Text.Json.Nodes;
using Bridge.Connectors.Rtm.MsgPack;

namespace Bridge.Tests.Rtm;

/// <summary>
/// The codec against npm's msgpack-lite (the RTM JS SDK's codec, int64 on) on a generated corpus:
/// msgpack-lite's encoding equals ours byte for byte, it decodes our bytes to the same values, and
/// we decode its bytes to the same values. Needs <c>npm install</c> in tools/msgpack-crosscheck
/// (scripts/test.sh does it); without it the test fails, it does not skip.
/// </summary>
public sealed class MsgPackCrossCheckTests
{
    [Fact]
    public async Task Codec_matches_msgpack_lite_in_both_directions_on_1200_values()
    {
        var corpus = MsgPackCorpus.Generate(1200, seed: 7);
        var ours = corpus.Select(MsgPackCorpus.Encode).ToList();

        // Decode-only extras: float32, and integers in the smallest (server) format.
        var extras = new List<(byte[] Bytes, string Canon)>();
        foreach (var f in new[] { 1.5f, -0.25f, 3.4028235e38f, 0f, 1e-10f })
        {
            var value = MsgPackCorpus.Value("f32", f.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
            extras.Add((MsgPackCorpus.Encode(value), MsgPackCorpus.Canon(value)));
        }

        foreach (var n in MsgPackCorpus.Int64Boundaries)
        {
            extras.Add((MsgPackTree.Encode(n), "n:" + n.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        var request = new JsonObject
        {
            ["encode"] = new JsonArray(corpus.Select(c => (JsonNode)c.DeepClone()).ToArray()),
            ["decode"] = new JsonArray(ours.Concat(extras.Select(e => e.Bytes)).Select(b => (JsonNode)Convert.ToHexStringLower(b)).ToArray()),
        };
        var response = await RunNodeAsync(request.ToJsonString());
        var encoded = response["encoded"]!.AsArray();
        var decoded = response["decoded"]!.AsArray();
        Assert.Equal(corpus.Count, encoded.Count);
        Assert.Equal(corpus.Count + extras.Count, decoded.Count);

        var failures = new List<string>();
        for (var i = 0; i < corpus.Count; i++)
        {
            var expected = MsgPackCorpus.Canon(corpus[i]);
            var theirs = Convert.FromHexString((string)encoded[i]!);
            if (!theirs.AsSpan().SequenceEqual(ours[i]) && !HasBin255(corpus[i]))
            {
                var at = theirs.AsSpan().CommonPrefixLength(ours[i]);
                failures.Add($"#{i} {Short(corpus[i].ToJsonString())}: bytes differ at offset {at}: msgpack-lite …{Short(Convert.ToHexStringLower(theirs.AsSpan(Math.Max(0, at - 8))))} vs ours …{Short(Convert.ToHexStringLower(ours[i].AsSpan(Math.Max(0, at - 8))))}");
            }

            var weRead = MsgPackCorpus.Canon(MsgPackTree.Decode(theirs));
            if (weRead != expected)
            {
                failures.Add($"#{i}: we decoded msgpack-lite's bytes as {Short(weRead)}, expected {Short(expected)}");
            }

            var theyRead = MsgPackCorpus.Canon(decoded[i]);
            if (theyRead != expected)
            {
                failures.Add($"#{i}: msgpack-lite decoded our bytes as {Short(theyRead)}, expected {Short(expected)}");
            }
        }

        for (var i = 0; i < extras.Count; i++)
        {
            var theyRead = MsgPackCorpus.Canon(decoded[corpus.Count + i]);
            if (theyRead != extras[i].Canon)
            {
                failures.Add($"extra {Convert.ToHexStringLower(extras[i].Bytes)}: msgpack-lite read {theyRead}, expected {extras[i].Canon}");
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures.Take(20)));
    }

    /// <summary>
    /// msgpack-lite writes a 255-byte bin as bin16 (<c>length &lt; 0xFF</c> in its write-type.js); msgpack-c
    /// and the spec use bin8, and so do we. Both decoders read both; only these bytes may differ.
    /// </summary>
    private static bool HasBin255(JsonNode? node) => node switch
    {
        JsonObject o when (string?)o["t"] == "bin" => ((string)o["v"]!).Length == 510,
        JsonObject o when o["v"] is JsonArray a => a.Any(HasBin255),
        JsonArray a => a.Any(HasBin255),
        _ => false,
    };

    private static string Short(string text) => text.Length > 120 ? text[..120] + "…" : text;

    private static async Task<JsonObject> RunNodeAsync(string input)
    {
        var tool = Path.Combine(RepoRoot(), "tools", "msgpack-crosscheck");
        Assert.True(Directory.Exists(Path.Combine(tool, "node_modules", "msgpack-lite")),
            $"msgpack-lite is not installed: run 'npm install' in {tool} (scripts/test.sh does this before the tests)");
        var start = new ProcessStartInfo("node", [Path.Combine(tool, "crosscheck.js")])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = tool,
        };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Assert.Fail($"node is not available to run the msgpack-lite cross-check: {ex.Message}");
            throw;
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.StandardInput.WriteAsync(input);
            process.StandardInput.Close();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(process.ExitCode == 0, $"crosscheck.js failed ({process.ExitCode}): {await error}");
            return JsonNode.Parse(await output)!.AsObject();
        }
    }

    /// <summary>The repository root: the nearest ancestor of the test assembly holding tools/msgpack-crosscheck/package.json.</summary>
    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "tools", "msgpack-crosscheck", "package.json")))
            {
                return dir.FullName;
            }
        }

        Assert.Fail($"no tools/msgpack-crosscheck/package.json above {AppContext.BaseDirectory}");
        return string.Empty;
    }
}
