using System.Text.Json;
using System.Text.RegularExpressions;

namespace KernelSafety.EndToEnd.Tests;

/// <summary>A diagnostic a real build reported: from the compiler's SARIF error log (it includes info-level ones).</summary>
public sealed record BuildDiagnostic(string Id, string Level, string File, int Line, string Message)
{
    public override string ToString() => $"{File}({Line}): {Level} {Id}: {Message}";
}

public static partial class BuildDiagnostics
{
    /// <summary>Reads a SARIF 2.1 log written by `-p:ErrorLog=path,version=2.1`.</summary>
    public static IReadOnlyList<BuildDiagnostic> ReadSarif(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var diagnostics = new List<BuildDiagnostic>();
        foreach (var run in document.RootElement.GetProperty("runs").EnumerateArray())
        {
            if (!run.TryGetProperty("results", out var results))
            {
                continue;
            }

            foreach (var result in results.EnumerateArray())
            {
                var id = result.GetProperty("ruleId").GetString()!;
                var level = result.TryGetProperty("level", out var levelElement) ? levelElement.GetString()! : "warning";
                var message = result.TryGetProperty("message", out var messageElement) && messageElement.TryGetProperty("text", out var text)
                    ? text.GetString() ?? ""
                    : "";
                var file = "";
                var line = 0;
                if (result.TryGetProperty("locations", out var locations) && locations.GetArrayLength() > 0)
                {
                    var physical = locations[0].GetProperty("physicalLocation");
                    var uri = physical.GetProperty("artifactLocation").GetProperty("uri").GetString() ?? "";
                    file = Path.GetFileName(Uri.TryCreate(uri, UriKind.Absolute, out var absolute) ? absolute.LocalPath : uri);
                    line = physical.GetProperty("region").GetProperty("startLine").GetInt32();
                }

                var suppressed = result.TryGetProperty("suppressions", out var suppressions) && suppressions.GetArrayLength() > 0;
                if (!suppressed)
                {
                    diagnostics.Add(new BuildDiagnostic(id, level, file, line, message));
                }
            }
        }

        return diagnostics;
    }

    /// <summary>The `file(line,col): warning|error CODE: message` lines of a build's console output.</summary>
    public static IReadOnlyList<BuildDiagnostic> ReadConsole(string output)
        => ConsoleLine().Matches(output)
            .Select(m => new BuildDiagnostic(m.Groups["id"].Value, m.Groups["level"].Value, Path.GetFileName(m.Groups["file"].Value), int.Parse(m.Groups["line"].Value), m.Groups["message"].Value.Trim()))
            .Distinct()
            .ToList();

    /// <summary>Analyzer loading failures: the analyzers were dropped, every other check would be vacuous.</summary>
    public static IReadOnlyList<string> LoadFailures(string output)
        => output.Split('\n').Where(l => l.Contains("CS8032") || l.Contains("CS9057") || l.Contains("AD0001")).Select(l => l.Trim()).Distinct().ToList();

    [GeneratedRegex(@"^\s*(?<file>[^\s(][^(]*?)\((?<line>\d+),\d+\): (?<level>warning|error|info) (?<id>[A-Z]+\d+): (?<message>.*?)(\[[^\]]*\])?\s*$", RegexOptions.Multiline)]
    private static partial Regex ConsoleLine();
}
