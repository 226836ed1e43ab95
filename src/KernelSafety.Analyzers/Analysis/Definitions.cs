using System;
using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>
/// The definition of a local or parameter where it is used, answered without <see cref="PathFacts"/> when the
/// method body leaves no doubt: a parameter that nothing in the body assigns keeps its argument, and a local whose
/// only assignment is the initializer of its declaration statement in a block holds that initializer wherever it
/// can be read. Everything else (a use inside a lambda or local function, a variable assigned more than once, a
/// declaration in a loop header, <c>using</c> or <c>fixed</c>) is left to <see cref="PathFacts"/>; on the cases
/// taken here both give the same answer. Most copies are decided by such variables, and this costs one walk of the
/// body per method instead of path states built and copied statement by statement.
/// </summary>
internal static class Definitions
{
    /// <summary>
    /// Statements in a block beyond which it is not searched statement by statement for every question: its declarators
    /// come from the body's summary, and its statements' positions (<see cref="PathFacts"/>) from one pass.
    /// </summary>
    internal const int LongBlock = 32;

    private static readonly Func<IOperation, Body> Create = root => new Body(root);

    /// <summary>
    /// True when the answer needs no path facts. Then <paramref name="assigned"/> and <paramref name="value"/> are what
    /// <see cref="PathFacts.TryGetDefinition"/> at <paramref name="use"/> would return.
    /// </summary>
    public static bool TryGetWithoutPath(ISymbol variable, IOperation use, out bool assigned, out IOperation? value)
    {
        assigned = false;
        value = null;
        if (variable is not (ILocalSymbol or IParameterSymbol))
        {
            return false;
        }

        var root = use;
        while (root.Parent is not null)
        {
            if (root.Parent is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return false; // PathFacts start afresh inside lambdas and local functions.
            }

            root = root.Parent;
        }

        // The copies of one body ask about the same few variables, and the answer does not depend on where in the body
        // (outside nested functions) the variable is used: a local has one declaration, a parameter one argument.
        var body = BodyCache<Body>.Get(root, Create);
        if (body.TryGetAnswer(variable, out var found, out assigned, out value))
        {
            return found;
        }

        found = Compute(variable, body, use, out assigned, out value);
        body.AddAnswer(variable, found, assigned, value);
        return found;
    }

    private static bool Compute(ISymbol variable, Body body, IOperation use, out bool assigned, out IOperation? value)
    {
        // Cheapest first: the body's text shows that nothing assigns the variable (PathFacts' notion: assignment,
        // ++/--, ref/out, deconstruction), so a parameter keeps its argument and a local keeps its initializer.
        if (TryFromText(variable, body, use, out assigned, out value))
        {
            return true;
        }

        var summary = body.Summary;
        var count = summary.AssignmentCount(variable);
        if (variable is IParameterSymbol)
        {
            return count == 0;
        }

        if (count == 1 && summary.TryGetBlockDeclarator((ILocalSymbol)variable, out var declarator)
            && declarator.GetVariableInitializer()?.Value is { } initializer)
        {
            assigned = true;
            value = initializer;
            return true;
        }

        return false;
    }

    private static bool TryFromText(ISymbol variable, Body method, IOperation use, out bool assigned, out IOperation? value)
    {
        assigned = false;
        value = null;
        var body = method.Root.Syntax;
        var text = TreeText.Of(body.SyntaxTree, CancellationToken.None);
        if (variable is IParameterSymbol parameter)
        {
            return !TextReads.MayAssign(text, body.SpanStart, body.Span.End, parameter.Name, declaration: -1, parameter.Type.IsValueType);
        }

        // A local declared by a statement of a block or switch section ('T x = v;') around the use, with its initializer.
        // Only the local's scope can assign it: the block that declares it (a switch section's locals are in scope in
        // the whole switch, so there the body is read). A long method's copies then each read their own block, not the
        // whole body.
        var local = (ILocalSymbol)variable;
        if (FindBlockDeclarator(local, use, method) is not { } declarator
            || declarator.GetVariableInitializer()?.Value is not { } initialValue
            || declarator.Syntax is not VariableDeclaratorSyntax declaratorSyntax)
        {
            return false;
        }

        var scope = declarator.Parent?.Parent?.Parent is IBlockOperation block && block.Syntax.SyntaxTree == body.SyntaxTree
            ? block.Syntax.Span
            : body.Span;
        // The initializer's type is the local's (the initializer converts to it) and is made once per operation, where the
        // local's Type makes a new symbol on every call.
        var isValueType = (initialValue.Type ?? local.Type).IsValueType;
        if (TextReads.MayAssign(text, scope.Start, scope.End, local.Name, declaratorSyntax.Identifier.SpanStart, isValueType))
        {
            return false;
        }

        assigned = true;
        value = initialValue;
        return true;
    }

    /// <summary>
    /// The declarator of <paramref name="local"/> when a statement of a block (or switch section) enclosing
    /// <paramref name="use"/> declares it: a local is in scope only in its block, so the blocks around the use are the
    /// only places to look, statement by statement, without walking the body. A block of more than
    /// <see cref="LongBlock"/> statements is not read statement by statement for every local: the body's summary (one walk)
    /// knows every block's declarators, and the local's is the one in the block around the use.
    /// </summary>
    private static IVariableDeclaratorOperation? FindBlockDeclarator(ILocalSymbol local, IOperation use, Body body)
    {
        // Kinds and names are compared before interface casts and symbol equality: this runs for most copies.
        var name = local.Name;
        for (var current = use; current.Parent is { } parent; current = parent)
        {
            var statements = parent.Kind switch
            {
                OperationKind.Block => ((IBlockOperation)parent).Operations,
                OperationKind.SwitchCase => ((ISwitchCaseOperation)parent).Body,
                _ => default,
            };

            if (statements.IsDefault)
            {
                continue;
            }

            if (statements.Length > LongBlock)
            {
                return body.Summary.TryGetBlockDeclarator(local, out var declared) ? declared : null;
            }

            foreach (var statement in statements)
            {
                if (statement.Kind != OperationKind.VariableDeclarationGroup)
                {
                    continue;
                }

                foreach (var declaration in ((IVariableDeclarationGroupOperation)statement).Declarations)
                {
                    foreach (var declarator in declaration.Declarators)
                    {
                        var declared = declarator.Symbol;
                        if (ReferenceEquals(declared, local)
                            || (declared.Name == name && SymbolEqualityComparer.Default.Equals(declared, local)))
                        {
                            return declarator;
                        }
                    }
                }
            }
        }

        return null;
    }

    /// <summary>What is known of one method body: the answers given so far, and its summary once one is needed.</summary>
    private sealed class Body
    {
        private Summary? summary;

        // The first answer is kept in fields: most bodies are asked about one variable (a copy's destination), and a
        // dictionary per body was most of what the answers allocated.
        private ISymbol? firstVariable;
        private (bool Found, bool Assigned, IOperation? Value) firstAnswer;
        private Dictionary<ISymbol, (bool Found, bool Assigned, IOperation? Value)>? answers;

        public Body(IOperation root)
        {
            Root = root;
        }

        public IOperation Root { get; }

        /// <summary>One walk of the body, made only when the text (or a short block) cannot answer.</summary>
        public Summary Summary => summary ??= new Summary(Root);

        public bool TryGetAnswer(ISymbol variable, out bool found, out bool assigned, out IOperation? value)
        {
            if (firstVariable is not null && SymbolEqualityComparer.Default.Equals(firstVariable, variable))
            {
                (found, assigned, value) = firstAnswer;
                return true;
            }

            if (answers is not null && answers.TryGetValue(variable, out var answer))
            {
                (found, assigned, value) = answer;
                return true;
            }

            found = false;
            assigned = false;
            value = null;
            return false;
        }

        // Hashed after the first: a long method asks about hundreds of locals.
        public void AddAnswer(ISymbol variable, bool found, bool assigned, IOperation? value)
        {
            if (firstVariable is null)
            {
                firstVariable = variable;
                firstAnswer = (found, assigned, value);
            }
            else if (!SymbolEqualityComparer.Default.Equals(firstVariable, variable))
            {
                (answers ??= new(SymbolEqualityComparer.Default))[variable] = (found, assigned, value);
            }
        }
    }

    private sealed class Summary
    {
        private readonly Dictionary<ISymbol, int> counts = new(SymbolEqualityComparer.Default);
        private readonly Dictionary<ILocalSymbol, IVariableDeclaratorOperation> declarators = new(SymbolEqualityComparer.Default);

        public Summary(IOperation root)
        {
            // One walk: what is assigned, with the same notion of "assigned" as PathFacts (declarations, assignments,
            // ++/--, ref/out arguments, tuples), and where locals are declared.
            var assigned = new List<ISymbol>();
            GuardAnalysis.Visit(root, operation =>
            {
                GuardAnalysis.AddAssigned(operation, assigned);

                // 'T x = v;' as a statement of a block or switch section: PathFacts record it as x's definition.
                if (operation is IVariableDeclaratorOperation
                    {
                        Parent: IVariableDeclarationOperation { Parent: IVariableDeclarationGroupOperation { Parent: IBlockOperation or ISwitchCaseOperation } },
                    } declarator)
                {
                    declarators[declarator.Symbol] = declarator;
                }
            });

            foreach (var symbol in assigned)
            {
                counts.TryGetValue(symbol, out var count);
                counts[symbol] = count + 1;
            }
        }

        public int AssignmentCount(ISymbol variable) => counts.TryGetValue(variable, out var count) ? count : 0;

        public bool TryGetBlockDeclarator(ILocalSymbol local, out IVariableDeclaratorOperation declarator)
            => declarators.TryGetValue(local, out declarator!);
    }
}
