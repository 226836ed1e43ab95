using System;
using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>
/// Path questions over the method's <see cref="ControlFlowGraph"/>: "after this call, can control reach a use of the
/// resource without first passing the success side of a test of the call's result?". A branch on a test that
/// <see cref="FailureChecks.Evaluate(IOperation, Func{IOperation?, bool}, long)"/> understands is followed only on its
/// failure side; every other branch is followed both ways. Shared by the rules that check results before use
/// (KS0002 connect/socket, KS0005 send).
/// </summary>
internal static class FailurePaths
{
    /// <summary>
    /// True when a path from <paramref name="start"/> reaches an operation matching <paramref name="isUse"/> while the
    /// result (recognised in conditions by <paramref name="isTestedValue"/>) may still be <paramref name="failureValue"/>;
    /// false when no such path exists; <c>null</c> when the graph cannot be built here (a field initializer, or code
    /// the graph does not cover; lambdas and local functions use their own graph).
    /// </summary>
    public static bool? ReachesUseOnFailure(
        IOperation start,
        Func<IOperation?, bool> isTestedValue,
        long failureValue,
        long successValue,
        Func<IOperation, bool> isUse,
        CancellationToken cancellationToken)
    {
        var graph = TryCreateGraph(start, cancellationToken);
        if (graph is null || !TryLocate(graph, start.Syntax, out var startBlock, out var startIndex))
        {
            return null;
        }

        var excluded = start.Syntax.Span;
        var visited = new HashSet<int>();
        var pending = new Stack<(BasicBlock Block, int From)>();
        pending.Push((startBlock, startIndex + 1));
        var first = true;
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (block, from) = pending.Pop();
            if (!first && !visited.Add(block.Ordinal))
            {
                continue;
            }

            first = false;
            var operations = block.Operations;
            for (var i = from < 0 ? operations.Length : from; i < operations.Length; i++)
            {
                if (ContainsUse(operations[i], isUse, excluded))
                {
                    return true;
                }
            }

            var branch = block.BranchValue;
            if (branch is not null)
            {
                if (ContainsUse(branch, isUse, excluded))
                {
                    return true;
                }

                var onFailure = FailureChecks.Evaluate(branch, isTestedValue, failureValue);
                var onSuccess = FailureChecks.Evaluate(branch, isTestedValue, successValue);
                if (onFailure is bool failure && onSuccess is bool success && failure != success)
                {
                    // The conditional successor is taken when the branch value equals the condition kind.
                    var conditionalOnFailure = (block.ConditionKind == ControlFlowConditionKind.WhenTrue) == failure;
                    Push(pending, conditionalOnFailure ? block.ConditionalSuccessor : block.FallThroughSuccessor);
                    continue;
                }
            }

            Push(pending, block.FallThroughSuccessor);
            Push(pending, block.ConditionalSuccessor);
        }

        return false;
    }

    private static void Push(Stack<(BasicBlock Block, int From)> pending, ControlFlowBranch? branch)
    {
        if (branch?.Destination is { } destination)
        {
            pending.Push((destination, 0));
        }
    }

    private static bool ContainsUse(IOperation operation, Func<IOperation, bool> isUse, Microsoft.CodeAnalysis.Text.TextSpan excluded)
    {
        foreach (var candidate in operation.DescendantsAndSelf())
        {
            if (!excluded.Contains(candidate.Syntax.Span) && isUse(candidate))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The block holding <paramref name="syntax"/>; <paramref name="index"/> is its operation, -1 for the branch value.</summary>
    private static bool TryLocate(ControlFlowGraph graph, SyntaxNode syntax, out BasicBlock block, out int index)
    {
        foreach (var candidate in graph.Blocks)
        {
            var operations = candidate.Operations;
            for (var i = 0; i < operations.Length; i++)
            {
                if (Holds(operations[i], syntax))
                {
                    block = candidate;
                    index = i;
                    return true;
                }
            }

            if (candidate.BranchValue is { } branch && Holds(branch, syntax))
            {
                block = candidate;
                index = -2; // start the walk at the branch value
                return true;
            }
        }

        block = null!;
        index = 0;
        return false;
    }

    private static bool Holds(IOperation operation, SyntaxNode syntax)
    {
        if (!operation.Syntax.Span.Contains(syntax.Span))
        {
            return false;
        }

        foreach (var candidate in operation.DescendantsAndSelf())
        {
            if (candidate.Syntax == syntax)
            {
                return true;
            }
        }

        return false;
    }

    private static ControlFlowGraph? TryCreateGraph(IOperation start, CancellationToken cancellationToken)
    {
        // Lambdas and local functions between the start and the root, innermost first.
        List<IOperation>? functions = null;
        var node = start;
        while (node.Parent is { } parent)
        {
            if (parent is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                (functions ??= new List<IOperation>()).Add(parent);
            }

            node = parent;
        }

        try
        {
            var graph = node switch
            {
                IMethodBodyOperation body => ControlFlowGraph.Create(body, cancellationToken),
                IConstructorBodyOperation constructor => ControlFlowGraph.Create(constructor, cancellationToken),
                IBlockOperation block => ControlFlowGraph.Create(block, cancellationToken),
                _ => null,
            };

            for (var i = (functions?.Count ?? 0) - 1; graph is not null && i >= 0; i--)
            {
                graph = functions![i] switch
                {
                    ILocalFunctionOperation local => graph.LocalFunctions.Contains(local.Symbol)
                        ? graph.GetLocalFunctionControlFlowGraph(local.Symbol, cancellationToken)
                        : null,
                    IAnonymousFunctionOperation lambda => FindLambda(graph, lambda.Symbol) is { } flow
                        ? graph.GetAnonymousFunctionControlFlowGraph(flow, cancellationToken)
                        : null,
                    _ => null,
                };
            }

            return graph;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static IFlowAnonymousFunctionOperation? FindLambda(ControlFlowGraph graph, IMethodSymbol symbol)
    {
        foreach (var block in graph.Blocks)
        {
            foreach (var operation in block.Operations)
            {
                if (Find(operation) is { } found)
                {
                    return found;
                }
            }

            if (block.BranchValue is { } branch && Find(branch) is { } inBranch)
            {
                return inBranch;
            }
        }

        return null;

        IFlowAnonymousFunctionOperation? Find(IOperation root)
        {
            foreach (var candidate in root.DescendantsAndSelf())
            {
                if (candidate is IFlowAnonymousFunctionOperation flow && SymbolEqualityComparer.Default.Equals(flow.Symbol, symbol))
                {
                    return flow;
                }
            }

            return null;
        }
    }
}
