using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace KernelSafety.CodeFixes.Editing;

/// <summary>
/// Adds <c>using</c> directives the way the IDE does: in order among the plain usings (System namespaces first),
/// with the document's own line break, keeping a file header above the first directive. (With Roslyn 4.8,
/// <c>Simplifier.AddImportsAnnotation</c> and <c>ImportAdder</c> add nothing for a parsed name in these fixes.)
/// </summary>
internal static class Imports
{
    public static bool Has(CompilationUnitSyntax unit, string name)
    {
        foreach (var directive in unit.Usings)
        {
            if (directive.Alias is null && directive.StaticKeyword.IsKind(SyntaxKind.None) && directive.Name?.ToString() == name)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Adds <c>using <paramref name="name"/>;</c> unless the file has it.</summary>
    public static CompilationUnitSyntax Add(CompilationUnitSyntax unit, string name)
    {
        if (Has(unit, name))
        {
            return unit;
        }

        var usings = unit.Usings;
        var newLine = usings.Count > 0
            ? usings[0].GetTrailingTrivia().LastOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia))
            : unit.DescendantTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
        if (!newLine.IsKind(SyntaxKind.EndOfLineTrivia))
        {
            newLine = SyntaxFactory.LineFeed;
        }

        var directive = SyntaxFactory.UsingDirective(SyntaxFactory.ParseName(name))
            .WithTrailingTrivia(usings.Count == 0 ? SyntaxFactory.TriviaList(newLine, newLine) : SyntaxFactory.TriviaList(newLine));
        var index = 0;
        while (index < usings.Count
            && usings[index].Alias is null
            && usings[index].StaticKeyword.IsKind(SyntaxKind.None)
            && Compare(usings[index].Name?.ToString() ?? string.Empty, name) < 0)
        {
            index++;
        }

        if (index == 0 && usings.Count > 0)
        {
            // The file header stays above the imports.
            var first = usings[0];
            directive = directive.WithLeadingTrivia(first.GetLeadingTrivia());
            usings = usings.Replace(first, first.WithLeadingTrivia());
        }

        return unit.WithUsings(usings.Insert(index, directive));
    }

    private static int Compare(string a, string b)
    {
        var aSystem = a == "System" || a.StartsWith("System.", StringComparison.Ordinal);
        var bSystem = b == "System" || b.StartsWith("System.", StringComparison.Ordinal);
        return aSystem != bSystem ? (aSystem ? -1 : 1) : string.CompareOrdinal(a, b);
    }
}
