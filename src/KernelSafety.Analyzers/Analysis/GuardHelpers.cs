using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>
/// Facts that hold after a call of a validation helper returns, with the call's arguments in place of its parameters:
/// <list type="bullet">
/// <item>a method of the same file that starts with <c>if (...) throw ...;</c> checks of its parameters
/// (<c>static void Validate(ReadOnlySpan&lt;byte&gt; s) { if (s.Length &gt; MaxLen) throw new ArgumentException(); }</c>
/// makes <c>Validate(name)</c> a guard <c>name.Length &lt;= MaxLen</c>);</item>
/// <item>the guard methods of a type named <c>Guard</c> that widely used libraries share (CommunityToolkit.Diagnostics'
/// <c>Guard.IsLessThanOrEqualTo(value, maximum, name)</c>, <c>HasSizeLessThanOrEqualTo(span, size, name)</c>...;
/// ImageSharp's <c>Guard.MustBeLessThanOrEqualTo(value, max, name)</c>, <c>MustBeSizedAtLeast(source, minLength, name)</c>,
/// <c>DestinationShouldNotBeTooShort(source, destination, name)</c>), known by name and parameter names, since their
/// bodies compare through <c>IComparable&lt;T&gt;</c>.</item>
/// </list>
/// Sound where the method that runs is the one read: not virtual, abstract, an override or extern; every argument is
/// passed by value. A fact is kept only when every term it has is a parameter the call passes a linear value for (a
/// variable, or a buffer variable for a parameter's <c>Length</c>); constants are folded.
/// </summary>
internal static class GuardHelpers
{
    private sealed class Checks
    {
        public Checks(List<LinearForm>? facts) => Facts = facts;

        /// <summary>Facts over the method's parameters, or null.</summary>
        public List<LinearForm>? Facts { get; }
    }

    private static readonly ConditionalWeakTable<IMethodSymbol, Checks> Known = new();

    private static readonly char[] Separator = { '|' };

    /// <summary>The facts after <paramref name="invocation"/> returns, or null.</summary>
    public static List<LinearForm>? FactsAfter(IInvocationOperation invocation, CancellationToken cancellationToken)
    {
        var method = invocation.TargetMethod;
        if (!method.ReturnsVoid || method.IsVirtual || method.IsAbstract || method.IsOverride || method.IsExtern
            || method.MethodKind != MethodKind.Ordinary)
        {
            return null;
        }

        var definition = method.OriginalDefinition;
        if (!Known.TryGetValue(definition, out var checks))
        {
            if (definition.ContainingType is { Name: "Guard" } && LibraryGuard(definition) is { } library)
            {
                checks = Known.GetValue(definition, _ => new Checks(library));
            }
            else if (definition.DeclaringSyntaxReferences is not { Length: 1 } references
                || invocation.SemanticModel is not { } model
                || references[0].SyntaxTree != model.SyntaxTree)
            {
                // Declared in another file (or not in source): not read, and not remembered, since a call from the
                // method's own file can still answer.
                return null;
            }
            else
            {
                checks = Known.GetValue(definition, _ => new Checks(ReadChecks(model, references[0].GetSyntax(cancellationToken), cancellationToken)));
            }
        }

        return checks.Facts is { } facts ? Substitute(facts, invocation, cancellationToken) : null;
    }

    /// <summary>The facts of the <c>if (...) throw ...;</c> statements the method's body starts with.</summary>
    private static List<LinearForm>? ReadChecks(SemanticModel model, SyntaxNode declaration, CancellationToken cancellationToken)
    {
        if (declaration is not MethodDeclarationSyntax { Body: { } body } || model.GetOperation(body, cancellationToken) is not IBlockOperation block)
        {
            return null;
        }

        List<LinearForm>? facts = null;
        foreach (var statement in block.Operations)
        {
            if (statement is not IConditionalOperation { WhenFalse: null } check || !Throws(check.WhenTrue)
                || GuardAnalysis.AssignedVariables(check.Condition).Length != 0)
            {
                break;
            }

            if (GuardAnalysis.FactsOf(check.Condition, false, cancellationToken) is { } more)
            {
                (facts ??= new List<LinearForm>()).AddRange(more);
            }
        }

        return facts;
    }

    /// <summary>True when <paramref name="branch"/> ends in a <c>throw</c> (or a throw helper), not a <c>return</c>.</summary>
    private static bool Throws(IOperation branch)
    {
        if (branch is IBlockOperation { Operations.Length: > 0 } block)
        {
            branch = block.Operations[block.Operations.Length - 1];
        }

        return branch switch
        {
            IThrowOperation or IExpressionStatementOperation { Operation: IThrowOperation } => true,
            IExpressionStatementOperation { Operation: IInvocationOperation helper } => FailureChecks.IsThrowHelper(helper.TargetMethod),
            _ => false,
        };
    }

    /// <summary>The facts of a library guard method, over its parameters.</summary>
    private static List<LinearForm>? LibraryGuard(IMethodSymbol method)
    {
        (string Left, BinaryOperatorKind Kind, string Right) check = method.Name switch
        {
            // CommunityToolkit.Diagnostics
            "IsLessThan" => ("value", BinaryOperatorKind.LessThan, "maximum"),
            "IsLessThanOrEqualTo" => ("value", BinaryOperatorKind.LessThanOrEqual, "maximum"),
            "IsInRange" => ("value", BinaryOperatorKind.LessThan, "maximum"),
            "IsBetweenOrEqualTo" => ("value", BinaryOperatorKind.LessThanOrEqual, "maximum"),
            "HasSizeLessThan" => ("span|array|source", BinaryOperatorKind.LessThan, "size|destination"),
            "HasSizeLessThanOrEqualTo" => ("span|array|source", BinaryOperatorKind.LessThanOrEqual, "size|destination"),
            "HasSizeEqualTo" => ("span|array|source", BinaryOperatorKind.Equals, "size|destination"),

            // ImageSharp (SixLabors)
            "MustBeLessThan" => ("value", BinaryOperatorKind.LessThan, "max"),
            "MustBeLessThanOrEqualTo" => ("value", BinaryOperatorKind.LessThanOrEqual, "max"),
            "MustBeBetweenOrEqualTo" => ("value", BinaryOperatorKind.LessThanOrEqual, "max"),
            "MustBeSizedAtLeast" => ("minLength", BinaryOperatorKind.LessThanOrEqual, "source"),
            "DestinationShouldNotBeTooShort" => ("source", BinaryOperatorKind.LessThanOrEqual, "destination"),
            _ => (string.Empty, BinaryOperatorKind.None, string.Empty),
        };
        if (check.Kind == BinaryOperatorKind.None
            || Term(method, check.Left) is not { } left
            || Term(method, check.Right) is not { } right)
        {
            return null;
        }

        var facts = new List<LinearForm>(2);
        GuardAnalysis.AddComparison(check.Kind, left, right, facts);
        return facts;
    }

    /// <summary>
    /// The form a parameter named one of <paramref name="names"/> (separated by <c>|</c>) stands for in a guard: its value
    /// when it is an integer, its <c>Length</c> when it is a span or an array.
    /// </summary>
    private static LinearForm? Term(IMethodSymbol method, string names)
    {
        var accepted = names.Split(Separator);
        foreach (var parameter in method.Parameters)
        {
            if (System.Array.IndexOf(accepted, parameter.Name) < 0)
            {
                continue;
            }

            if (parameter.Type is IArrayTypeSymbol || parameter.Type is INamedTypeSymbol { Name: "Span" or "ReadOnlySpan", Arity: 1 })
            {
                return LinearForm.Of(new LinearTerm(LinearTermKind.Length, parameter));
            }

            return parameter.Type.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_UInt32
                or SpecialType.System_Int16 or SpecialType.System_UInt16 or SpecialType.System_Byte
                || parameter.Type is ITypeParameterSymbol
                    ? LinearForm.Of(new LinearTerm(LinearTermKind.Value, parameter))
                    : null;
        }

        return null;
    }

    /// <summary>The facts with each parameter replaced by what <paramref name="invocation"/> passes for it.</summary>
    private static List<LinearForm>? Substitute(List<LinearForm> facts, IInvocationOperation invocation, CancellationToken cancellationToken)
    {
        List<LinearForm>? result = null;
        foreach (var fact in facts)
        {
            LinearForm? form = LinearForm.Of(fact.Constant);
            foreach (var (term, coefficient) in fact.Terms)
            {
                var replacement = term.Symbol is IParameterSymbol parameter ? Argument(invocation, parameter, term.Kind, cancellationToken) : null;
                if (replacement is null)
                {
                    form = null;
                    break;
                }

                form = form!.Add(replacement.Scale(coefficient));
            }

            if (form is not null)
            {
                (result ??= new List<LinearForm>()).Add(form);
            }
        }

        return result;
    }

    private static LinearForm? Argument(IInvocationOperation invocation, IParameterSymbol parameter, LinearTermKind kind, CancellationToken cancellationToken)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter is not { } passed || passed.Ordinal != parameter.Ordinal)
            {
                continue;
            }

            if (passed.RefKind != RefKind.None || argument.ArgumentKind != ArgumentKind.Explicit)
            {
                return null;
            }

            if (kind == LinearTermKind.Value)
            {
                return LinearForm.FromGuardOperand(argument.Value, cancellationToken);
            }

            // s.Length in the helper: the length of the buffer variable passed (an array passed as a span is the array).
            return LinearForm.GetVariable(argument.Value) is { } buffer ? LinearForm.Of(new LinearTerm(LinearTermKind.Length, buffer)) : null;
        }

        return null;
    }
}
