using KernelSafety.Analyzers.Analysis;
using KernelSafety.Analyzers.Tests.Robustness;
using KernelSafety.Testing.Corpus;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace KernelSafety.Analyzers.Tests.Analysis;

/// <summary>
/// <see cref="Definitions"/> answers "what does this variable hold here" without path facts when the body leaves no
/// doubt, and the guard analysis trusts that answer in place of <see cref="PathFacts"/> (sizes, caller-supplied counts).
/// Wherever it answers, it must give what the path facts give: the same definition, and no clamp. Checked at every read
/// of a local or parameter in real code (the hand-written correct code, both samples) and in generated code with the
/// listing's bugs.
/// </summary>
public class DefinitionsTests
{
    /// <summary>Each folder of hand-written correct code (compiled on its own, as it was written), the runtime and samples, and generated code.</summary>
    public static TheoryData<string> Sources => new()
    {
        "QuietCode/Sockets", "QuietCode/Interop", "QuietCode/Buffers", "QuietCode/Bridges", "QuietCode/Legacy", "QuietCode/Protocols",
        "QuietCode/GameNet", "QuietCode/Library", "runtime and samples", "corpus", "long method", "long flat method",
    };

    [Theory]
    [MemberData(nameof(Sources))]
    public async Task Answers_without_path_facts_agree_with_path_facts(string source)
    {
        var compilation = AnalysisHarness.Compile(Files(source), await AnalysisHarness.GetReferencesAsync());
        if (source != "runtime and samples")
        {
            // The code must compile, or the analyses read invalid operations. CS8795: a [LibraryImport] method's
            // implementation comes from the SDK's source generator, which is not run here.
            Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error && d.Id != "CS8795"));
        }

        var (answered, _, disagreements) = Compare(compilation);
        Assert.True(answered > 100, $"only {answered} reads were answered without path facts: the sources were not read");
        Assert.True(disagreements.Count == 0, string.Join("\n", disagreements.Take(20)));
    }

    /// <summary>
    /// A method call on a variable of a value type may pass it by reference (an extension method declared <c>ref this</c>),
    /// which the path facts count as an assignment; a property read or a call on a reference does not.
    /// </summary>
    [Fact]
    public async Task A_call_that_may_take_a_struct_by_reference_is_an_assignment()
    {
        const string Code = """
            using System;

            static class Cursor
            {
                public static void Skip(ref this int position, int count) => position += count;
                public static bool Take(ref this ReadOnlySpan<byte> span, out byte value)
                {
                    value = span.Length > 0 ? span[0] : (byte)0;
                    span = span.Length > 0 ? span.Slice(1) : span;
                    return span.Length > 0;
                }
            }

            class Reader
            {
                int Read(byte[] data, int start)
                {
                    int position = start;
                    position.Skip(2);
                    ReadOnlySpan<byte> rest = data;
                    rest.Take(out var first);
                    var array = data;
                    var copy = array.Clone();
                    ReadOnlySpan<byte> whole = data;
                    return position + rest.Length + first + array.Length + whole.Length + whole.IndexOf((byte)0) + (copy is null ? 0 : 1);
                }
            }
            """;
        var (_, names, disagreements) = Compare(AnalysisHarness.Compile([("Reader.cs", Code)], await AnalysisHarness.GetReferencesAsync()));
        Assert.True(disagreements.Count == 0, string.Join("\n", disagreements));

        // Answered: the parameters nothing assigns, 'array' and 'copy' (calls on references), 'whole' (its calls take it by
        // value: the body's one walk tells). Not 'position' or 'rest', which the extension methods take by reference,
        // nor the parameters the extension methods assign.
        Assert.Equal(["array", "copy", "count", "data", "start", "whole"], names.Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// Asks <see cref="Definitions"/> at every read of a local or parameter in every body, and compares each answer with the
    /// path facts there: how many it answered, the variables it answered for, and every disagreement.
    /// </summary>
    private static (int Answered, HashSet<string> Names, List<string> Disagreements) Compare(Compilation compilation)
    {
        var answered = 0;
        var names = new HashSet<string>(StringComparer.Ordinal);
        var disagreements = new List<string>();
        foreach (var tree in compilation.SyntaxTrees)
        {
            var model = compilation.GetSemanticModel(tree);
            foreach (var body in tree.GetRoot().DescendantNodes().Where(IsExecutable))
            {
                if (model.GetOperation(body) is not { } root)
                {
                    continue;
                }

                foreach (var use in root.DescendantsAndSelf())
                {
                    ISymbol? variable = use switch
                    {
                        ILocalReferenceOperation local => local.Local,
                        IParameterReferenceOperation parameter => parameter.Parameter,
                        _ => null,
                    };
                    if (variable is null || !Definitions.TryGetWithoutPath(variable, use, out var assigned, out var value))
                    {
                        continue;
                    }

                    answered++;
                    names.Add(variable.Name);
                    var facts = PathFacts.At(use, CancellationToken.None);
                    var pathAssigned = facts.TryGetDefinition(variable, out var pathValue);
                    var clamped = facts.TryGetConditionalDefinition(variable, out _, out _);
                    if (assigned != pathAssigned || !ReferenceEquals(value, pathValue) || clamped)
                    {
                        var line = use.Syntax.GetLocation().GetLineSpan();
                        disagreements.Add(
                            $"{line.Path}:{line.StartLinePosition.Line + 1} '{variable.Name}': without path ({assigned}, '{value?.Syntax}'), " +
                            $"path facts ({pathAssigned}, '{pathValue?.Syntax}'{(clamped ? ", clamped" : "")})");
                    }
                }
            }
        }

        return (answered, names, disagreements);
    }

    /// <summary>Syntax whose operation is a body the driver analyzes on its own: members, accessors, initializers.</summary>
    private static bool IsExecutable(SyntaxNode node)
        => node is BaseMethodDeclarationSyntax { Body: not null } or BaseMethodDeclarationSyntax { ExpressionBody: not null }
            or AccessorDeclarationSyntax { Body: not null } or AccessorDeclarationSyntax { ExpressionBody: not null }
            or ArrowExpressionClauseSyntax { Parent: PropertyDeclarationSyntax or IndexerDeclarationSyntax }
            or EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent.Parent: FieldDeclarationSyntax } };

    private static List<(string Path, string Text)> Files(string source)
    {
        if (source == "corpus")
        {
            return CorpusGenerator.Generate(CorpusKind.Mixed, 20_000, seed: 11).ToList();
        }

        if (source.StartsWith("long", StringComparison.Ordinal))
        {
            // Blocks past Definitions.LongBlock statements (the body's summary answers) and spans long enough for their
            // identifiers to be indexed (IdentifierPositions).
            return [.. CorpusGenerator.LongMethod(120, flat: source == "long flat method")];
        }

        var root = RuleCatalogTests.RepositoryRoot();
        return source.StartsWith("QuietCode/", StringComparison.Ordinal)
            ? AnalysisHarness.ReadSources(Path.Combine(root, "tests", "KernelSafety.Analyzers.Tests", "QuietCode", source["QuietCode/".Length..]))
            : AnalysisHarness.ReadSources(Path.Combine(root, "src", "KernelSafety.Runtime"), Path.Combine(root, "samples"));
    }
}
