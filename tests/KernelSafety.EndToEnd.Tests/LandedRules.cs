using System.Collections.Immutable;
using System.Reflection;
using KernelSafety.Analyzers;
using KernelSafety.CodeFixes;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;

namespace KernelSafety.EndToEnd.Tests;

/// <summary>
/// Which rules have an analyzer and which have a code fix in the assemblies the package is packed from.
/// The rules are being written in parallel; expectations for a rule apply as soon as its analyzer exists.
/// </summary>
public static class LandedRules
{
    public static ImmutableSortedSet<string> Analyzers { get; } = Collect<DiagnosticAnalyzer>(
        typeof(DiagnosticDescriptors).Assembly,
        a => a.SupportedDiagnostics.Select(d => d.Id));

    public static ImmutableSortedSet<string> Fixes { get; } = Collect<CodeFixProvider>(
        typeof(FixerAssemblyMarker).Assembly,
        f => f.FixableDiagnosticIds);

    /// <summary>Rules with an analyzer and a fix: what `dotnet format analyzers` is asked to fix.</summary>
    public static ImmutableSortedSet<string> Fixable => Analyzers.Intersect(Fixes);

    public static string Describe()
        => $"analyzers: [{string.Join(", ", Analyzers)}]; fixes: [{string.Join(", ", Fixes)}]";

    private static ImmutableSortedSet<string> Collect<T>(Assembly assembly, Func<T, IEnumerable<string>> ids)
        where T : class
    {
        var result = ImmutableSortedSet.CreateBuilder<string>(StringComparer.Ordinal);
        foreach (var type in assembly.GetTypes())
        {
            if (type.IsAbstract || !typeof(T).IsAssignableFrom(type) || type.GetConstructor(Type.EmptyTypes) is null)
            {
                continue;
            }

            var instance = (T)Activator.CreateInstance(type)!;
            foreach (var id in ids(instance))
            {
                if (id.StartsWith("KS", StringComparison.Ordinal))
                {
                    result.Add(id);
                }
            }
        }

        return result.ToImmutable();
    }
}
