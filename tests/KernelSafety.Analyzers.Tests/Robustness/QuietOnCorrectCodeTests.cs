using KernelSafety.Testing.Corpus;
using Xunit.Abstractions;

namespace KernelSafety.Analyzers.Tests.Robustness;

/// <summary>
/// A false warning costs more than a missed one. Correct socket and interop code — generated in bulk,
/// plus KernelSafety's own runtime library and the device bridge sample, which are written to be correct —
/// must produce no KernelSafety diagnostic. Every diagnostic found is printed so it can be judged.
/// </summary>
public class QuietOnCorrectCodeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Generated_correct_socket_and_interop_code_has_no_diagnostics()
    {
        var references = await AnalysisHarness.GetReferencesAsync();
        var files = CorpusGenerator.Generate(CorpusKind.CorrectSockets, 20_000, seed: 5);
        var compilation = AnalysisHarness.Compile(files, references);
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error).Take(5).ToList();
        Assert.True(errors.Count == 0, "the generated corpus must compile: " + string.Join("\n", errors));

        var (diagnostics, failures) = await AnalysisHarness.AnalyzeAsync(compilation);
        Report(files.Count, diagnostics);
        Assert.Empty(failures);
        Assert.Empty(diagnostics);
    }

    [Fact]
    public async Task The_runtime_library_and_device_bridge_have_no_diagnostics()
    {
        var root = RuleCatalogTests.RepositoryRoot();
        var files = AnalysisHarness.ReadSources(Path.Combine(root, "src", "KernelSafety.Runtime"), Path.Combine(root, "samples", "DeviceBridge"));
        if (files.Count == 0)
        {
            return;
        }

        var globalUsings = ("GlobalUsings.cs", string.Join("\n", new[] { "System", "System.IO", "System.Linq", "System.Collections.Generic", "System.Threading", "System.Threading.Tasks", "System.Net.Http" }.Select(n => $"global using global::{n};")));
        var compilation = AnalysisHarness.Compile(files.Append(globalUsings), await AnalysisHarness.GetReferencesAsync());
        var (diagnostics, failures) = await AnalysisHarness.AnalyzeAsync(compilation);
        Report(files.Count, diagnostics);
        Assert.Empty(failures);
        Assert.Empty(diagnostics);
    }

    /// <summary>
    /// Hand-written correct code in the styles of real projects (QuietCode/*/MANIFEST.md lists its look-alikes of each
    /// rule and why each is correct): managed socket clients and servers, libc interop and device files, buffers and
    /// binary serialization, device-to-socket bridges done right, .NET Framework-era socket code (APM, byte[] +
    /// offset + count), wire-protocol clients (RESP, MQTT, DNS, SNTP, Modbus, WebSocket, syslog, PROXY v2), game-style UDP
    /// (reliable UDP, fragmentation, NAT punching, codecs, pcap) and reusable library wrappers (buffered and framing
    /// streams, SOCKS5, StatsD, native sockets). Each folder is compiled on its own, as the project it was written and built as.
    /// </summary>
    [Theory]
    [InlineData("Sockets")]
    [InlineData("Interop")]
    [InlineData("Buffers")]
    [InlineData("Bridges")]
    [InlineData("Legacy")]
    [InlineData("Protocols")]
    [InlineData("GameNet")]
    [InlineData("Library")]
    public async Task Handwritten_correct_code_has_no_diagnostics(string folder)
    {
        var root = RuleCatalogTests.RepositoryRoot();
        var directory = Path.Combine(root, "tests", "KernelSafety.Analyzers.Tests", "QuietCode", folder);
        var files = AnalysisHarness.ReadSources(directory);
        Assert.True(files.Count >= 5, $"expected the hand-written sources in {directory}");

        var compilation = AnalysisHarness.Compile(files, await AnalysisHarness.GetReferencesAsync());
        // CS8795: a [LibraryImport] method's implementation comes from the SDK's source generator, which a compilation
        // made here does not run; its declaration is what the rules read.
        var errors = compilation.GetDiagnostics()
            .Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error && d.Id != "CS8795")
            .Take(5)
            .ToList();
        Assert.True(errors.Count == 0, "the hand-written code must compile, or the rules see unresolved symbols: " + string.Join("\n", errors));

        var (diagnostics, failures) = await AnalysisHarness.AnalyzeAsync(compilation);
        Report(files.Count, diagnostics);
        Assert.Empty(failures);
        Assert.Empty(diagnostics);
    }

    private void Report(int fileCount, IReadOnlyCollection<Microsoft.CodeAnalysis.Diagnostic> diagnostics)
    {
        output.WriteLine($"{fileCount} files, {diagnostics.Count} KernelSafety diagnostics");
        foreach (var d in diagnostics)
        {
            output.WriteLine(d.ToString());
        }
    }
}
