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
                TypeParameterSyntax typeParameter => typeParameter.Identifier,
                FromClauseSyntax from => from.Identifier,
                LetClauseSyntax let => let.Identifier,
                JoinClauseSyntax join => join.Identifier,
                QueryContinuationSyntax continuation => continuation.Identifier,
                _ => default,
            };

            if (identifier.ValueText.Length > 0)
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
