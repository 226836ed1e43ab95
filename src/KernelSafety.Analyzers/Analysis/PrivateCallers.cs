using System;
using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>
/// The calls of a private method or a local function, all of which its source shows: a private method can be called only
/// from its type's declarations (every part of a partial type, nested types included), a local function only from the
/// block that declares it. A rule asks this on its rare path, when it is about to report on a parameter of such a method,
/// whether every caller checked what it passes (<see cref="EveryCallPassesAtLeast"/>). A caller that passes on its own
/// parameters, unchanged, is asked the same of its callers when it is such a method too (a few levels:
/// <c>Loop</c> makes <c>new byte[255]</c>, <c>ParseEvent(buffer)</c> passes it with offset 2 or 4 to
/// <c>ParseResult(buffer, offset)</c>, which reads 6 bytes at <c>offset</c>). Reflection aside, the answer is sound.
/// </summary>
internal static class PrivateCallers
{
    private sealed class Calls
    {
        public Calls(IInvocationOperation[]? invocations) => Invocations = invocations;

        /// <summary>Every call of the method, or null when they cannot all be known.</summary>
        public IInvocationOperation[]? Invocations { get; }
    }

    /// <summary>
    /// True when <paramref name="parameter"/> belongs to a private method or a local function that is called at least once,
    /// only by direct calls, and every call passes for it a buffer that a guard on every path to the call (or its making:
    /// <c>new byte[0x200]</c>) proves to hold at least <paramref name="elements"/> elements. <paramref name="model"/> is the
    /// semantic model of the tree being analyzed; other trees of a partial type get their own.
    /// </summary>
    public static bool EveryCallPassesAtLeast(IParameterSymbol parameter, long elements, SemanticModel model, CancellationToken cancellationToken)
        => EveryCallPassesAtLeast(parameter, LinearForm.Of(elements), null, model, cancellationToken);

    /// <summary>
    /// As above for a number of elements written in the method's own parameters (<c>offset + 12</c>), read at each call
    /// in the arguments it passes (<c>Read(data, 4)</c> needs 16). With <paramref name="alternative"/> (in the same
    /// parameters, <c>offset + count</c> for a (buffer, offset, count) triple, whose caller promises that much), a call
    /// also passes when a guard on every path to it proves <paramref name="elements"/> at most that.
    /// </summary>
    public static bool EveryCallPassesAtLeast(IParameterSymbol parameter, LinearForm elements, LinearForm? alternative, SemanticModel model, CancellationToken cancellationToken)
        => EveryCallPassesAtLeast(parameter, elements, alternative, model, depth: 0, cancellationToken);

    private static bool EveryCallPassesAtLeast(IParameterSymbol parameter, LinearForm elements, LinearForm? alternative, SemanticModel model, int depth, CancellationToken cancellationToken)
    {
        if (parameter.RefKind != RefKind.None || parameter.ContainingSymbol is not IMethodSymbol method || !MayKnowEveryCall(method)
            || Of(method, model, cancellationToken) is not { Length: > 0 } invocations)
        {
            return false;
        }

        foreach (var invocation in invocations)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var passed = ArgumentFor(invocation, parameter.Ordinal);
            if (passed is null || AtCall(elements, invocation, method) is not { } needed)
            {
                return false;
            }

            if (HoldsAtLeast(passed.Value, invocation, needed, cancellationToken))
            {
                continue;
            }

            // The caller passes on its own parameter (and says how much in its own parameters): ask its callers.
            if (depth < MaxDepth && PassedOn(passed.Value, needed, invocation) is { } outer
                && EveryCallPassesAtLeast(outer, needed, null, model, depth + 1, cancellationToken))
            {
                continue;
            }

            if (alternative is null || AtCall(alternative, invocation, method) is not { } promised
                || !GuardAnalysis.IsBounded(needed, invocation, promised, LengthsAtCall(invocation, cancellationToken), cancellationToken))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>How many callers up a buffer passed on from parameter to parameter is followed.</summary>
    private const int MaxDepth = 3;

    /// <summary>
    /// The caller's parameter that <paramref name="value"/> (an argument of <paramref name="call"/>) reads, when it and
    /// every parameter <paramref name="needed"/> is written in keep the values the caller was given (nothing in its body
    /// assigns them), or null.
    /// </summary>
    private static IParameterSymbol? PassedOn(IOperation value, LinearForm needed, IInvocationOperation call)
    {
        if (LinearForm.Strip(value) is not IParameterReferenceOperation { Parameter: { ContainingSymbol: IMethodSymbol caller } parameter })
        {
            return null;
        }

        var assigned = GuardAnalysis.AssignedVariables(ResultUsage.GetRoot(call));
        if (KnownSymbols.Contains(assigned, parameter))
        {
            return null;
        }

        foreach (var (term, _) in needed.Terms)
        {
            if (term.Kind != LinearTermKind.Value || term.Symbol is not IParameterSymbol used
                || !SymbolEqualityComparer.Default.Equals(used.ContainingSymbol, caller) || KnownSymbols.Contains(assigned, used))
            {
                return null;
            }
        }

        return parameter;
    }

    /// <summary>The explicit argument a call passes for the parameter at <paramref name="ordinal"/>, or null.</summary>
    private static IArgumentOperation? ArgumentFor(IInvocationOperation invocation, int ordinal)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.Ordinal == ordinal)
            {
                return argument.ArgumentKind == ArgumentKind.Explicit ? argument : null;
            }
        }

        return null;
    }

    /// <summary>
    /// <paramref name="form"/>, written in <paramref name="method"/>'s parameters' values, as the call passes them: each
    /// parameter replaced by its argument's form; null when a term is not such a parameter or an argument has no form.
    /// </summary>
    private static LinearForm? AtCall(LinearForm form, IInvocationOperation call, IMethodSymbol method)
    {
        if (form.IsConstant)
        {
            return form;
        }

        var result = LinearForm.Of(form.Constant);
        foreach (var (term, coefficient) in form.Terms)
        {
            if (term.Kind != LinearTermKind.Value || term.Symbol is not IParameterSymbol parameter
                || !SymbolEqualityComparer.Default.Equals(parameter.ContainingSymbol, method)
                || ArgumentFor(call, parameter.Ordinal) is not { } argument
                || LinearForm.From(argument.Value) is not { } value)
            {
                return null;
            }

            result = result.Add(value.Scale(coefficient));
        }

        return result;
    }

    /// <summary>
    /// True when a guard on every path to <paramref name="call"/> proves that the buffer <paramref name="value"/> holds at
    /// least <paramref name="elements"/> elements: its length (a local, parameter or field) or the size it was made with.
    /// </summary>
    private static bool HoldsAtLeast(IOperation value, IInvocationOperation call, LinearForm elements, CancellationToken cancellationToken)
    {
        var buffer = LinearForm.Strip(value)!;
        LinearForm size;
        if (LinearForm.GetVariable(buffer) is { } variable && BufferSizes.HasLength(buffer.Type))
        {
            size = LinearForm.Of(new LinearTerm(LinearTermKind.Length, variable));
        }
        else if (BufferSizes.Get(buffer, cancellationToken).Elements is { } made)
        {
            size = made;
        }
        else
        {
            return false;
        }

        return GuardAnalysis.IsBounded(elements, call, size, LengthsAtCall(call, cancellationToken), cancellationToken);
    }

    /// <summary>Sizes as the call site knows them (var buf = new byte[0x200]; Parse(buf)), not as the copy does.</summary>
    private static Func<ISymbol, LinearForm?> LengthsAtCall(IInvocationOperation call, CancellationToken cancellationToken)
    {
        Dictionary<ISymbol, LinearForm?>? lengths = null;
        PathFacts? facts = null;
        return symbol =>
        {
            lengths ??= new Dictionary<ISymbol, LinearForm?>(SymbolEqualityComparer.Default);
            if (!lengths.TryGetValue(symbol, out var length))
            {
                length = BufferSizes.GetOfVariable(symbol, call, () => facts ??= PathFacts.At(call, cancellationToken), cancellationToken).Elements;
                lengths[symbol] = length;
            }

            return length;
        };
    }

    /// <summary>
    /// True when <paramref name="method"/> is a private method or a local function that is called at least once, only by
    /// direct calls, each outside any loop, lambda or local function of a method that <paramref name="caller"/> accepts
    /// (<c>Main</c> calling a one-shot helper once).
    /// </summary>
    public static bool EveryCallIsOnceIn(IMethodSymbol method, Func<IMethodSymbol, bool> caller, SemanticModel model, CancellationToken cancellationToken)
    {
        if (!MayKnowEveryCall(method) || Of(method, model, cancellationToken) is not { Length: > 0 } invocations)
        {
            return false;
        }

        foreach (var invocation in invocations)
        {
            for (var node = invocation.Parent; node is not null; node = node.Parent)
            {
                if (node is ILoopOperation or IAnonymousFunctionOperation or ILocalFunctionOperation)
                {
                    return false;
                }
            }

            if (invocation.SemanticModel?.GetEnclosingSymbol(invocation.Syntax.SpanStart, cancellationToken) is not IMethodSymbol calling
                || !caller(calling))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// True when every call of <paramref name="method"/> is in source we can read: a private method (not one a base or an
    /// interface may call, nor one without a body of its own) or a local function.
    /// </summary>
    private static bool MayKnowEveryCall(IMethodSymbol method)
    {
        if (method.IsOverride || method.IsVirtual || method.IsAbstract || method.IsExtern || !method.ExplicitInterfaceImplementations.IsEmpty
            || method.IsPartialDefinition || method.DeclaringSyntaxReferences.Length != 1)
        {
            return false;
        }

        return method.MethodKind == MethodKind.LocalFunction
               || (method.MethodKind == MethodKind.Ordinary && method.DeclaredAccessibility == Accessibility.Private && method.ContainingType is not null);
    }

    /// <summary>
    /// Every call of <paramref name="method"/> (kept for the method asked about last on this thread: the copies of one
    /// helper ask together), or null when they cannot all be known: the method is named other than as the target of a
    /// direct call (a method group, a function pointer, a dynamic or erroneous call). <c>nameof</c> does not count.
    /// </summary>
    private static IInvocationOperation[]? Of(IMethodSymbol method, SemanticModel model, CancellationToken cancellationToken)
        => LastOnThread<IMethodSymbol, Calls>.Get(method, (model, cancellationToken), static (method, state) => new Calls(Find(method, state.model, state.cancellationToken))).Invocations;

    private static IInvocationOperation[]? Find(IMethodSymbol method, SemanticModel model, CancellationToken cancellationToken)
    {
        // Calls bind to a partial method's definition, whose parameters are its implementation's.
        var target = method.PartialDefinitionPart ?? method;
        var scopes = new List<SyntaxNode>();
        switch (method.MethodKind)
        {
            case MethodKind.LocalFunction:
                // A local function is in scope only in the block (or top-level statements) that declares it.
                var scope = method.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken).Parent;
                if (scope is GlobalStatementSyntax)
                {
                    scope = scope.Parent;
                }

                if (scope is null)
                {
                    return null;
                }

                scopes.Add(scope);
                break;
            default:
                // A private method: its type's declarations, nested types included.
                foreach (var reference in method.ContainingType.DeclaringSyntaxReferences)
                {
                    scopes.Add(reference.GetSyntax(cancellationToken));
                }

                break;
        }

        var found = new List<IInvocationOperation>();
        SemanticModel? otherModel = null;
        foreach (var scope in scopes)
        {
            var tree = scope.SyntaxTree;
            var scopeModel = tree == model.SyntaxTree ? model
                : otherModel?.SyntaxTree == tree ? otherModel
                : otherModel = GetSemanticModel(model.Compilation, tree);
            foreach (var token in scope.DescendantTokens())
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!token.IsKind(SyntaxKind.IdentifierToken) || token.Parent is not SimpleNameSyntax name
                    || token.ValueText != method.Name || !Names(scopeModel.GetSymbolInfo(name, cancellationToken), method, target))
                {
                    continue;
                }

                SyntaxNode called = name.Parent is MemberAccessExpressionSyntax access && access.Name == name ? access
                    : name.Parent is MemberBindingExpressionSyntax binding && binding.Name == name ? binding
                    : name;
                if (called.Parent is InvocationExpressionSyntax call && call.Expression == called)
                {
                    if (scopeModel.GetOperation(call, cancellationToken) is IInvocationOperation invocation && IsOrDefines(invocation.TargetMethod, method, target))
                    {
                        found.Add(invocation);
                        continue;
                    }

                    return null;
                }

                if (!InNameOf(name, scopeModel, cancellationToken))
                {
                    return null;
                }
            }
        }

        return found.ToArray();
    }

    /// <summary>
    /// A semantic model for another part of a partial type. Only on a rule's rare path (about to report): the analysis
    /// context offers the model of the tree being analyzed only, and a new model binds the bodies it is asked about again.
    /// </summary>
    private static SemanticModel GetSemanticModel(Compilation compilation, SyntaxTree tree) => compilation.GetSemanticModel(tree);

    private static bool Names(SymbolInfo info, IMethodSymbol method, IMethodSymbol target)
    {
        if (info.Symbol is IMethodSymbol symbol)
        {
            return IsOrDefines(symbol, method, target);
        }

        foreach (var candidate in info.CandidateSymbols)
        {
            if (candidate is IMethodSymbol candidateMethod && IsOrDefines(candidateMethod, method, target))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsOrDefines(IMethodSymbol called, IMethodSymbol method, IMethodSymbol target)
    {
        var definition = called.ReducedFrom ?? called;
        definition = definition.OriginalDefinition;
        return SymbolEqualityComparer.Default.Equals(definition, target) || SymbolEqualityComparer.Default.Equals(definition, method);
    }

    /// <summary>True when <paramref name="name"/> is (inside) the argument of <c>nameof</c>: it names the method, it does not use it.</summary>
    private static bool InNameOf(SyntaxNode name, SemanticModel model, CancellationToken cancellationToken)
    {
        for (var node = name.Parent; node is not null and not StatementSyntax and not MemberDeclarationSyntax; node = node.Parent)
        {
            if (node is InvocationExpressionSyntax { Expression: IdentifierNameSyntax { Identifier.ValueText: "nameof" } } call)
            {
                return model.GetOperation(call, cancellationToken) is INameOfOperation;
            }
        }

        return false;
    }
}
