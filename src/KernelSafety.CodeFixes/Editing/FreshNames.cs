using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace KernelSafety.CodeFixes.Editing;

/// <summary>
/// Hands out local names that collide with nothing a new local at a given position could clash with:
/// every symbol in scope there (<see cref="SemanticModel.LookupSymbols(int, INamespaceOrTypeSymbol, string, bool)"/>)
/// and every name declared anywhere in the enclosing member (a later <c>var sent</c> in an outer block
/// would clash with a <c>sent</c> declared in a nested loop), or in all top-level statements.
/// </summary>
internal sealed class FreshNames
{
    private readonly HashSet<string> taken;

    private FreshNames(HashSet<string> taken) => this.taken = taken;

    public static FreshNames At(SemanticModel model, SyntaxNode node, CancellationToken cancellationToken)
    {
        var taken = new HashSet<string>(System.StringComparer.Ordinal);
        foreach (var symbol in model.LookupSymbols(node.SpanStart))
        {
            taken.Add(symbol.Name);
        }

        // LookupSymbols already sees every local of the scopes around the position, including those declared
        // further down. Walk the declarations too, keeping those whose scope contains the position: a nested
        // sibling scope (another loop, a lambda) may reuse a name freely.
        foreach (var descendant in GetScopeRoot(node).DescendantNodes())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var identifier = descendant switch
            {
                VariableDeclaratorSyntax declarator => declarator.Identifier,
                SingleVariableDesignationSyntax designation => designation.Identifier,
                ForEachStatementSyntax forEach => forEach.Identifier,
                ParameterSyntax parameter => parameter.Identifier,
                LocalFunctionStatementSyntax function => function.Identifier,
                CatchDeclarationSyntax catchDeclaration => catchDeclaration.Identifier,
                _ => default,
            };

            if (identifier.ValueText.Length > 0 && ScopeOf(descendant).Span.Contains(node.SpanStart))
            {
                taken.Add(identifier.ValueText);
            }
        }

        return new FreshNames(taken);
    }

    /// <summary>
    /// The first of <paramref name="candidates"/> not taken, else the first candidate numbered (sent2, sent3...).
    /// The name is then taken: the next call returns another.
    /// </summary>
    public string Next(params string[] candidates)
    {
        foreach (var candidate in candidates)
        {
            if (taken.Add(candidate))
            {
                return candidate;
            }
        }

        for (var i = 2; ; i++)
        {
            var numbered = candidates[0] + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (taken.Add(numbered))
            {
                return numbered;
            }
        }
    }

    /// <summary>The node whose scope a declaration belongs to.</summary>
    private static SyntaxNode ScopeOf(SyntaxNode declaration)
    {
        if (declaration is ForEachStatementSyntax)
        {
            return declaration;
        }

        for (var current = declaration.Parent; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case BlockSyntax:
                case ForStatementSyntax:
                case ForEachStatementSyntax:
                case UsingStatementSyntax:
                case FixedStatementSyntax:
                case WhileStatementSyntax:
                case SwitchSectionSyntax:
                case CatchClauseSyntax:
                case AnonymousFunctionExpressionSyntax:
                case LocalFunctionStatementSyntax:
                case MemberDeclarationSyntax:
                case CompilationUnitSyntax:
                    return current;
            }
        }

        return declaration;
    }

    private static SyntaxNode GetScopeRoot(SyntaxNode node)
    {
        SyntaxNode? member = null;
        for (var current = node; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case GlobalStatementSyntax:
                    // Top-level statements share one scope: look at all of them.
                    return current.Parent ?? current;
                case BaseTypeDeclarationSyntax:
                case BaseNamespaceDeclarationSyntax:
                    return member ?? current;
                case MemberDeclarationSyntax:
                    member = current;
                    break;
            }
        }

        return member ?? node.SyntaxTree.GetRoot();
    }
}
