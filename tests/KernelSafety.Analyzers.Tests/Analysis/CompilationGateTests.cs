using System.Collections.Immutable;
using KernelSafety.Analyzers.Tests.Robustness;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Diagnostics.Telemetry;
using Microsoft.CodeAnalysis.Text;

namespace KernelSafety.Analyzers.Tests.Analysis;

/// <summary>
/// A rule registers nothing in a compilation none of whose trees spells a name its findings start from: no operation
/// callback, no symbol-start action (whose per-member bookkeeping the driver keeps for every type). What it registers is
/// read from the driver's own telemetry, so these fail if a rule registers anyway.
/// </summary>
public class CompilationGateTests
{
    /// <summary>Ordinary code that spells no rule's name (no copy, connect, send, write, port or static buffer).</summary>
    private const string Plain = """
        using System;
        using System.Collections.Generic;
        using System.Linq;
        using System.Text;

        namespace Plain;

        public sealed record Item(int Id, string Name, decimal Price);

        public sealed class Catalog
        {
            private readonly Dictionary<int, Item> _items = new();
            private static readonly int[] Weights = { 3, 5, 7 };

            public void Add(int id, string name, decimal price) => _items[id] = new Item(id, name.Trim(), Math.Round(price, 2));

            public IReadOnlyList<Item> Search(string text) => _items.Values.Where(x => x.Name.Contains(text)).OrderBy(x => x.Id).ToList();

            public int Checksum(int[] values)
            {
                var sum = 0;
                for (var k = 0; k < values.Length; k++)
                {
                    sum = unchecked(sum * 31 + values[k] * Weights[k % Weights.Length]);
                }

                return sum;
            }

            public string Render()
            {
                var sb = new StringBuilder();
                foreach (var item in _items.Values)
                {
                    sb.Append(item.Id).Append(';').AppendLine(item.Name);
                }

                return sb.ToString();
            }
        }
        """;

    [Fact]
    public async Task No_rule_registers_anything_in_code_that_spells_none_of_their_names()
    {
        var registered = await RegisteredAsync(Plain);
        Assert.Equal(7, registered.Count);
        Assert.All(registered, pair => Assert.True(pair.Value == 0, $"{pair.Key} registered {pair.Value} actions besides its compilation start"));
    }

    [Theory]
    [InlineData("class B { void M(byte[] a, byte[] b) { System.Buffer.BlockCopy(a, 0, b, 0, a.Length); } }", "KS0001")]
    [InlineData("class B { void M(System.Span<byte> a, System.Span<byte> b) => a.CopyTo(b); }", "KS0001")]
    [InlineData("class B { static byte[] msg = new byte[80]; void M() { msg[0] = 1; } }", "KS0006")]
    [InlineData("struct B { public ushort sin_port; }", "KS0003")]
    [InlineData("class B { void M(System.Net.Sockets.Socket s) => s.Connect(\"localhost\", 1); }", "KS0002,KS0003,KS0007")]
    [InlineData("class B { void M(System.Net.Sockets.Socket s, byte[] b) => s.Send(b); }", "KS0003,KS0004,KS0005")]
    [InlineData("class B { void M(System.IO.Stream s, byte[] b) => s.Write(b); }", "KS0003,KS0004")]
    [InlineData("// a comment that mentions memcpy", "KS0001")]
    public async Task A_rule_registers_when_one_tree_spells_one_of_its_names(string other, string rules)
    {
        var registered = await RegisteredAsync(Plain, other);
        var expected = rules.Split(',');
        foreach (var (id, count) in registered)
        {
            if (expected.Contains(id))
            {
                Assert.True(count > 0, $"{id} registered nothing although the other tree spells one of its names");
            }
            else
            {
                Assert.True(count == 0, $"{id} registered {count} actions although no tree spells one of its names");
            }
        }
    }

    [Theory]
    [InlineData("class B { void M(System.Net.Sockets.Socket s, byte[] b) => s.Send(b); }", false)]
    [InlineData("class B { [System.Runtime.InteropServices.DllImport(\"libc\")] static extern nint send(int fd, byte[] b, nint n, int f); void M(byte[] b) => send(3, b, b.Length, 0); }", false)]
    [InlineData("class B { void M(System.Net.Sockets.Socket s, byte[] b) { s.Blocking = false; s.Send(b); } }", true)]
    [InlineData("class B { void M(System.Net.Sockets.Socket s, byte[] b) => s.Send(b); } class C { bool Blocking; }", true)]
    public async Task KS0005_keeps_state_per_type_only_where_a_tree_spells_Blocking(string other, bool perType)
    {
        // Only a socket made non-blocking needs the end of its type; without one the sends are decided where they are, and
        // the driver keeps no per-type bookkeeping for KS0005.
        var telemetry = await RuleTelemetryAsync("KS0005", Plain, other);
        // The telemetry counts the symbol-start actions run (one per type); operation actions registered by them are not
        // counted as the compilation's.
        if (perType)
        {
            Assert.True(telemetry.SymbolStartActionsCount > 0, "KS0005 kept no state per type although a tree spells Blocking");
        }
        else
        {
            Assert.Equal(0, telemetry.SymbolStartActionsCount);
            Assert.True(telemetry.OperationActionsCount > 0, "KS0005 registered no operation action although a tree spells a send");
        }
    }

    [Fact]
    public async Task The_next_compilation_finds_what_an_added_tree_brings()
    {
        // An editor makes a new compilation for each edit, and the source index reuses the scans of unchanged trees:
        // the first copy typed into a project that had none must be analyzed.
        var references = await AnalysisHarness.GetReferencesAsync();
        var before = AnalysisHarness.Compile([("Plain.cs", Plain)], references);
        var (none, failures) = await AnalysisHarness.AnalyzeAsync(before);
        Assert.Empty(failures);
        Assert.Empty(none);

        var copy = CSharpSyntaxTree.ParseText(
            """
            class Device
            {
                private readonly byte[] _msg = new byte[80];

                public void Write(byte[] buff) => System.Buffer.BlockCopy(buff, 0, _msg, 0, 80);
            }
            """,
            (CSharpParseOptions)before.SyntaxTrees.First().Options,
            "Device.cs");
        var after = before.AddSyntaxTrees(copy);
        var (found, failuresAfter) = await AnalysisHarness.AnalyzeAsync(after);
        Assert.Empty(failuresAfter);
        var diagnostic = Assert.Single(found);
        Assert.Equal("KS0001", diagnostic.Id);
        Assert.Equal("Device.cs", diagnostic.Location.SourceTree!.FilePath);
        Assert.Equal(new LinePosition(4, 38), diagnostic.Location.GetLineSpan().StartLinePosition);
    }

    /// <summary>Per rule, how many actions it registered besides its compilation-start action.</summary>
    private static async Task<Dictionary<string, int>> RegisteredAsync(params string[] sources)
    {
        var result = new Dictionary<string, int>();
        foreach (var (id, telemetry) in await TelemetryAsync(sources))
        {
            Assert.Equal(1, telemetry.CompilationStartActionsCount);
            result[id] = telemetry.OperationActionsCount + telemetry.SymbolStartActionsCount
                + telemetry.SymbolActionsCount + telemetry.SymbolEndActionsCount + telemetry.OperationBlockStartActionsCount
                + telemetry.OperationBlockActionsCount + telemetry.SyntaxNodeActionsCount + telemetry.SyntaxTreeActionsCount
                + telemetry.SemanticModelActionsCount + telemetry.CompilationActionsCount + telemetry.CompilationEndActionsCount
                + telemetry.CodeBlockStartActionsCount + telemetry.CodeBlockActionsCount;
        }

        return result;
    }

    /// <summary>One rule's telemetry from analyzing <paramref name="sources"/> with all the rules.</summary>
    private static async Task<AnalyzerTelemetryInfo> RuleTelemetryAsync(string id, params string[] sources)
        => (await TelemetryAsync(sources))[id];

    /// <summary>Each rule's telemetry (what it registered) from analyzing <paramref name="sources"/> with all the rules.</summary>
    private static async Task<Dictionary<string, AnalyzerTelemetryInfo>> TelemetryAsync(params string[] sources)
    {
        var references = await AnalysisHarness.GetReferencesAsync();
        var compilation = AnalysisHarness.Compile(sources.Select((text, i) => ($"File{i}.cs", text)), references);
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));

        var analyzers = AnalysisHarness.Analyzers;
        var withAnalyzers = compilation.WithAnalyzers(
            analyzers,
            new CompilationWithAnalyzersOptions(new AnalyzerOptions([]), onAnalyzerException: null, concurrentAnalysis: false, logAnalyzerExecutionTime: true));
        var diagnostics = await withAnalyzers.GetAnalyzerDiagnosticsAsync();
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");

        var result = new Dictionary<string, AnalyzerTelemetryInfo>();
        foreach (var analyzer in analyzers)
        {
            result[analyzer.SupportedDiagnostics[0].Id] = await withAnalyzers.GetAnalyzerTelemetryInfoAsync(analyzer, CancellationToken.None);
        }

        return result;
    }
}
