using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Operations;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>
/// What holds at one operation on every path that reaches it inside its method body, found from the operation's
/// ancestors (dominating conditions) and the statements before it, rather than a full data-flow analysis:
/// <list type="bullet">
/// <item>the condition of an enclosing <c>if</c>/ternary/<c>while</c>/<c>for</c> (negated in an <c>else</c>),
/// the left side of an enclosing <c>&amp;&amp;</c>/<c>||</c>;</item>
/// <item>an earlier statement of an enclosing block that leaves when a condition holds
/// (<c>if (len &gt; msg.Length) throw ...;</c>, <c>return</c>, <c>break</c>, <c>continue</c>, <c>goto</c>,
/// a <c>[DoesNotReturn]</c> call), and <c>ArgumentOutOfRangeException.ThrowIfGreaterThan</c> and friends;</item>
/// <item>the nearest earlier assignment of each variable on the path (its definition), including the clamp idiom
/// <c>if (len &gt; max) len = max;</c>.</item>
/// </list>
/// A fact stops counting when a variable it mentions is assigned after it, or anywhere in a loop around the
/// operation. Facts do not cross lambdas and local functions. Comparisons become <see cref="LinearForm"/> facts
/// <c>form ≤ 0</c>. States are computed forward, statement by statement, and cached per operation, so asking about
/// every copy of a long method stays linear.
/// </summary>
internal sealed class PathFacts
{
    // The definitions are immutable maps shared between a state and the states made from it: every statement of a body
    // makes a state, and copying a map per statement made a long method (hundreds of locals) quadratic.
    private static readonly ImmutableDictionary<ISymbol, IOperation?> NoDefinitions = ImmutableDictionary.Create<ISymbol, IOperation?>(SymbolEqualityComparer.Default);
    private static readonly ImmutableDictionary<ISymbol, (IConditionalOperation Condition, IOperation Value)> NoConditionalDefinitions
        = ImmutableDictionary.Create<ISymbol, (IConditionalOperation Condition, IOperation Value)>(SymbolEqualityComparer.Default);

    private static readonly ImmutableDictionary<ISymbol, int> NoMentions = ImmutableDictionary.Create<ISymbol, int>(SymbolEqualityComparer.Default);

    // After the maps above: static fields are initialized in order, and this one reads them.
    private static readonly PathFacts Empty = new();

    /// <summary>
    /// One cache per operation tree (the body analyzed last on the thread, see <see cref="BodyCache{T}"/>), rather than
    /// one entry per operation.
    /// </summary>
    internal sealed class TreeCache
    {
        private static readonly Func<IOperation, TreeCache> Create = _ => new TreeCache();

        public Dictionary<IOperation, PathFacts> States { get; } = new();

        public Dictionary<IOperation, List<LinearForm>?> FactsAfter { get; } = new();

        public Dictionary<IOperation, ISymbol[]> Assigned { get; } = new();

        // Where each statement of a long block stands in it (a block's statements are searched otherwise).
        private Dictionary<IOperation, int>? positions;

        public static TreeCache Of(IOperation operation) => BodyCache<TreeCache>.Get(ResultUsage.GetRoot(operation), Create);

        /// <summary>
        /// The index of <paramref name="statement"/> in <paramref name="statements"/> (its block's or switch section's),
        /// or -1: searched in a short block, remembered for every statement of a long one, where searching for each
        /// statement's predecessor made a flat method of thousands of statements quadratic.
        /// </summary>
        public int IndexOf(ImmutableArray<IOperation> statements, IOperation statement)
        {
            if (statements.Length <= Definitions.LongBlock)
            {
                return statements.IndexOf(statement);
            }

            positions ??= new Dictionary<IOperation, int>();
            if (!positions.TryGetValue(statement, out var index))
            {
                for (var i = 0; i < statements.Length; i++)
                {
                    positions[statements[i]] = i;
                }

                index = positions.TryGetValue(statement, out var found) ? found : -1;
            }

            return index;
        }
    }

    // The facts too are shared between states (an immutable list), with how many of their terms name each variable: an
    // assignment drops the facts about its variable, and in a long method most assignments (a new local, a loop
    // counter) are of variables no fact mentions, which the counts tell without reading the facts.
    private ImmutableList<LinearForm> bounds = ImmutableList<LinearForm>.Empty;
    private ImmutableDictionary<ISymbol, int> mentions = NoMentions;
    private ImmutableDictionary<ISymbol, IOperation?> definitions = NoDefinitions;
    private ImmutableDictionary<ISymbol, (IConditionalOperation Condition, IOperation Value)> conditionalDefinitions = NoConditionalDefinitions;

    private PathFacts()
    {
    }

    /// <summary>Facts <c>form ≤ 0</c> that hold at the operation.</summary>
    public IReadOnlyList<LinearForm> Bounds => bounds;

    /// <summary>True when some fact here mentions <paramref name="symbol"/> (a check of it dominates this point).</summary>
    public bool Mentions(ISymbol symbol) => mentions.ContainsKey(symbol);

    /// <summary>
    /// The nearest assignment of <paramref name="symbol"/> before the operation on its path: true with the
    /// assigned value, true with <c>null</c> when it is assigned in a way we cannot read (<c>out</c>, <c>+=</c>,
    /// a loop, the clamp idiom), false when it is not assigned (a parameter keeps its argument).
    /// </summary>
    public bool TryGetDefinition(ISymbol symbol, out IOperation? value) => definitions.TryGetValue(symbol, out value);

    /// <summary>
    /// True when the nearest assignment of <paramref name="symbol"/> is a clamp idiom
    /// <c>if (len &gt; msg.Length) len = msg.Length;</c>: the variable keeps its value when the condition is false
    /// and gets <paramref name="value"/> when it is true.
    /// </summary>
    public bool TryGetConditionalDefinition(ISymbol symbol, out IConditionalOperation? condition, out IOperation? value)
    {
        condition = null;
        value = null;
        if (!conditionalDefinitions.TryGetValue(symbol, out var definition))
        {
            return false;
        }

        (condition, value) = definition;
        return true;
    }

    /// <summary>The facts at <paramref name="operation"/> (cached per operation; a result is never modified).</summary>
    public static PathFacts At(IOperation operation, CancellationToken cancellationToken)
    {
        // The cache belongs to this thread (BodyCache): no lock.
        return At(operation, TreeCache.Of(operation), cancellationToken);
    }

    private static PathFacts At(IOperation operation, TreeCache cache, CancellationToken cancellationToken)
    {
        // Iterative over the ancestors to keep deep trees off the stack: find the nearest cached ancestor state.
        var states = cache.States;
        var chain = new List<IOperation>();
        PathFacts? state = null;
        for (var current = operation; current is not null; current = current.Parent)
        {
            if (states.TryGetValue(current, out state))
            {
                break;
            }

            chain.Add(current);
            if (current.Parent is null or IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                state = Empty;
                break;
            }
        }

        state ??= Empty;
        for (var i = chain.Count - 1; i >= 0; i--)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var child = chain[i];
            var parent = child.Parent;
            state = parent is null || parent is IAnonymousFunctionOperation or ILocalFunctionOperation
                ? Empty
                : Enter(state, parent, child, cache, cancellationToken);
            states[child] = state;
        }

        return state;
    }

    /// <summary>The state at <paramref name="child"/> given the state at <paramref name="parent"/>.</summary>
    private static PathFacts Enter(PathFacts atParent, IOperation parent, IOperation child, TreeCache cache, CancellationToken cancellationToken)
    {
        switch (parent)
        {
            case IBlockOperation block:
                var index = cache.IndexOf(block.Operations, child);
                if (index <= 0)
                {
                    return atParent;
                }

                // The state after the previous statement: its own state (cached), then the statement itself.
                var previous = block.Operations[index - 1];
                return At(previous, cache, cancellationToken).After(previous, cache, cancellationToken);

            case ISwitchCaseOperation section when cache.IndexOf(section.Body, child) is var position && position >= 0:
                if (position == 0)
                {
                    // case 16: the switch's value matched one of the section's labels.
                    return atParent.With(GuardAnalysis.FactsOfSection(section, cancellationToken));
                }

                // A switch section runs its statements in order, like a block.
                var before = section.Body[position - 1];
                return At(before, cache, cancellationToken).After(before, cache, cancellationToken);

            case IConditionalOperation conditional when child == conditional.WhenTrue:
                return atParent.Record(conditional.Condition).With(GuardAnalysis.FactsOf(conditional.Condition, true, cancellationToken));

            case IConditionalOperation conditional when child == conditional.WhenFalse:
                return atParent.Record(conditional.Condition).With(GuardAnalysis.FactsOf(conditional.Condition, false, cancellationToken));

            case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd } both when child == both.RightOperand:
                return atParent.With(GuardAnalysis.FactsOf(both.LeftOperand, true, cancellationToken));

            case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalOr } either when child == either.RightOperand:
                return atParent.With(GuardAnalysis.FactsOf(either.LeftOperand, false, cancellationToken));

            case ILoopOperation loop:
                // Whatever the loop assigns may have changed since the loop was entered.
                var inLoop = atParent.Kill(GuardAnalysis.AssignedVariables(loop), loop.Locals);
                if (child == loop.Body)
                {
                    var condition = loop switch
                    {
                        IWhileLoopOperation { ConditionIsTop: true, ConditionIsUntil: false } whileLoop => whileLoop.Condition,
                        IForLoopOperation forLoop => forLoop.Condition,
                        _ => null,
                    };
                    if (condition is not null)
                    {
                        return inLoop.With(GuardAnalysis.FactsOf(condition, true, cancellationToken));
                    }
                }

                return inLoop;

            case IBinaryOperation or IInvocationOperation or IArgumentOperation or IConversionOperation or IPropertyReferenceOperation
                or IFieldReferenceOperation or IArrayElementReferenceOperation or IExpressionStatementOperation or IObjectCreationOperation
                or IUnaryOperation or IReturnOperation or IVariableInitializerOperation or IIsPatternOperation:
                // Expressions: what an earlier argument assigns (out, ++) is not worth tracking.
                return atParent;

            default:
                // fixed, using, lock, try, declarations...: earlier children (declarations) run before.
                var state = atParent;
                foreach (var sibling in parent.ChildOperations)
                {
                    if (sibling == child)
                    {
                        break;
                    }

                    state = state.Record(sibling);
                }

                return state;
        }
    }

    /// <summary>These facts plus <paramref name="more"/> (for reasoning about one branch).</summary>
    public PathFacts With(List<LinearForm>? more)
    {
        if (more is null || more.Count == 0)
        {
            return this;
        }

        var copy = Copy();
        copy.bounds = copy.bounds.AddRange(more);
        foreach (var fact in more)
        {
            copy.Count(fact, 1);
        }

        return copy;
    }

    /// <summary>The state after <paramref name="statement"/> completes normally.</summary>
    private PathFacts After(IOperation statement, TreeCache cache, CancellationToken cancellationToken)
    {
        var state = Record(statement);
        if (!cache.FactsAfter.TryGetValue(statement, out var facts))
        {
            facts = FactsAfter(statement, 0, cancellationToken);
            cache.FactsAfter[statement] = facts;
        }

        return facts is null ? state : state.With(facts);
    }

    /// <summary>The state after the assignments made by <paramref name="statement"/>.</summary>
    private PathFacts Record(IOperation statement)
    {
        var assigned = GuardAnalysis.AssignedVariables(statement);
        if (assigned.Length == 0)
        {
            return this;
        }

        var state = Kill(assigned, ImmutableArray<ILocalSymbol>.Empty);
        switch (statement)
        {
            // A plain 'x = v;' or 'var x = v;' defines x.
            case IExpressionStatementOperation { Operation: ISimpleAssignmentOperation assignment }
                when LinearForm.GetVariable(assignment.Target) is { } target && assignment.Target is not IFieldReferenceOperation:
                state.definitions = state.definitions.SetItem(target, assignment.Value);
                break;
            case IConditionalOperation { WhenFalse: null } conditional
                when AssignmentAtEnd(conditional.WhenTrue) is { } clamp && LinearForm.GetVariable(clamp.Target) is { } clamped
                     && clamp.Target is not IFieldReferenceOperation:
                var assignedInBranch = 0;
                foreach (var symbol in assigned)
                {
                    if (SymbolEqualityComparer.Default.Equals(symbol, clamped))
                    {
                        assignedInBranch++;
                    }
                }

                if (assignedInBranch == 1)
                {
                    state.conditionalDefinitions = state.conditionalDefinitions.SetItem(clamped, (conditional, clamp.Value));
                }

                break;
            case IVariableDeclarationGroupOperation group:
                foreach (var declaration in group.Declarations)
                {
                    foreach (var declarator in declaration.Declarators)
                    {
                        state.definitions = state.definitions.SetItem(declarator.Symbol, declarator.GetVariableInitializer()?.Value);
                    }
                }

                break;
        }

        return state;
    }

    /// <summary>A copy without the facts and definitions about the assigned variables.</summary>
    private PathFacts Kill(ISymbol[] assigned, ImmutableArray<ILocalSymbol> locals)
    {
        if (assigned.Length == 0 && locals.IsDefaultOrEmpty)
        {
            return this;
        }

        var copy = Copy();
        foreach (var symbol in assigned)
        {
            copy.KillOne(symbol);
        }

        foreach (var local in locals)
        {
            copy.KillOne(local);
        }

        return copy;
    }

    private void KillOne(ISymbol symbol)
    {
        definitions = definitions.SetItem(symbol, null);
        conditionalDefinitions = conditionalDefinitions.Remove(symbol);
        if (!mentions.ContainsKey(symbol))
        {
            return;
        }

        var kept = ImmutableList.CreateBuilder<LinearForm>();
        foreach (var fact in bounds)
        {
            if (fact.Mentions(symbol))
            {
                Count(fact, -1);
            }
            else
            {
                kept.Add(fact);
            }
        }

        bounds = kept.ToImmutable();
    }

    /// <summary>
    /// Adds <paramref name="delta"/> to the counts of the variables <paramref name="fact"/> mentions (once per term: a
    /// count is above zero exactly while some fact mentions its variable).
    /// </summary>
    private void Count(LinearForm fact, int delta)
    {
        foreach (var (term, _) in fact.Terms)
        {
            var count = (mentions.TryGetValue(term.Symbol, out var known) ? known : 0) + delta;
            mentions = count > 0 ? mentions.SetItem(term.Symbol, count) : mentions.Remove(term.Symbol);
        }
    }

    private PathFacts Copy()
    {
        var copy = new PathFacts();
        copy.bounds = bounds;
        copy.mentions = mentions;
        copy.definitions = definitions;
        copy.conditionalDefinitions = conditionalDefinitions;
        return copy;
    }

    /// <summary>The <c>x = v</c> that ends <paramref name="branch"/> (alone or as the last statement of a block).</summary>
    private static ISimpleAssignmentOperation? AssignmentAtEnd(IOperation branch)
    {
        if (branch is IBlockOperation { Operations.Length: > 0 } block)
        {
            branch = block.Operations[block.Operations.Length - 1];
        }

        return branch is IExpressionStatementOperation { Operation: ISimpleAssignmentOperation assignment } ? assignment : null;
    }

    /// <summary>Facts that hold right after <paramref name="statement"/> completes normally.</summary>
    private static List<LinearForm>? FactsAfter(IOperation statement, int depth, CancellationToken cancellationToken)
    {
        if (depth > 4)
        {
            return null;
        }

        switch (statement)
        {
            case IConditionalOperation conditional:
                var whenTrueExits = GuardAnalysis.AlwaysExits(conditional.WhenTrue);
                var whenFalseExits = conditional.WhenFalse is not null && GuardAnalysis.AlwaysExits(conditional.WhenFalse);
                if (whenTrueExits && !whenFalseExits)
                {
                    var facts = GuardAnalysis.FactsOf(conditional.Condition, false, cancellationToken);
                    var rest = conditional.WhenFalse is null ? null : FactsAfter(conditional.WhenFalse, depth + 1, cancellationToken);
                    return Merge(facts, rest);
                }

                if (whenFalseExits && !whenTrueExits)
                {
                    return Merge(GuardAnalysis.FactsOf(conditional.Condition, true, cancellationToken), FactsAfter(conditional.WhenTrue, depth + 1, cancellationToken));
                }

                return null;

            case IBlockOperation { Operations.Length: 1 } block:
                return FactsAfter(block.Operations[0], depth + 1, cancellationToken);

            case IExpressionStatementOperation { Operation: IInvocationOperation invocation }:
                return GuardAnalysis.FactsOfThrowHelper(invocation, cancellationToken) ?? GuardHelpers.FactsAfter(invocation, cancellationToken);

            case IExpressionStatementOperation { Operation: ISimpleAssignmentOperation assignment }:
                return Merge(
                    NotMentioning(GuardAnalysis.FactsOfThrowExpression(assignment.Value, cancellationToken), LinearForm.GetVariable(assignment.Target)),
                    RangeOf(assignment.Target, assignment.Value));

            case IVariableDeclarationGroupOperation group:
                List<LinearForm>? declared = null;
                foreach (var declaration in group.Declarations)
                {
                    foreach (var declarator in declaration.Declarators)
                    {
                        if (declarator.GetVariableInitializer()?.Value is { } value)
                        {
                            declared = Merge(declared, GuardAnalysis.FactsOfThrowExpression(value, cancellationToken));
                            declared = Merge(declared, RangeOf(declarator.Symbol, value));
                        }
                    }
                }

                return declared;

            default:
                return null;
        }
    }

    /// <summary>
    /// The facts that do not mention <paramref name="assigned"/>: a condition on its old value says nothing of the value
    /// the statement stores (<c>n = n + 1 &lt;= 16 ? n + 1 : throw ...;</c>).
    /// </summary>
    private static List<LinearForm>? NotMentioning(List<LinearForm>? facts, ISymbol? assigned)
    {
        if (facts is not null && assigned is not null)
        {
            facts.RemoveAll(fact => fact.Mentions(assigned));
        }

        return facts is { Count: > 0 } ? facts : null;
    }

    /// <summary>
    /// What the value stored in <paramref name="target"/> (a local or parameter) cannot exceed: <c>x % 64</c> is at most
    /// 63 and <c>x &amp; 63</c> at most 63, whatever <c>x</c> is.
    /// </summary>
    private static List<LinearForm>? RangeOf(IOperation target, IOperation value)
        => LinearForm.Strip(target) switch
        {
            ILocalReferenceOperation local => RangeOf(local.Local, value),
            IParameterReferenceOperation parameter => RangeOf(parameter.Parameter, value),
            _ => null,
        };

    private static List<LinearForm>? RangeOf(ISymbol variable, IOperation value)
    {
        if (LinearForm.Strip(value) is not IBinaryOperation { OperatorMethod: null } binary
            || !LinearForm.TryGetInteger(LinearForm.Strip(binary.RightOperand), out var divisor))
        {
            return null;
        }

        var most = binary.OperatorKind switch
        {
            BinaryOperatorKind.Remainder when divisor > 0 => divisor - 1,
            BinaryOperatorKind.Remainder when divisor < 0 && divisor != long.MinValue => -divisor - 1,
            BinaryOperatorKind.And when divisor >= 0 => divisor,
            _ => -1L,
        };

        // variable - most <= 0
        return most < 0 ? null : new List<LinearForm> { LinearForm.Of(new LinearTerm(LinearTermKind.Value, variable)).Add(-most) };
    }

    private static List<LinearForm>? Merge(List<LinearForm>? a, List<LinearForm>? b)
    {
        if (a is null)
        {
            return b;
        }

        if (b is not null)
        {
            a.AddRange(b);
        }

        return a;
    }
}

/// <summary>Which fields <see cref="GuardAnalysis.IsCallerSupplied"/> takes for values from the caller.</summary>
internal enum CallerFields
{
    /// <summary>None: fields hold the object's own invariants (what a copy reads from).</summary>
    None,

    /// <summary>
    /// Fields other code can set. A private field (a cursor into the type's own buffer) can only be written by the
    /// type's own code, and is its invariant.
    /// </summary>
    NonPrivate,

    /// <summary>Every field (a count copied into a fixed buffer).</summary>
    All,
}

/// <summary>
/// Proves that a value is bounded by a limit on every path to where it is used: <c>len ≤ msg.Length</c> holds
/// at the copy when the method returned or threw for larger values, when the copy sits inside
/// <c>if (len &lt;= msg.Length)</c>, when the value is <c>Math.Min(len, msg.Length)</c>, <c>Math.Clamp(.., .., 80)</c>,
/// <c>a &lt; b ? a : b</c>, <c>x &amp; 63</c>, <c>x % 64</c>, or a local assigned one of those. Sound but incomplete:
/// false means "not proven", never "proven unbounded".
/// </summary>
internal static class GuardAnalysis
{
    private const int MaxDepth = 6;

    /// <summary>
    /// True when <paramref name="value"/> ≤ <paramref name="limit"/> holds where <paramref name="value"/> is evaluated.
    /// <paramref name="lengthOf"/> gives the known size of a buffer variable (<c>msg</c> → 80, <c>tmp</c> → <c>n</c>)
    /// so that facts about <c>msg.Length</c> and about <c>80</c> are interchangeable.
    /// </summary>
    public static bool IsBounded(IOperation value, LinearForm limit, Func<ISymbol, LinearForm?> lengthOf, CancellationToken cancellationToken)
        => IsBounded(value, limit, lengthOf, 0, cancellationToken);

    /// <summary>
    /// True when <paramref name="value"/> ≤ <paramref name="limit"/> holds at <paramref name="at"/>
    /// (for a value that is not an operation of its own, e.g. the implicit length of a span being copied).
    /// </summary>
    public static bool IsBounded(LinearForm value, IOperation at, LinearForm limit, Func<ISymbol, LinearForm?> lengthOf, CancellationToken cancellationToken)
    {
        return ProveWithDefinitions(value.Subtract(limit), PathFacts.At(at, cancellationToken), lengthOf, cancellationToken);
    }

    /// <summary>
    /// True when the value of <paramref name="value"/> comes from the caller: a parameter (not <c>out</c>), a field,
    /// a property or length of one, or arithmetic, <c>Math.Min</c>/<c>Max</c>/<c>Clamp</c>, ternaries and locals made from
    /// those. A call's result or a local of unknown origin is not caller-supplied.
    /// </summary>
    /// <remarks>
    /// <paramref name="fields"/> says which fields count: none (fields often hold the object's own invariants), those
    /// other code can set, or all. A local computed with <c>Math.Min</c>/<c>Max</c>/<c>Clamp</c> or a ternary is trusted: its author
    /// bounded it, and <see cref="IsBounded(IOperation, LinearForm, Func{ISymbol, LinearForm?}, CancellationToken)"/>
    /// could not follow the arithmetic made from it.
    /// </remarks>
    public static bool IsCallerSupplied(IOperation? value, CallerFields fields, CancellationToken cancellationToken)
        => IsCallerSupplied(value, fields, throughLocal: false, 0, cancellationToken);

    private static bool IsBounded(IOperation value, LinearForm limit, Func<ISymbol, LinearForm?> lengthOf, int depth, CancellationToken cancellationToken)
    {
        if (depth > MaxDepth)
        {
            return false;
        }

        var stripped = LinearForm.Strip(value)!;
        switch (stripped)
        {
            case IInvocationOperation { TargetMethod: { ContainingType.SpecialType: SpecialType.None } method } invocation
                when method.ContainingType.Name == "Math" && method.ContainingType.ContainingNamespace?.Name == "System":
                switch (method.Name)
                {
                    case "Min":
                        foreach (var argument in invocation.Arguments)
                        {
                            if (IsBounded(argument.Value, limit, lengthOf, depth + 1, cancellationToken))
                            {
                                return true;
                            }
                        }

                        return false;
                    case "Max" when invocation.Arguments.Length == 2:
                        return IsBounded(invocation.Arguments[0].Value, limit, lengthOf, depth + 1, cancellationToken)
                               && IsBounded(invocation.Arguments[1].Value, limit, lengthOf, depth + 1, cancellationToken);
                    case "Clamp" when invocation.Arguments.Length == 3:
                        return IsBounded(invocation.Arguments[2].Value, limit, lengthOf, depth + 1, cancellationToken);
                }

                break;

            case IConditionalOperation { WhenFalse: not null } ternary when ternary.Type is not null:
                return IsBounded(ternary.WhenTrue, limit, lengthOf, depth + 1, cancellationToken)
                       && IsBounded(ternary.WhenFalse, limit, lengthOf, depth + 1, cancellationToken);

            case IBinaryOperation { OperatorMethod: null, OperatorKind: BinaryOperatorKind.And } mask
                when (LinearForm.TryGetInteger(mask.RightOperand, out var maskValue) || LinearForm.TryGetInteger(mask.LeftOperand, out maskValue)) && maskValue >= 0:
                return Prove(LinearForm.Of(maskValue).Subtract(limit), PathFacts.At(value, cancellationToken), lengthOf);

            case IBinaryOperation { OperatorMethod: null, OperatorKind: BinaryOperatorKind.Remainder } remainder
                when LinearForm.TryGetInteger(remainder.RightOperand, out var modulus) && modulus > 0:
                return Prove(LinearForm.Of(modulus - 1).Subtract(limit), PathFacts.At(value, cancellationToken), lengthOf);
        }

        var facts = PathFacts.At(value, cancellationToken);

        // A variable assigned before the use: look at what it was assigned.
        if (LinearForm.GetVariable(stripped) is { } variable && stripped is not IFieldReferenceOperation
            && facts.TryGetDefinition(variable, out var definition) && definition is not null
            && IsBounded(definition, limit, lengthOf, depth + 1, cancellationToken))
        {
            return true;
        }

        // Math.Min(count, FreeSize): a property of the type stands for its getter's expression, as in a guard.
        var form = LinearForm.FromGuardOperand(stripped, cancellationToken);
        if (form is not null && ProveWithDefinitions(form.Subtract(limit), facts, lengthOf, cancellationToken))
        {
            return true;
        }

        // if (len > msg.Length) len = msg.Length;  then len: bounded on both branches.
        if (form is not null && LinearForm.GetVariable(stripped) is { } clamped
            && facts.TryGetConditionalDefinition(clamped, out var clamp, out var clampValue))
        {
            if (IsBounded(clampValue!, limit, lengthOf, depth + 1, cancellationToken))
            {
                var notTaken = PathFacts.At(clamp!, cancellationToken).With(FactsOf(clamp!.Condition, false, cancellationToken));
                if (Prove(form.Subtract(limit), notTaken, lengthOf))
                {
                    return true;
                }
            }

            // A clamp only ever lowers the variable, so a bound it had before the clamp still holds after it:
            // if (len > dst.Length) len = dst.Length; if (len > src.Length) len = src.Length;
            if (LoweredFrom(clamp!, clamped, clampValue!) is { } before
                && IsBounded(before, limit, lengthOf, depth + 1, cancellationToken))
            {
                return true;
            }
        }

        // n - head, where head can never be negative (head = Math.Min(n, 100) after n >= 0 was checked): at most n.
        if (stripped is IBinaryOperation { OperatorMethod: null, OperatorKind: BinaryOperatorKind.Subtract } difference
            && IsNonNegative(difference.RightOperand, depth + 1, cancellationToken)
            && IsBounded(difference.LeftOperand, limit, lengthOf, depth + 1, cancellationToken))
        {
            return true;
        }

        // The range of a small type: a byte never exceeds 255.
        var maximum = stripped.Type?.SpecialType switch
        {
            SpecialType.System_Byte => 255L,
            SpecialType.System_SByte => 127L,
            SpecialType.System_UInt16 or SpecialType.System_Char => 65535L,
            SpecialType.System_Int16 => 32767L,
            _ => -1L,
        };
        return maximum >= 0 && Prove(LinearForm.Of(maximum).Subtract(limit), facts, lengthOf);
    }

    /// <summary>
    /// True when <paramref name="value"/> can never be negative where it is evaluated: a constant of at least 0, a length or
    /// an unsigned value, a variable the path proves at least 0 (<c>if (n &lt; 0) throw</c>), <c>Math.Min</c> of values that
    /// are not negative (<c>Max</c> of one, <c>Clamp</c> to a lower bound that is not), a local assigned one of those, or a
    /// local an earlier statement of the block already used as a managed copy's count or a slice's start or length, which
    /// throws for a negative one; not through an explicit cast (<c>(int)u</c> of a large <c>uint</c> is negative) (<c>Array.Copy(data, 0, ring, pos, head); Array.Copy(data, head, ring, 0, n - head);</c>).
    /// </summary>
    private static bool IsNonNegative(IOperation value, int depth, CancellationToken cancellationToken)
    {
        if (depth > MaxDepth)
        {
            return false;
        }

        var stripped = LinearForm.Strip(value)!;
        if (LinearForm.TryGetInteger(stripped, out var constant))
        {
            return constant >= 0;
        }

        // (int)u of a uint, (short)us of a ushort: an explicit cast may wrap a large value to a negative one.
        for (var conversion = value as IConversionOperation; conversion is not null; conversion = conversion.Operand as IConversionOperation)
        {
            if (!conversion.IsImplicit)
            {
                return false;
            }
        }

        if (LinearTerm.IsUnsigned(stripped.Type))
        {
            return true;
        }

        if (stripped is IInvocationOperation { TargetMethod: { ContainingType: { Name: "Math", ContainingNamespace.Name: "System" } } method } invocation)
        {
            var arguments = invocation.Arguments;
            switch (method.Name)
            {
                case "Min" when arguments.Length == 2:
                    return IsNonNegative(arguments[0].Value, depth + 1, cancellationToken) && IsNonNegative(arguments[1].Value, depth + 1, cancellationToken);
                case "Max" when arguments.Length == 2:
                    return IsNonNegative(arguments[0].Value, depth + 1, cancellationToken) || IsNonNegative(arguments[1].Value, depth + 1, cancellationToken);
                case "Clamp" when arguments.Length == 3:
                    return IsNonNegative(arguments[1].Value, depth + 1, cancellationToken);
                default:
                    return false;
            }
        }

        var facts = PathFacts.At(stripped, cancellationToken);
        if (LinearForm.From(stripped) is { } form && Prove(form.Scale(-1), facts, static _ => null))
        {
            return true;
        }

        var variable = LinearForm.GetVariable(stripped);
        if (variable is not (ILocalSymbol or IParameterSymbol { RefKind: RefKind.None }))
        {
            return false;
        }

        var assigned = facts.TryGetDefinition(variable, out var definition);
        return assigned && definition is not null && IsNonNegative(definition, depth + 1, cancellationToken)
            || UsedAsACountBefore(stripped, variable, assigned, definition, cancellationToken);
    }

    /// <summary>
    /// Whether a statement before the one holding <paramref name="use"/>, in its block or a block around it (not across a
    /// lambda), passes <paramref name="variable"/> (a local or parameter), still holding the same assignment (or none at
    /// both), as the count of <c>Array.Copy</c>, <c>Array.ConstrainedCopy</c> or <c>Buffer.BlockCopy</c>, or as the start or
    /// length of <c>AsSpan</c>, <c>AsMemory</c> or <c>Slice</c>: each throws for a negative one, so the use is reached only
    /// with a value of at least 0. A declaration (<c>var rest = data.AsSpan(head);</c>) counts as a statement.
    /// </summary>
    private static bool UsedAsACountBefore(IOperation use, ISymbol variable, bool assigned, IOperation? definition, CancellationToken cancellationToken)
    {
        IOperation node = use;
        for (var parent = use.Parent; parent is not null and not IAnonymousFunctionOperation and not ILocalFunctionOperation; node = parent, parent = parent.Parent)
        {
            if (parent is not IBlockOperation block)
            {
                continue;
            }

            foreach (var statement in block.Operations)
            {
                if (ReferenceEquals(statement, node))
                {
                    break;
                }

                if (statement is not (IExpressionStatementOperation or IVariableDeclarationGroupOperation))
                {
                    continue;
                }

                foreach (var operation in statement.DescendantsAndSelf())
                {
                    if (operation is IArgumentOperation { Parameter.Name: "length" or "count" or "start", Parent: IInvocationOperation { TargetMethod: var method } call } argument
                        && ThrowsForANegativeCount(method)
                        && SymbolEqualityComparer.Default.Equals(LinearForm.GetVariable(argument.Value), variable)
                        && PathFacts.At(call, cancellationToken).TryGetDefinition(variable, out var before) == assigned
                        && ReferenceEquals(before, definition))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    private static bool ThrowsForANegativeCount(IMethodSymbol method)
        => method.Name switch
        {
            "Copy" or "ConstrainedCopy" => method.ContainingType is { SpecialType: SpecialType.System_Array },
            "BlockCopy" => method.ContainingType is { Name: "Buffer", ContainingNamespace.Name: "System" },
            "AsSpan" or "AsMemory" => method.ContainingType is { Name: "MemoryExtensions", ContainingNamespace.Name: "System" },
            "Slice" => method.ContainingType is { Name: "Span" or "ReadOnlySpan" or "Memory" or "ReadOnlyMemory", ContainingNamespace.Name: "System" },
            _ => false,
        };

    /// <summary>
    /// The read of <paramref name="variable"/> in the condition of <paramref name="clamp"/> when the clamp lowers it: the
    /// condition is <c>x &gt; v</c> or <c>x &gt;= v</c> (or <c>v &lt; x</c>, <c>v &lt;= x</c>), and the branch is just the
    /// assignment of <paramref name="value"/>, that same <c>v</c>. Null otherwise.
    /// </summary>
    private static IOperation? LoweredFrom(IConditionalOperation clamp, ISymbol variable, IOperation value)
    {
        if (clamp.WhenTrue is not (IExpressionStatementOperation or IBlockOperation { Operations.Length: 1 })
            || LinearForm.Strip(clamp.Condition) is not IBinaryOperation { OperatorMethod: null } comparison
            || LinearForm.From(value) is not { } assigned)
        {
            return null;
        }

        var (high, low) = comparison.OperatorKind switch
        {
            BinaryOperatorKind.GreaterThan or BinaryOperatorKind.GreaterThanOrEqual => (comparison.LeftOperand, comparison.RightOperand),
            BinaryOperatorKind.LessThan or BinaryOperatorKind.LessThanOrEqual => (comparison.RightOperand, comparison.LeftOperand),
            _ => (null, null),
        };
        return high is not null && SymbolEqualityComparer.Default.Equals(LinearForm.GetVariable(LinearForm.Strip(high)), variable)
            && LinearForm.Strip(high) is not IFieldReferenceOperation
            && LinearForm.From(low) is { } compared && compared.Subtract(assigned) is { IsConstant: true, Constant: 0 }
                ? high
                : null;
    }

    /// <summary>True when <paramref name="target"/> ≤ 0 follows from one fact or the sum of two facts.</summary>
    private static bool Prove(LinearForm target, PathFacts facts, Func<ISymbol, LinearForm?> lengthOf)
        => Prove(target, facts.Bounds, lengthOf);

    private static bool Prove(LinearForm target, IReadOnlyList<LinearForm> bounds, Func<ISymbol, LinearForm?> lengthOf)
    {
        target = SubstituteLengths(target, lengthOf);
        if (target.IsTriviallyNonPositive())
        {
            return true;
        }

        if (bounds.Count == 0)
        {
            return false;
        }

        var substituted = new LinearForm[bounds.Count];
        for (var i = 0; i < bounds.Count; i++)
        {
            substituted[i] = SubstituteLengths(bounds[i], lengthOf);
            if (target.Subtract(substituted[i]).IsTriviallyNonPositive())
            {
                return true;
            }
        }

        for (var i = 0; i < substituted.Length; i++)
        {
            for (var j = i + 1; j < substituted.Length; j++)
            {
                if (target.Subtract(substituted[i]).Subtract(substituted[j]).IsTriviallyNonPositive())
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// <see cref="Prove(LinearForm, PathFacts, Func{ISymbol, LinearForm?})"/>, and when that fails, once more with each
    /// fact about a local also rewritten through the local's definition: <c>int border = Size - len; if (end &lt; border)</c>
    /// gives <c>end + len &lt; Size</c>. A definition is used only while the variables it reads still hold the values it
    /// was computed from (no assignment of them between the definition and the use), and a fact about the local itself
    /// dies when the local is assigned again.
    /// </summary>
    private static bool ProveWithDefinitions(LinearForm target, PathFacts facts, Func<ISymbol, LinearForm?> lengthOf, CancellationToken cancellationToken)
    {
        if (Prove(target, facts, lengthOf))
        {
            return true;
        }

        List<LinearForm>? bounds = null;
        foreach (var fact in facts.Bounds)
        {
            if (ThroughDefinitions(fact, facts, cancellationToken) is { } rewritten)
            {
                (bounds ??= new List<LinearForm>(facts.Bounds)).Add(rewritten);
            }
        }

        return bounds is not null && Prove(target, bounds, lengthOf);
    }

    /// <summary><paramref name="fact"/> with its locals replaced by their linear definitions, or null when none has one.</summary>
    private static LinearForm? ThroughDefinitions(LinearForm fact, PathFacts facts, CancellationToken cancellationToken)
    {
        LinearForm? result = null;
        foreach (var (term, coefficient) in fact.Terms)
        {
            if (term.Kind != LinearTermKind.Value || term.Symbol is not ILocalSymbol local
                || !facts.TryGetDefinition(local, out var definition) || definition is null
                || LinearForm.From(definition) is not { } defined || defined.Mentions(local)
                || !StillHolds(defined, definition, facts, cancellationToken))
            {
                continue;
            }

            result = (result ?? fact).Add(defined.Subtract(LinearForm.Of(term)).Scale(coefficient));
        }

        return result;
    }

    /// <summary>
    /// True when every variable of <paramref name="defined"/> has, at the use described by <paramref name="atUse"/>, the
    /// same nearest assignment as at <paramref name="definition"/> (or none at both): nothing assigned it in between.
    /// </summary>
    private static bool StillHolds(LinearForm defined, IOperation definition, PathFacts atUse, CancellationToken cancellationToken)
    {
        var atDefinition = PathFacts.At(definition, cancellationToken);
        foreach (var (term, _) in defined.Terms)
        {
            var assignedBefore = atDefinition.TryGetDefinition(term.Symbol, out var before);
            var assignedAtUse = atUse.TryGetDefinition(term.Symbol, out var atUseValue);
            if (assignedBefore != assignedAtUse || (assignedBefore && (before is null || !ReferenceEquals(before, atUseValue))))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Replaces every <c>x.Length</c> whose size <paramref name="lengthOf"/> knows by that size, and every private field
    /// its type never assigns after a literal initializer by that value (<see cref="BufferSizes.ConstantOf"/>).
    /// </summary>
    public static LinearForm SubstituteLengths(LinearForm form, Func<ISymbol, LinearForm?> lengthOf)
    {
        // Two rounds: a length may be given by another variable's length (n = data.Length; msg = new byte[n]).
        for (var round = 0; round < 2; round++)
        {
            var substituted = form.SubstituteLengths(lengthOf);
            if (ReferenceEquals(substituted, form))
            {
                break;
            }

            form = substituted;
        }

        return form;
    }

    /// <summary>Facts <c>form ≤ 0</c> implied by <paramref name="condition"/> having the value <paramref name="whenTrue"/>.</summary>
    public static List<LinearForm>? FactsOf(IOperation? condition, bool whenTrue, CancellationToken cancellationToken)
    {
        var facts = new List<LinearForm>();
        CollectFacts(condition, whenTrue, facts, 0, cancellationToken);
        return facts.Count == 0 ? null : facts;
    }

    private static void CollectFacts(IOperation? condition, bool whenTrue, List<LinearForm> facts, int depth, CancellationToken cancellationToken)
    {
        if (depth > 8)
        {
            return;
        }

        switch (LinearForm.Strip(condition))
        {
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } negation:
                CollectFacts(negation.Operand, !whenTrue, facts, depth + 1, cancellationToken);
                break;
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd } both when whenTrue:
                CollectFacts(both.LeftOperand, true, facts, depth + 1, cancellationToken);
                CollectFacts(both.RightOperand, true, facts, depth + 1, cancellationToken);
                break;
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalOr } either when !whenTrue:
                CollectFacts(either.LeftOperand, false, facts, depth + 1, cancellationToken);
                CollectFacts(either.RightOperand, false, facts, depth + 1, cancellationToken);
                break;
            case IBinaryOperation { OperatorMethod: null } comparison:
                AddComparison(comparison.OperatorKind, comparison.LeftOperand, comparison.RightOperand, whenTrue, facts, cancellationToken);
                break;
            case IIsPatternOperation pattern:
                CollectPatternFacts(pattern.Value, pattern.Pattern, whenTrue, facts, depth + 1, cancellationToken);
                break;
        }
    }

    /// <summary>
    /// Facts at the first statement of a switch section: the switch's value matched one of its labels. One label gives
    /// its own facts (<c>case 16:</c>, <c>case &lt;= 16:</c>, with its <c>when</c> clause); several constant labels give
    /// the greatest as a bound. None when a <c>goto case</c> may enter the section with another value.
    /// </summary>
    public static List<LinearForm>? FactsOfSection(ISwitchCaseOperation section, CancellationToken cancellationToken)
    {
        if (section.Parent is not ISwitchOperation { Value: var value } @switch || section.Clauses.Length == 0 || HasGotoCase(@switch))
        {
            return null;
        }

        var facts = new List<LinearForm>();
        if (section.Clauses.Length == 1)
        {
            switch (section.Clauses[0])
            {
                case ISingleValueCaseClauseOperation single:
                    AddComparison(BinaryOperatorKind.Equals, value, single.Value, true, facts, cancellationToken);
                    break;
                case IPatternCaseClauseOperation patterned:
                    CollectPatternFacts(value, patterned.Pattern, true, facts, 0, cancellationToken);
                    CollectFacts(patterned.Guard, true, facts, 0, cancellationToken);
                    break;
            }

            return facts.Count == 0 ? null : facts;
        }

        var greatest = long.MinValue;
        foreach (var clause in section.Clauses)
        {
            if (clause is not ISingleValueCaseClauseOperation single || !LinearForm.TryGetInteger(single.Value, out var label))
            {
                return null;
            }

            greatest = Math.Max(greatest, label);
        }

        if (LinearForm.FromGuardOperand(value, cancellationToken) is { } form)
        {
            AddComparison(BinaryOperatorKind.LessThanOrEqual, form, LinearForm.Of(greatest), facts);
        }

        return facts.Count == 0 ? null : facts;
    }

    private static bool HasGotoCase(ISwitchOperation @switch)
        => Find(@switch, 0, static (operation, _) => operation is IBranchOperation { BranchKind: BranchKind.GoTo }
            && (operation.Syntax.IsKind(SyntaxKind.GotoCaseStatement) || operation.Syntax.IsKind(SyntaxKind.GotoDefaultStatement)));

    /// <summary>
    /// Facts after a statement whose value throws unless a condition holds: <c>int n = len &lt;= Max ? len : throw ...;</c>
    /// (or the throw on the true side).
    /// </summary>
    public static List<LinearForm>? FactsOfThrowExpression(IOperation value, CancellationToken cancellationToken)
    {
        if (LinearForm.Strip(value) is not IConditionalOperation { WhenFalse: { } whenFalse } conditional)
        {
            return null;
        }

        if (LinearForm.Strip(whenFalse) is IThrowOperation)
        {
            return FactsOf(conditional.Condition, true, cancellationToken);
        }

        return LinearForm.Strip(conditional.WhenTrue) is IThrowOperation ? FactsOf(conditional.Condition, false, cancellationToken) : null;
    }

    /// <summary><c>len is &gt; 80</c>, <c>len is &lt; 0 or &gt; Size</c>, <c>len is not (&gt;= 0 and &lt;= Size)</c>, <c>src is { Length: &lt;= 16 }</c>.</summary>
    private static void CollectPatternFacts(IOperation value, IPatternOperation pattern, bool whenTrue, List<LinearForm> facts, int depth, CancellationToken cancellationToken)
        => CollectPatternFacts(LinearForm.FromGuardOperand(value, cancellationToken), LinearForm.GetVariable(value), pattern, whenTrue, facts, depth, cancellationToken);

    /// <summary>
    /// As above, for the value's form (null when it has none), and the variable it reads (null when it reads none, or for a
    /// property subpattern's member) whose length a property pattern may test.
    /// </summary>
    private static void CollectPatternFacts(LinearForm? form, ISymbol? variable, IPatternOperation pattern, bool whenTrue, List<LinearForm> facts, int depth, CancellationToken cancellationToken)
    {
        if (depth > 8)
        {
            return;
        }

        switch (pattern)
        {
            case IRelationalPatternOperation relational when form is not null:
                AddComparison(Holding(relational.OperatorKind, whenTrue), form, relational.Value, facts, cancellationToken);
                break;
            case IConstantPatternOperation constant when whenTrue && form is not null:
                AddComparison(BinaryOperatorKind.Equals, form, constant.Value, facts, cancellationToken);
                break;
            case IRecursivePatternOperation recursive when variable is not null && LengthSubpattern(variable, recursive) is { } subpattern:
                CollectPatternFacts(LinearForm.Of(new LinearTerm(LinearTermKind.Length, variable)), null, subpattern, whenTrue, facts, depth + 1, cancellationToken);
                break;
            case INegatedPatternOperation negated:
                CollectPatternFacts(form, variable, negated.Pattern, !whenTrue, facts, depth + 1, cancellationToken);
                break;
            case IBinaryPatternOperation { OperatorKind: BinaryOperatorKind.And } both when whenTrue:
                CollectPatternFacts(form, variable, both.LeftPattern, true, facts, depth + 1, cancellationToken);
                CollectPatternFacts(form, variable, both.RightPattern, true, facts, depth + 1, cancellationToken);
                break;
            case IBinaryPatternOperation { OperatorKind: BinaryOperatorKind.Or } either when !whenTrue:
                CollectPatternFacts(form, variable, either.LeftPattern, false, facts, depth + 1, cancellationToken);
                CollectPatternFacts(form, variable, either.RightPattern, false, facts, depth + 1, cancellationToken);
                break;
        }
    }

    /// <summary>
    /// <c>src is { Length: &lt;= 16 }</c>: the pattern the length of <paramref name="variable"/> must match, when the property
    /// pattern tests nothing else (no type, no other member, no designation), so that it fails only when the length does
    /// not match (or the variable is null, when the copy would throw anyway).
    /// </summary>
    private static IPatternOperation? LengthSubpattern(ISymbol variable, IRecursivePatternOperation recursive)
        => recursive.PropertySubpatterns.Length == 1 && recursive.DeconstructionSubpatterns.IsEmpty && recursive.DeclaredSymbol is null
            && SymbolEqualityComparer.Default.Equals(recursive.MatchedType, recursive.InputType)
            && recursive.PropertySubpatterns[0] is
            {
                Member: IPropertyReferenceOperation { Property: { Name: "Length" or "LongLength" or "Count", Parameters.Length: 0 }, Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.PatternInput } },
                Pattern: var subpattern,
            }
                ? subpattern
                : null;

    /// <summary>Adds the facts of <c>form kind right</c>, a comparison that holds (None adds nothing).</summary>
    private static void AddComparison(BinaryOperatorKind kind, LinearForm form, IOperation right, List<LinearForm> facts, CancellationToken cancellationToken)
    {
        if (kind != BinaryOperatorKind.None && LinearForm.FromGuardOperand(right, cancellationToken) is { } r)
        {
            AddComparison(kind, form, r, facts);
        }
    }

    /// <summary>The comparison that holds when <c>l kind r</c> has the value <paramref name="whenTrue"/>, or None when no fact follows.</summary>
    private static BinaryOperatorKind Holding(BinaryOperatorKind kind, bool whenTrue)
    {
        if (!whenTrue)
        {
            kind = kind switch
            {
                BinaryOperatorKind.LessThan => BinaryOperatorKind.GreaterThanOrEqual,
                BinaryOperatorKind.LessThanOrEqual => BinaryOperatorKind.GreaterThan,
                BinaryOperatorKind.GreaterThan => BinaryOperatorKind.LessThanOrEqual,
                BinaryOperatorKind.GreaterThanOrEqual => BinaryOperatorKind.LessThan,
                BinaryOperatorKind.NotEquals => BinaryOperatorKind.Equals,
                _ => BinaryOperatorKind.None,
            };
        }

        return kind is BinaryOperatorKind.LessThan or BinaryOperatorKind.LessThanOrEqual or BinaryOperatorKind.GreaterThan
            or BinaryOperatorKind.GreaterThanOrEqual or BinaryOperatorKind.Equals
                ? kind
                : BinaryOperatorKind.None;
    }

    private static void AddComparison(BinaryOperatorKind kind, IOperation left, IOperation right, bool whenTrue, List<LinearForm> facts, CancellationToken cancellationToken)
    {
        kind = Holding(kind, whenTrue);
        if (kind == BinaryOperatorKind.None)
        {
            return;
        }

        var l = LinearForm.FromGuardOperand(left, cancellationToken);
        var r = l is null ? null : LinearForm.FromGuardOperand(right, cancellationToken);
        if (l is not null && r is not null)
        {
            AddComparison(kind, l, r, facts);
        }
    }

    /// <summary>Adds the facts <c>form ≤ 0</c> of <c>l kind r</c> (a comparison that holds).</summary>
    internal static void AddComparison(BinaryOperatorKind kind, LinearForm l, LinearForm r, List<LinearForm> facts)
    {
        switch (kind)
        {
            case BinaryOperatorKind.LessThan: facts.Add(l.Subtract(r).Add(1)); break;
            case BinaryOperatorKind.LessThanOrEqual: facts.Add(l.Subtract(r)); break;
            case BinaryOperatorKind.GreaterThan: facts.Add(r.Subtract(l).Add(1)); break;
            case BinaryOperatorKind.GreaterThanOrEqual: facts.Add(r.Subtract(l)); break;
            case BinaryOperatorKind.Equals:
                facts.Add(l.Subtract(r));
                facts.Add(r.Subtract(l));
                break;
        }
    }

    /// <summary>
    /// Facts after <c>ArgumentOutOfRangeException.ThrowIfGreaterThan(value, other)</c> and the other
    /// <c>ThrowIf…</c> comparisons (they return only when the comparison is false).
    /// </summary>
    public static List<LinearForm>? FactsOfThrowHelper(IInvocationOperation invocation, CancellationToken cancellationToken)
    {
        var method = invocation.TargetMethod;
        if (!method.IsStatic || method.ContainingType?.Name != "ArgumentOutOfRangeException" || invocation.Arguments.Length < 2)
        {
            return null;
        }

        var kind = method.Name switch
        {
            "ThrowIfGreaterThan" => BinaryOperatorKind.GreaterThan,
            "ThrowIfGreaterThanOrEqual" => BinaryOperatorKind.GreaterThanOrEqual,
            "ThrowIfLessThan" => BinaryOperatorKind.LessThan,
            "ThrowIfLessThanOrEqual" => BinaryOperatorKind.LessThanOrEqual,
            _ => BinaryOperatorKind.None,
        };
        if (kind == BinaryOperatorKind.None)
        {
            return null;
        }

        IOperation? value = null, other = null;
        foreach (var argument in invocation.Arguments)
        {
            switch (argument.Parameter?.Name)
            {
                case "value": value = argument.Value; break;
                case "other": other = argument.Value; break;
            }
        }

        if (value is null || other is null)
        {
            return null;
        }

        var facts = new List<LinearForm>();
        AddComparison(kind, value, other, whenTrue: false, facts, cancellationToken);
        return facts.Count == 0 ? null : facts;
    }

    /// <summary>True when control never leaves <paramref name="operation"/> normally (it returns, throws, breaks...).</summary>
    public static bool AlwaysExits(IOperation? operation)
    {
        switch (operation)
        {
            case IReturnOperation { Kind: OperationKind.Return }:
            case IBranchOperation:
            case IThrowOperation:
            case IExpressionStatementOperation { Operation: IThrowOperation }:
                return true;
            case IExpressionStatementOperation { Operation: IInvocationOperation invocation }:
                // [DoesNotReturn], a Throw... helper, or a method in source whose body only throws.
                return FailureChecks.IsThrowHelper(invocation.TargetMethod);
            case IBlockOperation block:
                return block.Operations.Length > 0 && AlwaysExits(block.Operations[block.Operations.Length - 1]);
            case IConditionalOperation { WhenFalse: not null } conditional:
                return AlwaysExits(conditional.WhenTrue) && AlwaysExits(conditional.WhenFalse);
            default:
                return false;
        }
    }

    /// <summary>Locals and parameters assigned anywhere inside <paramref name="root"/> (including <c>ref</c>/<c>out</c> arguments); cached.</summary>
    public static ISymbol[] AssignedVariables(IOperation root)
    {
        // The cache belongs to this thread (BodyCache): no lock.
        var cache = PathFacts.TreeCache.Of(root);
        if (!cache.Assigned.TryGetValue(root, out var assigned))
        {
            var found = new List<ISymbol>();
            Visit(root, operation => AddAssigned(operation, found));
            assigned = found.Count == 0 ? System.Array.Empty<ISymbol>() : found.ToArray();
            cache.Assigned[root] = assigned;
        }

        return assigned;
    }

    /// <summary>
    /// Calls <paramref name="visit"/> on <paramref name="root"/> and every operation below it, with an explicit stack (no
    /// iterator objects: this runs over whole method bodies). The order is unspecified.
    /// </summary>
    public static void Visit(IOperation root, Action<IOperation> visit)
        => Find(root, visit, static (operation, visit) =>
        {
            visit(operation);
            return false;
        });

    /// <summary>
    /// True when <paramref name="root"/> or an operation inside it references (reads or names) a local, parameter or
    /// field of <paramref name="symbols"/>. A plain reference is answered without a walk; the walk stops at the first hit.
    /// </summary>
    public static bool ReadsAny(IOperation root, HashSet<ISymbol> symbols)
        => ReferencedSymbol(root) is { } direct
            ? symbols.Contains(direct)
            : Find(root, symbols, static (operation, symbols) => ReferencedSymbol(operation) is { } symbol && symbols.Contains(symbol));

    /// <summary>
    /// True when <paramref name="found"/> holds for <paramref name="root"/> or an operation below it; the walk stops at
    /// the first. Explicit stack, in an unspecified order.
    /// </summary>
    private static bool Find<TState>(IOperation root, TState state, Func<IOperation, TState, bool> found)
    {
        // One stack per thread, reused: a walk allocates nothing. A walk started inside another (re-entrancy) gets its own.
        var stack = visitStack ?? new Stack<IOperation>();
        visitStack = null;
        try
        {
            stack.Push(root);
            while (stack.Count > 0)
            {
                var operation = stack.Pop();
                if (found(operation, state))
                {
                    return true;
                }

                foreach (var child in operation.ChildOperations)
                {
                    stack.Push(child);
                }
            }

            return false;
        }
        finally
        {
            stack.Clear();
            visitStack = stack;
        }
    }

    [ThreadStatic]
    private static Stack<IOperation>? visitStack;

    private static bool Counts(IFieldSymbol field, CallerFields fields) => fields switch
    {
        CallerFields.All => true,
        CallerFields.NonPrivate => field.DeclaredAccessibility != Accessibility.Private,
        _ => false,
    };

    private static ISymbol? ReferencedSymbol(IOperation operation) => operation switch
    {
        ILocalReferenceOperation local => local.Local,
        IParameterReferenceOperation parameter => parameter.Parameter,
        IFieldReferenceOperation field => field.Field,
        _ => null,
    };

    /// <summary>The locals and parameters <paramref name="operation"/> itself assigns (not its children), added to <paramref name="assigned"/>.</summary>
    public static void AddAssigned(IOperation operation, List<ISymbol> assigned)
    {
        if (operation is IVariableDeclaratorOperation declared)
        {
            assigned.Add(declared.Symbol);
            return;
        }

        IOperation? target = operation switch
        {
            IAssignmentOperation assignment => assignment.Target,
            IIncrementOrDecrementOperation increment => increment.Target,
            IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } argument => argument.Value,
            IDeclarationExpressionOperation declaration => declaration.Expression,
            _ => null,
        };

        if (target is IVariableDeclaratorOperation declarator)
        {
            assigned.Add(declarator.Symbol);
            return;
        }

        if (operation is IAssignmentOperation { Target: ITupleOperation tuple })
        {
            foreach (var element in tuple.Elements)
            {
                if (LinearForm.GetVariable(element) is { } symbol)
                {
                    assigned.Add(symbol);
                }
            }

            return;
        }

        if (target is not null && LinearForm.GetVariable(target) is { } variable && variable is not IFieldSymbol)
        {
            assigned.Add(variable);
        }
    }

    /// <summary>
    /// A local or parameter read at <paramref name="use"/> holds a caller's value: what it was last assigned does, or,
    /// for a parameter nothing assigns (or assigns on one branch only), the argument itself.
    /// </summary>
    private static bool IsCallerSuppliedVariable(ISymbol variable, IOperation use, CallerFields fields, int depth, CancellationToken cancellationToken)
    {
        // Cheapest first: where the body leaves no doubt, the definition is known without path facts, and is never
        // conditional (DefinitionsTests holds the two to the same answers).
        if (!Definitions.TryGetWithoutPath(variable, use, out var assigned, out var definition))
        {
            var facts = PathFacts.At(use, cancellationToken);
            if (facts.TryGetConditionalDefinition(variable, out _, out var conditionalValue))
            {
                // if (...) len = ...; keeps the caller's value on the other branch; a local holds what the branch assigned.
                return variable is IParameterSymbol || IsCallerSupplied(conditionalValue, fields, true, depth + 1, cancellationToken);
            }

            assigned = facts.TryGetDefinition(variable, out definition);
        }

        return assigned
            ? definition is not null && IsCallerSupplied(definition, fields, true, depth + 1, cancellationToken)
            : variable is IParameterSymbol { RefKind: not RefKind.Out };
    }

    private static bool IsCallerSupplied(IOperation? value, CallerFields fields, bool throughLocal, int depth, CancellationToken cancellationToken)
    {
        if (depth > MaxDepth)
        {
            return false;
        }

        var stripped = LinearForm.Strip(value);
        if (stripped is null || stripped.ConstantValue.HasValue)
        {
            return false;
        }

        switch (stripped)
        {
            case IParameterReferenceOperation parameter:
                return IsCallerSuppliedVariable(parameter.Parameter, stripped, fields, depth, cancellationToken);
            case ILocalReferenceOperation local:
                return IsCallerSuppliedVariable(local.Local, stripped, fields, depth, cancellationToken);
            case IFieldReferenceOperation field:
                return Counts(field.Field, fields);
            case IPropertyReferenceOperation property:
                return property.Instance is IParameterReferenceOperation
                       || (property.Instance is IFieldReferenceOperation owner && Counts(owner.Field, fields))
                       || (property.Property.Name is "Length" or "LongLength" or "Count"
                           && IsCallerSupplied(property.Instance, fields, throughLocal, depth + 1, cancellationToken));
            case IBinaryOperation binary:
                return IsCallerSupplied(binary.LeftOperand, fields, throughLocal, depth + 1, cancellationToken)
                       || IsCallerSupplied(binary.RightOperand, fields, throughLocal, depth + 1, cancellationToken);
            case IUnaryOperation unary:
                return IsCallerSupplied(unary.Operand, fields, throughLocal, depth + 1, cancellationToken);
            case IConditionalOperation { WhenFalse: not null } ternary:
                // A local computed with a ternary was already bounded by its author; only a ternary written as the count is checked.
                return !throughLocal
                       && (IsCallerSupplied(ternary.WhenTrue, fields, throughLocal, depth + 1, cancellationToken)
                           || IsCallerSupplied(ternary.WhenFalse, fields, throughLocal, depth + 1, cancellationToken));
            case IInvocationOperation invocation
                when invocation.TargetMethod.ContainingType?.Name == "Math" && invocation.TargetMethod.Name is "Min" or "Max" or "Clamp" or "Abs":
                // Same for Math.Min/Max/Clamp: checked when written as the count, trusted when it made a local.
                if (throughLocal && invocation.TargetMethod.Name != "Abs")
                {
                    return false;
                }

                foreach (var argument in invocation.Arguments)
                {
                    if (IsCallerSupplied(argument.Value, fields, throughLocal, depth + 1, cancellationToken))
                    {
                        return true;
                    }
                }

                return false;
            default:
                return false;
        }
    }
}
