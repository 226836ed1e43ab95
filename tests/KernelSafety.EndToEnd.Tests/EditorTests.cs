using System.Diagnostics;
using System.Text.Json.Nodes;

namespace KernelSafety.EndToEnd.Tests;

/// <summary>
/// The editor check: csharp-ls (the local tool in .config/dotnet-tools.json) loads the restored sample copy,
/// runs the package's analyzers and publishes the KS diagnostics over LSP.
/// </summary>
public sealed partial class EndToEndTests
{
    private static readonly TimeSpan EditorTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Editor_CsharpLs_PublishesTheKsDiagnosticsOverLsp()
    {
        var build = await workspace.OriginalBuild;
        Assert.True(build.Process.ExitCode == 0, build.Process.ToString());

        var restore = await ProcessRunner.DotNetAsync(workspace.RepositoryRoot, TimeSpan.FromMinutes(2), null, "tool", "restore");
        workspace.Record("dotnet tool restore (csharp-ls)", restore.Duration);
        Assert.True(restore.ExitCode == 0, restore.ToString());

        var stopwatch = Stopwatch.StartNew();
        await using var client = LspClient.Start(ProcessRunner.DotNet, ["tool", "run", "csharp-ls", "--", "--loglevel", "info"], workspace.RepositoryRoot);
        var rootUri = new Uri(build.Directory + Path.DirectorySeparatorChar).AbsoluteUri;
        await client.RequestAsync("initialize", new JsonObject
        {
            ["processId"] = Environment.ProcessId,
            ["rootUri"] = rootUri,
            ["rootPath"] = build.Directory,
            ["workspaceFolders"] = new JsonArray(new JsonObject { ["uri"] = rootUri, ["name"] = "LegacyBridge" }),
            ["capabilities"] = new JsonObject
            {
                ["workspace"] = new JsonObject { ["configuration"] = true, ["workspaceFolders"] = true },
                ["textDocument"] = new JsonObject
                {
                    ["publishDiagnostics"] = new JsonObject(),
                    ["diagnostic"] = new JsonObject { ["dynamicRegistration"] = false },
                },
            },
        }, EditorTimeout);
        await client.NotifyAsync("initialized", new JsonObject());

        string[] files = [ExpectedDiagnostics.Managed, ExpectedDiagnostics.Native];
        foreach (var file in files)
        {
            var path = Path.Combine(build.Directory, file);
            await client.NotifyAsync("textDocument/didOpen", new JsonObject
            {
                ["textDocument"] = new JsonObject
                {
                    ["uri"] = new Uri(path).AbsoluteUri,
                    ["languageId"] = "csharp",
                    ["version"] = 1,
                    ["text"] = await File.ReadAllTextAsync(path),
                },
            });
        }

        // What the editor must show: what the command-line build reported of the table (KS0007 included).
        var wanted = ResolveExpected()
            .Where(e => LandedRules.Analyzers.Contains(e.Expected.Rule))
            .Where(e => build.KernelSafety.Any(d => d.Id == e.Expected.Rule && d.File == e.Expected.File && d.Line == e.Line))
            .Select(e => (e.Expected.Rule, e.Expected.File, e.Line)).ToHashSet();
        var seen = new HashSet<(string Rule, string File, int Line)>();
        var all = new Dictionary<string, IReadOnlyList<EditorDiagnostic>>();
        TimeSpan? firstKs = null;
        while (stopwatch.Elapsed < EditorTimeout)
        {
            foreach (var file in files)
            {
                IReadOnlyList<EditorDiagnostic> diagnostics = client.Published(file);
                try
                {
                    var pulled = await client.RequestAsync("textDocument/diagnostic", new JsonObject
                    {
                        ["textDocument"] = new JsonObject { ["uri"] = new Uri(Path.Combine(build.Directory, file)).AbsoluteUri },
                    }, TimeSpan.FromSeconds(30));
                    diagnostics = [.. diagnostics, .. LspClient.ParseDiagnostics(file, pulled?["items"] as JsonArray)];
                }
                catch (Exception e) when (e is InvalidOperationException or TimeoutException)
                {
                    // Not ready yet (or pull unsupported): rely on what was published.
                }

                all[file] = diagnostics;
                foreach (var d in diagnostics.Where(d => d.Code.StartsWith("KS", StringComparison.Ordinal)))
                {
                    seen.Add((d.Code, d.File, d.Line));
                }
            }

            if (firstKs is null && seen.Count > 0)
            {
                firstKs = stopwatch.Elapsed;
                workspace.Record("csharp-ls: start to first KS diagnostic", stopwatch.Elapsed);
            }

            var anyDiagnostics = all.Values.Any(list => list.Count > 0);
            if (wanted.IsSubsetOf(seen) && (wanted.Count > 0 || anyDiagnostics))
            {
                break;
            }

            await Task.Delay(TimeSpan.FromSeconds(2));
        }

        workspace.Record("csharp-ls: start to all KS diagnostics", stopwatch.Elapsed);
        Log($"csharp-ls after {stopwatch.Elapsed.TotalSeconds:F1}s:\n"
            + string.Join("\n", all.SelectMany(kv => kv.Value).Distinct().Select(d => "  " + d))
            + $"\nstderr (tail):\n{string.Join("\n", client.StdErr.Split('\n').TakeLast(15))}");

        var missing = wanted.Except(seen).ToList();
        Assert.True(missing.Count == 0, $"csharp-ls did not publish: {string.Join(", ", missing)}");
        if (wanted.Count == 0)
        {
            Log("No KS analyzer has landed yet: checked only that csharp-ls loads the sample and answers with diagnostics.");
            Assert.True(all.Values.Any(list => list.Count > 0), "csharp-ls published no diagnostics at all for the sample");
        }
    }
}
