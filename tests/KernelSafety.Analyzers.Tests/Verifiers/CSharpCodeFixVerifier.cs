using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace KernelSafety.Analyzers.Tests.Verifiers;

/// <summary>
/// Analyzer plus code fix verification. <see cref="VerifyCodeFixAsync(string, string)"/> checks the
/// diagnostics in the source, applies the fix once per diagnostic, and also runs fix-all in
/// document, project and solution scope (Microsoft.CodeAnalysis.Testing does that whenever the
/// fixer has a FixAllProvider) expecting the same fixed code.
/// </summary>
public static class CSharpCodeFixVerifier<TAnalyzer, TCodeFix>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TCodeFix : CodeFixProvider, new()
{
    public static DiagnosticResult Diagnostic(string id) => CSharpCodeFixVerifier<TAnalyzer, TCodeFix, DefaultVerifier>.Diagnostic(id);

    public static Task VerifyAnalyzerAsync(string source, params DiagnosticResult[] expected)
    {
        var test = new Test { TestCode = source };
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync(CancellationToken.None);
    }

    /// <summary>The source compiled as a console program (its <c>Main</c> or top-level statements are the entry point).</summary>
    public static Task VerifyProgramAsync(string source, params DiagnosticResult[] expected)
    {
        var test = new Test { TestCode = source };
        test.TestState.OutputKind = Microsoft.CodeAnalysis.OutputKind.ConsoleApplication;
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync(CancellationToken.None);
    }

    /// <summary>One compilation of several files (one document each), with the diagnostics their markup shows.</summary>
    public static Task VerifyAnalyzerAsync(string[] sources, params DiagnosticResult[] expected)
    {
        var test = new Test();
        foreach (var source in sources)
        {
            test.TestState.Sources.Add(source);
        }

        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync(CancellationToken.None);
    }

    public static Task VerifyCodeFixAsync(string source, string fixedSource)
        => VerifyCodeFixAsync(source, fixedSource, codeActionEquivalenceKey: null);

    /// <param name="codeActionEquivalenceKey">Which fix to apply when a diagnostic offers several (null: the first).</param>
    public static Task VerifyCodeFixAsync(string source, string fixedSource, string? codeActionEquivalenceKey)
    {
        var test = new Test
        {
            TestCode = source,
            FixedCode = fixedSource,
            CodeActionEquivalenceKey = codeActionEquivalenceKey,
        };
        return test.RunAsync(CancellationToken.None);
    }

    public sealed class Test : CSharpCodeFixTest<TAnalyzer, TCodeFix, DefaultVerifier>
    {
        public Test()
        {
            ReferenceAssemblies = TestReferences.Default;
            SolutionTransforms.Add(TestReferences.AllowUnsafe);
        }
    }
}
