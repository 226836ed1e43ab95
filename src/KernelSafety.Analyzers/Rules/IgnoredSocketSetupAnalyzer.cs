using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using KernelSafety.Analyzers.Analysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace KernelSafety.Analyzers.Rules;

/// <summary>
/// KS0002: a socket whose creation or connect failed is used anyway. Looks at P/Invoke'd <c>connect</c>/<c>socket</c>
/// results (discarded, never tested, or tested by a branch that only logs), <c>ConnectAsync</c> tasks and completion
/// flags, <c>BeginConnect</c> without <c>EndConnect</c>, <c>Wait(timeout)</c> results, and catches that swallow a
/// failed <c>Connect</c> before the socket is used.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class IgnoredSocketSetupAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property naming which shape was found; the code fix dispatches on it.</summary>
    public const string KindProperty = "Kind";

    /// <summary>Diagnostic property: the local holding a native result (<c>k</c> in <c>int k = connect(...)</c>).</summary>
    public const string ResultLocalProperty = "ResultLocal";

    /// <summary>A native result that is not used at all: <c>connect(fd, ...);</c>.</summary>
    public const string NativeDiscarded = "NativeDiscarded";

    /// <summary>A native result stored in a local that is never tested before the descriptor is used.</summary>
    public const string NativeUntested = "NativeUntested";

    /// <summary>A native result tested, but the failure branch falls through to the use (the seed). Additional location: the branch.</summary>
    public const string NativeFailureFallsThrough = "NativeFailureFallsThrough";

    /// <summary>A <c>ConnectAsync</c> task that is neither awaited, returned, stored and awaited, nor passed on.</summary>
    public const string UnobservedTask = "UnobservedTask";

    /// <summary><c>Socket.ConnectAsync(SocketAsyncEventArgs)</c> whose <c>bool</c> is ignored.</summary>
    public const string IgnoredPendingFlag = "IgnoredPendingFlag";

    /// <summary><c>BeginConnect</c> never matched by <c>EndConnect</c>.</summary>
    public const string MissingEndConnect = "MissingEndConnect";

    /// <summary>A catch that swallows a failed connect before the socket is used. Additional locations: the catch blocks.</summary>
    public const string SwallowedFailure = "SwallowedFailure";

    /// <summary><c>ConnectAsync(...).Wait(timeout)</c> whose <c>bool</c> is ignored. Additional location: the <c>Wait</c> call.</summary>
    public const string IgnoredWaitResult = "IgnoredWaitResult";

    private const long NativeFailure = -1;
    private const long ConnectSuccess = 0;
    private const long DescriptorSample = 3;

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.IgnoredSocketSetup);

    private static readonly ImmutableArray<OperationKind> InvocationKind = ImmutableArray.Create(OperationKind.Invocation);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCode.Flags);
        context.RegisterCompilationStartAction(start =>
        {
            // Only types whose source spells a connect or socket call are looked at (SourceIndex); the socket and interop
            // types are resolved on first use (KnownSymbols).
            var symbols = KnownSymbols.Get(start.Compilation);
            start.RegisterOperationActionInTypesUsing(SourceNames.Connects, c => AnalyzeInvocation(c, symbols), InvocationKind);
        });
    }

    private static void AnalyzeInvocation(OperationAnalysisContext context, KnownSymbols symbols)
    {
        if (context.Operation is not IInvocationOperation invocation)
        {
            return;
        }

        var method = invocation.TargetMethod;
        switch (method.Name)
        {
            case "Connect" or "ConnectAsync" or "BeginConnect":
                if (SocketApi.GetConnectKind(method, symbols) is ConnectKind.Socket or ConnectKind.Client)
                {
                    AnalyzeManaged(context, invocation, symbols);
                    return;
                }

                break;
        }

        if (!NativeMethods.MayBePInvoke(method))
        {
            return;
        }

        var entryPoint = NativeMethods.GetEntryPoint(method, symbols);
        if (entryPoint is NativeMethods.Connect or NativeMethods.SocketCreate)
        {
            AnalyzeNative(context, invocation, entryPoint, symbols);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Native connect / socket

    private static void AnalyzeNative(OperationAnalysisContext context, IInvocationOperation invocation, string entryPoint, KnownSymbols symbols)
    {
        var isSocket = entryPoint == NativeMethods.SocketCreate;
        var success = isSocket ? DescriptorSample : ConnectSuccess;
        var model = invocation.SemanticModel;
        var root = ResultUsage.GetRoot(invocation);

        // connect(fd, ...): the descriptor is the first argument; socket(...): the descriptor is the result.
        ISymbol? descriptor = null;
        if (!isSocket && invocation.Arguments.Length > 0)
        {
            descriptor = ResultUsage.GetReferencedSymbol(invocation.Arguments[0].Value);
        }

        IOperation occurrence = invocation;
        var use = ResultUsage.Classify(invocation, out var consumer, out var local);
        if (use == ResultUseKind.StoredInLocal
            && consumer is ISimpleAssignmentOperation assignment
            && ResultUsage.SkipConversionsUp(assignment).Parent is not IExpressionStatementOperation)
        {
            // if ((rc = connect(...)) < 0): the value of the assignment is what the code tests.
            occurrence = assignment;
            if (IsSwitchedOn(context, invocation, entryPoint, isSocket, assignment, local, descriptor, root, symbols))
            {
                return; // switch (rc = connect(...)) { ... }
            }

            if (ResultUsage.Classify(assignment, out _, out _) != ResultUseKind.Tested)
            {
                return; // while ((rc = connect(...)) ...), Check(rc = connect(...)): followed elsewhere
            }

            use = ResultUseKind.Tested;
        }
        else if (IsSwitchedOn(context, invocation, entryPoint, isSocket, invocation, assignedLocal: null, descriptor, root, symbols))
        {
            return; // switch (connect(...)) { ... }
        }

        switch (use)
        {
            case ResultUseKind.Discarded:
                Report(context, invocation, NativeDiscarded, entryPoint,
                    isSocket
                        ? "it returns -1 on failure and the descriptor is lost; store it and test it for failure before using it"
                        : "it returns -1 on failure and the socket is used unconnected; test it and leave the method on failure");
                return;

            case ResultUseKind.PassedOn or ResultUseKind.Other or ResultUseKind.Tested or ResultUseKind.Receiver when ResultUsage.IsOnlyLogged(invocation):
                // Console.WriteLine(connect(...)), Console.WriteLine($"fd={socket(...)}"): a message is not a test.
                if (isSocket)
                {
                    Report(context, invocation, NativeUntested, entryPoint,
                        "the descriptor is only printed, so it is lost and -1 (a failure) goes unnoticed; store it and test it for failure before using it");
                }
                else if (descriptor is not null && IsDescriptorUsedAfter(BodyReferences.Of(root).All, descriptor, invocation.Syntax.Span.End, symbols))
                {
                    Report(context, invocation, NativeUntested, entryPoint,
                        $"it is only printed, not tested, and '{descriptor.Name}' is used after it; test it and leave the method on failure");
                }

                return;

            case ResultUseKind.Tested:
                {
                    var assigned = occurrence == invocation ? null : local;
                    if (isSocket && IsZeroTest(occurrence))
                    {
                        // if (socket(...) == IntPtr.Zero): 0 is a valid descriptor, and the failure (-1) passes.
                        Report(context, invocation, NativeUntested, entryPoint, WrongSentinel(assigned is null ? "the descriptor" : "'" + assigned.Name + "'"));
                        return;
                    }

                    if (!FailureChecks.TryGetFailureTest(occurrence, NativeFailure, success, out var test))
                    {
                        return;
                    }

                    if (!isSocket && descriptor is not null && PicksMessageOnly(test)
                        && IsDescriptorUsedAfter(BodyReferences.Of(root).All, descriptor, invocation.Syntax.Span.End, symbols))
                    {
                        // Console.WriteLine(connect(...) == 0 ? "connected" : "connect failed"): the seed's printk, then the send.
                        Report(context, invocation, NativeUntested, entryPoint,
                            $"the test only picks the message printed, and '{descriptor.Name}' is used after it either way; test it and leave the method on failure");
                        return;
                    }

                    if (FailureChecks.Leaves(test.FailureBranch, model)
                        || FailureChecks.LeavesOnSomePath(test.FailureBranch)
                        || !test.IsStatement
                        || test.FailureBranch is null
                        || FailureChecks.RecordsState(test.FailureBranch)
                        || FailureChecks.RecordsState(SuccessBranch(test))
                        || descriptor is null
                        || !IsDescriptorUsedAfter(BodyReferences.Of(root).All, descriptor, test.Conditional.Syntax.Span.End, symbols)
                        || !MayUseOnFailure(context, invocation, candidate => candidate?.Syntax == occurrence.Syntax || (assigned is not null && IsRead(assigned)(candidate)), success, descriptor, BodyReferences.Of(root).All, symbols))
                    {
                        return;
                    }

                    ReportFallsThrough(context, invocation, entryPoint, test.FailureBranch, descriptor.Name, resultLocal: assigned?.Name);
                    return;
                }

            case ResultUseKind.StoredInLocal when local is not null:
                AnalyzeStoredNativeResult(context, invocation, entryPoint, isSocket, isSocket ? local : descriptor, local, BodyReferences.Of(root).All, symbols);
                return;

            default:
                // Returned, passed on, stored in a field: someone else decides.
                return;
        }
    }

    private static void AnalyzeStoredNativeResult(
        OperationAnalysisContext context,
        IInvocationOperation invocation,
        string entryPoint,
        bool isSocket,
        ISymbol? descriptor,
        ILocalSymbol local,
        List<IOperation> references,
        KnownSymbols symbols)
    {
        var success = isSocket ? DescriptorSample : ConnectSuccess;
        var model = invocation.SemanticModel;

        var firstHandled = int.MaxValue;
        (int TestEnd, IOperation FailureBranch)? fallThrough = null;
        var zeroTested = false;
        var printed = false;
        var testedUpTo = -1;
        var usedAt = -1;
        foreach (var read in ResultUsage.GetReadsAfter(ResultUsage.GetRoot(invocation), local, invocation))
        {
            context.CancellationToken.ThrowIfCancellationRequested();

            // Reads inside a test already seen (return k; in its failure branch) belong to that test.
            if (read.Syntax.SpanStart < testedUpTo)
            {
                continue;
            }

            if (FailureChecks.TryGetFailureTest(read, NativeFailure, success, out var test))
            {
                testedUpTo = test.Conditional.Syntax.Span.End;
                if (PicksMessageOnly(test))
                {
                    printed = true; // Console.WriteLine(rc == 0 ? "connected" : "connect failed"): a message, not a test
                    continue;
                }

                // A test that leaves on failure, or one whose success branch guards the use (failure falls through
                // past it), handles the failure.
                if (FailureChecks.Leaves(test.FailureBranch, model) || test.FailureBranch is null)
                {
                    if (test.Conditional.Syntax.SpanStart < firstHandled)
                    {
                        firstHandled = test.Conditional.Syntax.SpanStart;
                    }
                }
                else if (test.IsStatement
                    && !FailureChecks.RecordsState(test.FailureBranch)
                    && !FailureChecks.RecordsState(SuccessBranch(test))
                    && !FailureChecks.LeavesOnSomePath(test.FailureBranch))
                {
                    fallThrough ??= (test.Conditional.Syntax.Span.End, test.FailureBranch!);
                }
                else
                {
                    return; // a ?: that produces a value, or a branch that records the failure: followed elsewhere
                }

                continue;
            }

            if (FailureChecks.TryGetSwitchTest(read, NativeFailure, success, out var switchTest))
            {
                testedUpTo = switchTest.Switch.Syntax.Span.End;
                if (HandlesFailure(switchTest, model, out var exit))
                {
                    firstHandled = Math.Min(firstHandled, switchTest.Switch.Syntax.SpanStart);
                }
                else if (exit is not null)
                {
                    fallThrough ??= (switchTest.Switch.Syntax.Span.End, exit);
                }
                else
                {
                    return; // a section that records the failure, or one that leaves on some path only
                }

                continue;
            }

            // socket(): fd == IntPtr.Zero or fd != 0 separates 0 from the rest, and -1 (the failure) is in the rest.
            if (isSocket && IsZeroTest(read))
            {
                zeroTested = true;
                continue;
            }

            // socket(): passing the descriptor to another P/Invoke is a use of it, not a hand-off; once it has been
            // used, returning or storing it later does not make up for the missing test.
            if (isSocket && (usedAt >= 0 || IsNativeArgument(read, symbols)))
            {
                if (usedAt < 0)
                {
                    usedAt = read.Syntax.SpanStart;
                }

                continue;
            }

            // Printed or logged (Console.WriteLine($"connect returned {rc}")): a message is not a test.
            if (ResultUsage.IsOnlyLogged(read))
            {
                printed = true;
                continue;
            }

            // Returned, passed on, stored, compared in some other way: not ignored.
            return;
        }

        var name = descriptor is null ? "the socket" : "'" + descriptor.Name + "'";
        if (firstHandled != int.MaxValue)
        {
            // Tested, but is the descriptor used before the test?
            if (descriptor is not null
                && FirstDescriptorUse(references, descriptor, invocation.Syntax.Span.End, symbols) is int use
                && use < firstHandled
                && MayUseOnFailure(context, invocation, IsRead(local), success, descriptor, references, symbols))
            {
                Report(context, invocation, NativeUntested, entryPoint,
                    isSocket
                        ? $"descriptor '{local.Name}' is tested for -1 only after it is used; test it before using it"
                        : $"'{local.Name}' is tested only after {name} is used; test it for failure before using the socket",
                    resultLocal: local.Name);
            }

            return;
        }

        if (fallThrough is var (testEnd, failureBranch))
        {
            if (descriptor is not null
                && IsDescriptorUsedAfter(references, descriptor, testEnd, symbols)
                && MayUseOnFailure(context, invocation, IsRead(local), success, descriptor, references, symbols))
            {
                ReportFallsThrough(context, invocation, entryPoint, failureBranch, descriptor.Name, local.Name);
            }

            return;
        }

        if (zeroTested)
        {
            Report(context, invocation, NativeUntested, entryPoint, WrongSentinel("'" + local.Name + "'"), resultLocal: local.Name);
            return;
        }

        // A probe that prints the result and closes the descriptor: told the user, used nothing.
        if (printed && descriptor is not null && !IsDescriptorUsedAfter(references, descriptor, invocation.Syntax.Span.End, symbols))
        {
            return;
        }

        Report(context, invocation, NativeUntested, entryPoint,
            isSocket
                ? $"descriptor '{local.Name}' is never tested for -1 before it is used; test it and leave the method on failure"
                : $"'{local.Name}' is never tested for failure before {name} is used; test it and leave the method on failure",
            resultLocal: local.Name);
    }

    private static string WrongSentinel(string descriptor)
        => $"{descriptor} is tested against 0, but socket() returns -1 (INVALID_SOCKET) on failure and 0 is a valid descriptor; test it for -1 and leave the method on failure";

    /// <summary>
    /// <c>fd == 0</c>, <c>fd != IntPtr.Zero</c>, <c>fd == default</c>: an equality test of a descriptor against zero,
    /// which is a valid descriptor, while the failure value -1 passes as success.
    /// </summary>
    private static bool IsZeroTest(IOperation read)
    {
        var consumed = ResultUsage.SkipConversionsUp(read);
        IOperation? other;
        switch (consumed.Parent)
        {
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } comparison:
                other = LinearForm.Strip(comparison.LeftOperand == consumed ? comparison.RightOperand : comparison.LeftOperand);
                break;
            case IIsPatternOperation { Pattern: var pattern }:
                // fd is 0, fd is not 0
                var constant = pattern is INegatedPatternOperation negated ? negated.Pattern : pattern;
                if (constant is not IConstantPatternOperation { Value: var value })
                {
                    return false;
                }

                other = LinearForm.Strip(value);
                break;
            case IInvocationOperation { TargetMethod.Name: "Equals", Arguments.Length: 1 } equals when equals.Instance == consumed:
                other = LinearForm.Strip(equals.Arguments[0].Value); // fd.Equals(0)
                break;
            default:
                return false;
        }

        return other switch
        {
            IDefaultValueOperation => true,
            IFieldReferenceOperation { Field: { Name: "Zero", IsStatic: true, ContainingType.SpecialType: SpecialType.System_IntPtr or SpecialType.System_UIntPtr } } => true,
            _ => LinearForm.TryGetInteger(other, out var value) && value == 0,
        };
    }

    /// <summary>The branch taken on success (<c>else { connected = true; }</c>); a flag set there may guard the use.</summary>
    private static IOperation? SuccessBranch(FailureTest test)
        => test.FailureIsTrue ? test.Conditional.WhenFalse : test.Conditional.WhenTrue;

    /// <summary>
    /// A <c>?:</c> test whose two branches are constants (the messages) and whose value is only printed or logged:
    /// <c>Console.WriteLine(rc &lt; 0 ? "connect failed" : "connected")</c> decides nothing.
    /// </summary>
    private static bool PicksMessageOnly(FailureTest test)
        => !test.IsStatement
            && test.Conditional is { WhenTrue.ConstantValue.HasValue: true, WhenFalse.ConstantValue.HasValue: true } conditional
            && ResultUsage.IsOnlyLogged(conditional);

    /// <summary>
    /// True when <paramref name="occurrence"/> (a connect call, or the assignment of its result) is the value of a
    /// <c>switch</c> that tells failure from success, which then decides; reports a failure section that only logs and
    /// falls out of the switch to a use of the descriptor (<c>switch (connect(fd, ...)) { case -1: Log(); break; }</c>).
    /// </summary>
    private static bool IsSwitchedOn(
        OperationAnalysisContext context,
        IInvocationOperation invocation,
        string entryPoint,
        bool isSocket,
        IOperation occurrence,
        ILocalSymbol? assignedLocal,
        ISymbol? descriptor,
        IOperation root,
        KnownSymbols symbols)
    {
        var success = isSocket ? DescriptorSample : ConnectSuccess;
        if (!FailureChecks.TryGetSwitchTest(occurrence, NativeFailure, success, out var switchTest))
        {
            return false;
        }

        // socket(): the descriptor is the switched value itself; only connect's descriptor is followed past the switch.
        var references = BodyReferences.Of(root).All;
        if (!isSocket
            && descriptor is not null
            && !HandlesFailure(switchTest, invocation.SemanticModel, out var exit)
            && exit is not null
            && IsDescriptorUsedAfter(references, descriptor, switchTest.Switch.Syntax.Span.End, symbols)
            && MayUseOnFailure(context, invocation, candidate => candidate?.Syntax == occurrence.Syntax || (assignedLocal is not null && IsRead(assignedLocal)(candidate)), success, descriptor, references, symbols))
        {
            ReportFallsThrough(context, invocation, entryPoint, exit, descriptor.Name, assignedLocal?.Name);
        }

        return true;
    }

    /// <summary>
    /// What a <c>switch</c> on the result does with a failure: true when it handles it (no section takes it, and it goes
    /// past the switch as past an <c>if</c> without <c>else</c>, or its section leaves the method); otherwise
    /// <paramref name="fallsOutAt"/> is the <c>break</c> of a failure section that only reports it
    /// (<c>case -1: Log(); break;</c>), or null when a section records the failure or the shape is not that plain.
    /// </summary>
    private static bool HandlesFailure(SwitchTest test, SemanticModel? model, out IBranchOperation? fallsOutAt)
    {
        fallsOutAt = null;
        if (test.FailureCase is not { } failureCase || LeavesSection(failureCase, model))
        {
            return true;
        }

        if (!RecordsState(failureCase) && !RecordsState(test.SuccessCase))
        {
            fallsOutAt = test.FailureFallsOutAt;
        }

        return false;
    }

    /// <summary>
    /// True when a switch section leaves the method or loop: a statement of it returns, throws, continues or calls a
    /// method that does not return (<c>Environment.Exit</c>, a <c>Throw...</c> helper), as an <c>if</c>'s branch would.
    /// </summary>
    private static bool LeavesSection(ISwitchCaseOperation section, SemanticModel? model)
    {
        foreach (var statement in SwitchTest.Statements(section))
        {
            if (statement is not IBranchOperation { BranchKind: BranchKind.Break } && FailureChecks.Leaves(statement, model))
            {
                return true;
            }
        }

        return false;
    }

    private static bool RecordsState(ISwitchCaseOperation? section)
    {
        foreach (var statement in SwitchTest.Statements(section))
        {
            if (FailureChecks.RecordsState(statement))
            {
                return true;
            }
        }

        return false;
    }

    private static void ReportFallsThrough(OperationAnalysisContext context, IInvocationOperation invocation, string entryPoint, IOperation failureBranch, string descriptorName, string? resultLocal)
    {
        var builder = ImmutableDictionary.CreateBuilder<string, string?>();
        builder.Add(KindProperty, NativeFailureFallsThrough);
        if (resultLocal is not null)
        {
            builder.Add(ResultLocalProperty, resultLocal);
        }

        context.Report(Diagnostic.Create(
            DiagnosticDescriptors.IgnoredSocketSetup,
            invocation.Syntax.GetLocation(),
            additionalLocations: new[] { failureBranch.Syntax.GetLocation() },
            properties: builder.ToImmutable(),
            entryPoint,
            $"the failure branch only reports it and falls through to use '{descriptorName}'; leave the method on failure"));
    }

    /// <summary>True when <paramref name="read"/> is an argument of a P/Invoke (<c>connect(fd, ...)</c>, <c>send(fd, ...)</c>).</summary>
    private static bool IsNativeArgument(IOperation read, KnownSymbols symbols)
    {
        var consumed = ResultUsage.SkipConversionsUp(read);
        return consumed.Parent is IArgumentOperation { Parent: IInvocationOperation call }
            && NativeMethods.GetEntryPoint(call.TargetMethod, symbols) is { } entry
            && entry != "close";
    }

    /// <summary>The position of the first time the descriptor is handed to a P/Invoke other than <c>close</c> after <paramref name="position"/>.</summary>
    private static int? FirstDescriptorUse(List<IOperation> references, ISymbol descriptor, int position, KnownSymbols symbols)
    {
        int? first = null;
        foreach (var operation in references)
        {
            if (operation.Syntax.SpanStart >= position
                && (first is null || operation.Syntax.SpanStart < first)
                && IsNativeUseOf(operation, descriptor, symbols))
            {
                first = operation.Syntax.SpanStart;
            }
        }

        return first;
    }

    /// <summary>True when <paramref name="reference"/> reads <paramref name="descriptor"/> as an argument of a P/Invoke other than <c>close</c>.</summary>
    private static bool IsNativeUseOf(IOperation reference, ISymbol descriptor, KnownSymbols symbols)
        => SymbolEqualityComparer.Default.Equals(ResultUsage.GetSymbolOfReference(reference), descriptor) && IsNativeArgument(reference, symbols);

    /// <summary>
    /// Confirms on the control flow graph that the descriptor can be handed to a P/Invoke after <paramref name="invocation"/>
    /// while its result may still be the failure value (unknown graph: the source-order answer stands).
    /// </summary>
    private static bool MayUseOnFailure(
        OperationAnalysisContext context,
        IInvocationOperation invocation,
        Func<IOperation?, bool> isTestedValue,
        long success,
        ISymbol descriptor,
        List<IOperation> references,
        KnownSymbols symbols)
    {
        // The common shape needs no graph: the call's statement, then plain statements and ifs in the same block
        // until one hands the descriptor to a P/Invoke. That path is in the graph too, so the answer is the same.
        if (StraightLinePath.ReachesUse(invocation, isTestedValue, NativeFailure, success, descriptor, symbols))
        {
            return true;
        }

        // In the graph, a descriptor argument evaluated before a later '?:' argument (send(fd, n == 0 ? a : b, ...), the
        // loop KS0005's fix writes) is captured first and the call gets a capture reference: the capture, made from the
        // very syntax of a P/Invoke argument, is the use.
        HashSet<SyntaxNode>? nativeArguments = null;
        foreach (var reference in references)
        {
            if (IsNativeUseOf(reference, descriptor, symbols))
            {
                (nativeArguments ??= new HashSet<SyntaxNode>()).Add(reference.Syntax);
            }
        }

        return FailurePaths.ReachesUseOnFailure(
            invocation,
            isTestedValue,
            NativeFailure,
            success,
            operation => IsDescriptorUse(operation, descriptor, symbols)
                || (nativeArguments is not null && operation is IFlowCaptureOperation { Value: { } captured } && nativeArguments.Contains(captured.Syntax)),
            context.CancellationToken,
            context.GetControlFlowGraph) ?? true;
    }

    /// <summary>
    /// A sufficient test for <see cref="FailurePaths.ReachesUseOnFailure"/> answering true, without building the control
    /// flow graph: from the statement holding the call, the following statements of the same block are run in order; a
    /// statement without branches (no <c>?:</c>, <c>&amp;&amp;</c>, <c>??</c>, <c>?.</c>, lambdas, throws, patterns,
    /// interpolation handlers) runs whole, and an <c>if</c> whose condition has no branch either is followed on its
    /// failure side (both sides when the test does not tell failure from success) when that side runs to its end. A use
    /// in a statement reached that way is on a path the graph walk follows as well. Anything else: unknown (false), and
    /// the graph decides.
    /// </summary>
    private static class StraightLinePath
    {
        private enum Outcome
        {
            Unknown,
            Completes,
            ReachesUse,
        }

        public static bool ReachesUse(IOperation start, Func<IOperation?, bool> isTestedValue, long failure, long success, ISymbol descriptor, KnownSymbols symbols)
        {
            var statement = start;
            while (statement.Parent is { } parent and not IBlockOperation)
            {
                statement = parent;
            }

            if (statement.Parent is not IBlockOperation block || !IsPlain(statement))
            {
                return false;
            }

            var statements = block.Operations;
            var index = statements.IndexOf(statement);
            if (index < 0)
            {
                return false;
            }

            for (var i = index + 1; i < statements.Length; i++)
            {
                switch (Run(statements[i], isTestedValue, failure, success, descriptor, symbols))
                {
                    case Outcome.ReachesUse:
                        return true;
                    case Outcome.Unknown:
                        return false;
                }
            }

            return false;
        }

        private static Outcome Run(IOperation? statement, Func<IOperation?, bool> isTestedValue, long failure, long success, ISymbol descriptor, KnownSymbols symbols)
        {
            switch (statement)
            {
                case null:
                    return Outcome.Completes;
                case IBlockOperation block:
                    foreach (var inner in block.Operations)
                    {
                        var outcome = Run(inner, isTestedValue, failure, success, descriptor, symbols);
                        if (outcome != Outcome.Completes)
                        {
                            return outcome;
                        }
                    }

                    return Outcome.Completes;
                case IConditionalOperation conditional when conditional.Syntax is Microsoft.CodeAnalysis.CSharp.Syntax.IfStatementSyntax:
                    {
                        if (!IsPlainExpression(conditional.Condition) || ContainsUse(conditional.Condition, descriptor, symbols))
                        {
                            return Outcome.Unknown;
                        }

                        var onFailure = FailureChecks.Evaluate(conditional.Condition, isTestedValue, failure);
                        var onSuccess = FailureChecks.Evaluate(conditional.Condition, isTestedValue, success);
                        if (onFailure is bool failed && onSuccess is bool succeeded && failed != succeeded)
                        {
                            return Run(failed ? conditional.WhenTrue : conditional.WhenFalse, isTestedValue, failure, success, descriptor, symbols);
                        }

                        // Both sides are followed: either one reaching a use, or running to its end, will do.
                        var whenTrue = Run(conditional.WhenTrue, isTestedValue, failure, success, descriptor, symbols);
                        if (whenTrue == Outcome.ReachesUse)
                        {
                            return whenTrue;
                        }

                        var whenFalse = Run(conditional.WhenFalse, isTestedValue, failure, success, descriptor, symbols);
                        if (whenFalse == Outcome.ReachesUse)
                        {
                            return whenFalse;
                        }

                        return whenTrue == Outcome.Completes || whenFalse == Outcome.Completes ? Outcome.Completes : Outcome.Unknown;
                    }

                default:
                    if (!IsPlain(statement))
                    {
                        return Outcome.Unknown;
                    }

                    return ContainsUse(statement, descriptor, symbols) ? Outcome.ReachesUse : Outcome.Completes;
            }
        }

        /// <summary>An expression statement or a declaration in which every operation runs, in one basic block.</summary>
        private static bool IsPlain(IOperation statement)
            => statement is IExpressionStatementOperation or IVariableDeclarationGroupOperation or IEmptyOperation && IsPlainExpression(statement);

        /// <summary>An operation with no branch, lambda or throw anywhere in it: every part of it runs, in one basic block.</summary>
        private static bool IsPlainExpression(IOperation operation)
        {
            foreach (var node in operation.DescendantsAndSelf())
            {
                switch (node)
                {
                    case IConditionalOperation:
                    case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr }:
                    case ICoalesceOperation:
                    case ICoalesceAssignmentOperation:
                    case IConditionalAccessOperation:
                    case IConditionalAccessInstanceOperation:
                    case IThrowOperation:
                    case IAnonymousFunctionOperation:
                    case ILocalFunctionOperation:
                    case IDelegateCreationOperation:
                    case ISwitchExpressionOperation:
                    case IIsPatternOperation:
                    case IPatternOperation:
                    case IInterpolatedStringHandlerCreationOperation:
                    case IInterpolatedStringOperation:
                    case IInvalidOperation:
                    case IDynamicInvocationOperation:
                    case IDynamicMemberReferenceOperation:
                    case IDynamicObjectCreationOperation:
                    case IDynamicIndexerAccessOperation:
                    case IObjectOrCollectionInitializerOperation:
                    case IWithOperation:
                    case IRangeOperation:
                    case IAwaitOperation:
                    case IIncrementOrDecrementOperation:
                    case ICompoundAssignmentOperation:
                    case IDeconstructionAssignmentOperation:
                        return false;
                }
            }

            return true;
        }

        private static bool ContainsUse(IOperation operation, ISymbol descriptor, KnownSymbols symbols)
        {
            foreach (var node in operation.DescendantsAndSelf())
            {
                if (IsDescriptorUse(node, descriptor, symbols))
                {
                    return true;
                }
            }

            return false;
        }
    }

    private static Func<IOperation?, bool> IsRead(ILocalSymbol local)
        => candidate => candidate is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local);

    /// <summary>A P/Invoke other than <c>close</c> that takes <paramref name="descriptor"/> as an argument.</summary>
    private static bool IsDescriptorUse(IOperation operation, ISymbol descriptor, KnownSymbols symbols)
    {
        if (operation is not IInvocationOperation call
            || NativeMethods.GetEntryPoint(call.TargetMethod, symbols) is not { } entry
            || entry == "close")
        {
            return false;
        }

        foreach (var argument in call.Arguments)
        {
            if (SymbolEqualityComparer.Default.Equals(ResultUsage.GetReferencedSymbol(argument.Value), descriptor))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsDescriptorUsedAfter(List<IOperation> references, ISymbol descriptor, int position, KnownSymbols symbols)
        => FirstDescriptorUse(references, descriptor, position, symbols) is not null;

    // ---------------------------------------------------------------------------------------------
    // Managed Connect / ConnectAsync / BeginConnect

    private static void AnalyzeManaged(OperationAnalysisContext context, IInvocationOperation invocation, KnownSymbols symbols)
    {
        var method = invocation.TargetMethod;
        var display = method.ContainingType.Name + "." + method.Name;
        switch (method.Name)
        {
            case "Connect":
                CheckSwallowingCatch(context, invocation, invocation, display, symbols);
                return;
            case "BeginConnect":
                CheckBeginConnect(context, invocation, display);
                return;
        }

        // ConnectAsync(SocketAsyncEventArgs): false means it completed synchronously and Completed is not raised.
        if (method.ReturnType.SpecialType == SpecialType.System_Boolean)
        {
            if (IsIgnored(invocation))
            {
                Report(context, invocation, IgnoredPendingFlag, display,
                    "'false' means the connect completed synchronously and 'Completed' is never raised; handle that completion (and its SocketError) when it returns false");
            }

            return;
        }

        // Task-returning ConnectAsync: follow ConfigureAwait/AsTask to what consumes the task.
        var socket = ResultUsage.GetReferencedSymbol(invocation.Instance);
        IOperation task = invocation;
        while (true)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            var use = ResultUsage.Classify(task, out var consumer, out var local);
            switch (use)
            {
                case ResultUseKind.Receiver when consumer is IInvocationOperation { TargetMethod.Name: "ConfigureAwait" or "AsTask" } wrapper:
                    task = wrapper;
                    continue;
                case ResultUseKind.Awaited:
                    CheckSwallowingCatch(context, invocation, consumer!, display, symbols);
                    return;
                case ResultUseKind.Discarded:
                    Report(context, invocation, UnobservedTask, display,
                        "the task is neither awaited, returned nor passed on, so a failed connect goes unnoticed and the socket is used unconnected; await it or call Connect");
                    return;
                case ResultUseKind.Receiver when consumer is IInvocationOperation { TargetMethod.Name: "ContinueWith" } continuation:
                    if (ContinuationIgnoresTheTask(continuation, socket) && IsIgnored(continuation))
                    {
                        ReportIgnoredContinuation(context, invocation, display);
                    }

                    return;
                case ResultUseKind.Receiver when consumer is IInvocationOperation wait && IsTimedWait(wait):
                    if (IsIgnored(wait))
                    {
                        ReportIgnoredWait(context, invocation, display, wait);
                    }

                    return;
                case ResultUseKind.StoredInLocal when local is not null:
                    {
                        var reads = ResultUsage.GetReadsAfter(ResultUsage.GetRoot(invocation), local, invocation);
                        if (reads.Count == 0)
                        {
                            Report(context, invocation, UnobservedTask, display,
                                $"'{local.Name}' is never awaited, returned nor passed on, so a failed connect goes unnoticed; await it");
                            return;
                        }

                        IInvocationOperation? ignoredWait = null;
                        var ignoredContinuation = false;
                        foreach (var read in reads)
                        {
                            if (ResultUsage.Classify(read, out var readConsumer, out _) != ResultUseKind.Receiver
                                || readConsumer is not IInvocationOperation readCall)
                            {
                                return; // awaited, returned, passed on or checked somewhere
                            }

                            if (IsTimedWait(readCall) && IsIgnored(readCall))
                            {
                                ignoredWait ??= readCall;
                                continue;
                            }

                            if (readCall.TargetMethod.Name == "ContinueWith" && ContinuationIgnoresTheTask(readCall, socket) && IsIgnored(readCall))
                            {
                                ignoredContinuation = true;
                                continue;
                            }

                            return;
                        }

                        if (ignoredWait is not null)
                        {
                            ReportIgnoredWait(context, invocation, display, ignoredWait);
                        }
                        else if (ignoredContinuation)
                        {
                            ReportIgnoredContinuation(context, invocation, display);
                        }

                        return;
                    }

                default:
                    return;
            }
        }
    }

    private static void ReportIgnoredContinuation(OperationAnalysisContext context, IInvocationOperation invocation, string display)
        => Report(context, invocation, UnobservedTask, display,
            "the continuation runs whether or not the connect failed and never looks at the task, and its own task is dropped, so a failed connect goes unnoticed; await the connect, or test the task's IsFaulted in the continuation");

    /// <summary>A result dropped, or kept in a local (<c>bool done = t.Wait(2000);</c>) that nothing reads after.</summary>
    private static bool IsIgnored(IOperation result)
        => ResultUsage.Classify(result, out _, out var kept) switch
        {
            ResultUseKind.Discarded => true,
            ResultUseKind.StoredInLocal => kept is not null && !IsReadLater(result, kept),
            _ => false,
        };

    /// <summary>
    /// True when <paramref name="local"/>, given <paramref name="result"/>, is read after it other than in a message, or
    /// anywhere in a loop around it (<c>while (!done) { done = t.Wait(1000); }</c>).
    /// </summary>
    private static bool IsReadLater(IOperation result, ILocalSymbol local)
    {
        var root = ResultUsage.GetRoot(result);
        foreach (var read in ResultUsage.GetReadsAfter(root, local, result))
        {
            if (!ResultUsage.IsOnlyLogged(read))
            {
                return true;
            }
        }

        for (var node = result.Parent; node is not null && node != root; node = node.Parent)
        {
            if (node is ILoopOperation loop)
            {
                var span = loop.Syntax.Span;
                foreach (var reference in BodyReferences.Of(root).OfLocal(local))
                {
                    if (span.Contains(reference.Syntax.Span) && !reference.IsDeclaration && !ResultUsage.IsWrite(reference))
                    {
                        return true;
                    }
                }
            }

            if (node is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                break;
            }
        }

        return false;
    }

    /// <summary>
    /// <c>task.ContinueWith(_ =&gt; socket.Send(...))</c>: a lambda that never reads its task parameter (so never sees a
    /// fault), with no <c>TaskContinuationOptions</c> (<c>OnlyOnRanToCompletion</c> would skip it on failure). A method
    /// group is trusted to look at the task.
    /// </summary>
    private static bool ContinuationIgnoresTheTask(IInvocationOperation continuation, ISymbol? socket)
    {
        // NotOnFaulted (and OnlyOnRanToCompletion, which includes it) skips the continuation on failure; other options
        // (ExecuteSynchronously, None) do not. An options value the code computes is trusted.
        const long NotOnFaulted = 0x40000;
        IAnonymousFunctionOperation? lambda = null;
        foreach (var argument in continuation.Arguments)
        {
            if (argument.Parameter?.Type is INamedTypeSymbol { Name: "TaskContinuationOptions" }
                && (argument.Value.ConstantValue is not { HasValue: true, Value: var options } || (Convert.ToInt64(options, System.Globalization.CultureInfo.InvariantCulture) & NotOnFaulted) != 0))
            {
                return false;
            }

            if (argument.Parameter?.Type.TypeKind == TypeKind.Delegate)
            {
                lambda = ResultUsage.SkipConversionsDown(argument.Value) is IDelegateCreationOperation { Target: IAnonymousFunctionOperation target } ? target : null;
            }
        }

        if (lambda is null || lambda.Symbol.Parameters.Length == 0)
        {
            return false;
        }

        // The continuation must use the socket itself (not only close it) and never ask whether it is connected.
        var task = lambda.Symbol.Parameters[0];
        var usesSocket = false;
        foreach (var operation in lambda.Body.Descendants())
        {
            if (operation is IParameterReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Parameter, task))
            {
                return false;
            }

            if (socket is not null && SymbolEqualityComparer.Default.Equals(ResultUsage.GetSymbolOfReference(operation), socket))
            {
                switch (ClassifySocketReference(operation))
                {
                    case SocketReference.ConnectedCheck:
                        return false;
                    case SocketReference.Use:
                        usesSocket = true;
                        break;
                }
            }
        }

        return usesSocket;
    }

    private static bool IsTimedWait(IInvocationOperation wait)
        => wait.TargetMethod is { Name: "Wait", ReturnType.SpecialType: SpecialType.System_Boolean } && wait.Arguments.Length > 0;

    private static void ReportIgnoredWait(OperationAnalysisContext context, IInvocationOperation invocation, string display, IInvocationOperation wait)
    {
        var timeout = wait.Arguments[0].Value.Syntax.ToString();
        context.Report(Diagnostic.Create(
            DiagnosticDescriptors.IgnoredSocketSetup,
            invocation.Syntax.GetLocation(),
            additionalLocations: new[] { wait.Syntax.GetLocation() },
            properties: Properties(IgnoredWaitResult),
            display,
            $"'Wait({timeout})' returns false when the connect times out and the socket is then used unconnected; throw a TimeoutException when it returns false"));
    }

    private static void CheckBeginConnect(OperationAnalysisContext context, IInvocationOperation invocation, string display)
    {
        // The callback: a lambda is searched with the method; a method group or delegate is trusted to end the call.
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.Type is not { Name: "AsyncCallback" })
            {
                continue;
            }

            var callback = ResultUsage.SkipConversionsDown(argument.Value);
            if (callback is IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda })
            {
                if (HandsOnAsyncResult(lambda))
                {
                    return; // ar => OnConnected(ar): the handler is trusted to end the call, like a method group
                }

                break;
            }

            if (callback is not null && !(callback.ConstantValue.HasValue && callback.ConstantValue.Value is null) && callback is not IDefaultValueOperation)
            {
                return;
            }
        }

        // The IAsyncResult handed on (returned, stored in a field, passed): someone else may end it.
        var use = ResultUsage.Classify(invocation, out _, out var asyncResult);
        if (use is not (ResultUseKind.Discarded or ResultUseKind.StoredInLocal or ResultUseKind.Receiver))
        {
            return;
        }

        var root = ResultUsage.GetRoot(invocation);
        if (use == ResultUseKind.StoredInLocal && asyncResult is not null)
        {
            // Waiting on it (AsyncWaitHandle, IsCompleted) is fine; handing it to anything else may end it there.
            foreach (var read in ResultUsage.GetReadsAfter(root, asyncResult, invocation))
            {
                if (ResultUsage.Classify(read, out _, out _) != ResultUseKind.Receiver)
                {
                    return;
                }
            }
        }

        var socket = ResultUsage.GetReferencedSymbol(invocation.Instance);
        foreach (var operation in root.Descendants())
        {
            if (operation is IInvocationOperation { TargetMethod.Name: "EndConnect" })
            {
                return;
            }

            // 'if (success && client.Connected)' after the wait: the failure is noticed without EndConnect.
            if (socket is not null
                && operation is IPropertyReferenceOperation { Property.Name: "Connected", Instance: { } connectedOf }
                && operation.Syntax.SpanStart > invocation.Syntax.SpanStart
                && SymbolEqualityComparer.Default.Equals(ResultUsage.GetReferencedSymbol(connectedOf), socket))
            {
                return;
            }
        }

        Report(context, invocation, MissingEndConnect, display,
            "'EndConnect' is never called, so a failed connect goes unnoticed; call EndConnect (or await ConnectAsync)");
    }

    /// <summary>True when the callback passes its <c>IAsyncResult</c> parameter on to another call.</summary>
    private static bool HandsOnAsyncResult(IAnonymousFunctionOperation lambda)
    {
        if (lambda.Symbol.Parameters.Length != 1)
        {
            return false;
        }

        var parameter = lambda.Symbol.Parameters[0];
        foreach (var operation in lambda.Body.Descendants())
        {
            if (operation is IParameterReferenceOperation reference
                && SymbolEqualityComparer.Default.Equals(reference.Parameter, parameter)
                && ResultUsage.SkipConversionsUp(reference).Parent is IArgumentOperation { Parent: IInvocationOperation { TargetMethod.Name: not "EndConnect" } })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// <c>try { s.Connect(ep); } catch (SocketException) { Log(); } s.Send(...)</c>: the catch swallows the failure
    /// and the socket is used unconnected.
    /// </summary>
    private static void CheckSwallowingCatch(OperationAnalysisContext context, IInvocationOperation invocation, IOperation connect, string display, KnownSymbols symbols)
    {
        var socket = ResultUsage.GetReferencedSymbol(invocation.Instance);
        if (socket is null)
        {
            return;
        }

        ITryOperation? tryOperation = null;
        for (var node = connect; node.Parent is { } parent; node = parent)
        {
            if (parent is IAnonymousFunctionOperation or ILocalFunctionOperation or ILoopOperation or ICatchClauseOperation)
            {
                return;
            }

            if (parent is ITryOperation candidate)
            {
                if (candidate.Body != node)
                {
                    return; // in the finally
                }

                tryOperation = candidate;
                break;
            }
        }

        if (tryOperation is null)
        {
            return;
        }

        // A try inside a retry loop: the loop decides what happens after the last attempt.
        for (var node = tryOperation.Parent; node is not null; node = node.Parent)
        {
            if (node is ILoopOperation)
            {
                return;
            }

            if (node is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                break;
            }
        }

        var model = invocation.SemanticModel;
        List<Location>? swallowing = null;
        foreach (var clause in tryOperation.Catches)
        {
            // A catch with a filter handles chosen failures on purpose (the non-blocking connect idiom:
            // catch WouldBlock/InProgress, then Poll and read SO_ERROR); everything else still propagates.
            if (clause.Filter is not null
                || !CatchesSocketFailure(clause.ExceptionType, symbols)
                || FailureChecks.Leaves(clause.Handler, model)
                || FailureChecks.LeavesOnSomePath(clause.Handler)
                || WritesOrMentions(clause.Handler, socket))
            {
                continue;
            }

            (swallowing ??= new List<Location>()).Add(clause.Handler.Syntax.GetLocation());
        }

        var root = ResultUsage.GetRoot(invocation);
        if (swallowing is null
            || !IsSocketUsedAfter(root, socket, tryOperation.Syntax)
            || RecordsSuccess(root, tryOperation, connect, socket, model))
        {
            return;
        }

        context.Report(Diagnostic.Create(
            DiagnosticDescriptors.IgnoredSocketSetup,
            invocation.Syntax.GetLocation(),
            additionalLocations: swallowing,
            properties: Properties(SwallowedFailure),
            display,
            $"the catch swallows the failure and '{socket.Name}' is used after it unconnected; rethrow or leave the method in the catch"));
    }

    /// <summary>
    /// True when <paramref name="later"/> sits in a statement that follows <paramref name="statement"/> (or a statement
    /// enclosing it) in the same block, switch section or top-level program, so control can fall from one to the other.
    /// Another <c>case</c> of the same switch or the <c>else</c> of the same <c>if</c> does not follow.
    /// </summary>
    private static bool FollowsInStatementList(SyntaxNode statement, SyntaxNode later)
    {
        for (var node = statement; node.Parent is { } parent; node = parent)
        {
            if (parent is not (Microsoft.CodeAnalysis.CSharp.Syntax.BlockSyntax
                or Microsoft.CodeAnalysis.CSharp.Syntax.SwitchSectionSyntax
                or Microsoft.CodeAnalysis.CSharp.Syntax.CompilationUnitSyntax))
            {
                continue;
            }

            for (var candidate = later; candidate.Parent is not null; candidate = candidate.Parent)
            {
                if (candidate.Parent == parent)
                {
                    if (candidate.SpanStart >= node.Span.End)
                    {
                        return true;
                    }

                    break;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// True when the <c>try</c> body, after the connect, sets a flag that a condition after the <c>try</c> tests:
    /// <c>try { s.Connect(ep); connected = true; } catch (SocketException) { Log(); } if (connected) s.Send(...)</c>.
    /// The catch records the failure by leaving the flag as it was, and the later test decides, as for a flag set in the
    /// success branch of a native result's test. The flag is a local or field given a constant (<c>true</c>, an enum
    /// member), which a local did not already hold before the <c>try</c>; a counter, a timestamp or a flag only printed
    /// after the <c>try</c> records nothing.
    /// </summary>
    private static bool RecordsSuccess(IOperation root, ITryOperation tryOperation, IOperation connect, ISymbol socket, SemanticModel? model)
    {
        var connectEnd = connect.Syntax.Span.End;
        var tryStart = tryOperation.Syntax.SpanStart;
        var tryEnd = tryOperation.Syntax.Span.End;
        foreach (var operation in tryOperation.Body.Descendants())
        {
            if (operation.Syntax.SpanStart < connectEnd)
            {
                continue;
            }

            foreach (var (target, set) in ConstantStores(operation))
            {
                if (ResultUsage.GetSymbolOfReference(target) is { Kind: SymbolKind.Local or SymbolKind.Field } flag
                    && IsTestedAfter(root, flag, set, tryStart, tryEnd, socket, model))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// The constants <paramref name="operation"/> stores and where: <c>connected = true</c>, each constant element of
    /// <c>(connected, attempts) = (true, 0)</c>, and <c>Interlocked.Exchange(ref state, 1)</c>,
    /// <c>Interlocked.CompareExchange(ref state, 1, 0)</c> or <c>Volatile.Write(ref connected, true)</c>.
    /// </summary>
    private static IEnumerable<(IOperation Target, object? Value)> ConstantStores(IOperation operation)
    {
        switch (operation)
        {
            case ISimpleAssignmentOperation { Target: var target, Value.ConstantValue: { HasValue: true } set }:
                yield return (target, set.Value);
                break;
            case IDeconstructionAssignmentOperation { Target: ITupleOperation targets } deconstruction
                when ByteOrder.StripConversions(deconstruction.Value) is ITupleOperation values
                    && values.Elements.Length == targets.Elements.Length:
                for (var i = 0; i < targets.Elements.Length; i++)
                {
                    if (values.Elements[i].ConstantValue is { HasValue: true } element)
                    {
                        yield return (targets.Elements[i], element.Value);
                    }
                }

                break;
            case IInvocationOperation { TargetMethod: { Name: "Exchange" or "Write" or "CompareExchange", ContainingType: { } type } method } store
                when (method.Name == "Write" ? IsThreadingFlagType(type, "Volatile") : IsThreadingFlagType(type, "Interlocked"))
                    && store.Arguments.Length == (method.Name == "CompareExchange" ? 3 : 2):
                // Interlocked.CompareExchange(ref connected, 1, 0) stores its constant value as the others do.
                IOperation? location = null;
                Optional<object?> value = default;
                var constantArguments = true;
                foreach (var argument in store.Arguments)
                {
                    switch (argument.Parameter?.Ordinal)
                    {
                        case 0:
                            location = argument.Value;
                            break;
                        case 1:
                            value = argument.Value.ConstantValue;
                            break;
                        default:
                            constantArguments &= argument.Value.ConstantValue.HasValue;
                            break;
                    }
                }

                if (location is not null && value.HasValue && constantArguments)
                {
                    yield return (location, value.Value);
                }

                break;
        }
    }

    private static bool IsThreadingFlagType(INamedTypeSymbol type, string name)
        => type.Name == name && SynchronizedRegion.IsSystemThreading(type.ContainingNamespace);

    /// <summary><c>Volatile.Read(ref flag)</c>, <c>Interlocked.Read(ref flag)</c> or <c>Interlocked.CompareExchange(ref flag, a, b)</c>.</summary>
    private static bool ReadsFlag(IInvocationOperation read)
        => read.TargetMethod is { ContainingType: { } type } method
            && (method.Name == "Read" && IsThreadingFlagType(type, "Volatile")
                || method.Name is "CompareExchange" or "Read" && IsThreadingFlagType(type, "Interlocked"));

    /// <summary>
    /// True when a condition after the <c>try</c> tests <paramref name="flag"/> to decide on the socket's use, and a
    /// local flag cannot already hold <paramref name="set"/> before the <c>try</c>.
    /// </summary>
    private static bool IsTestedAfter(IOperation root, ISymbol flag, object? set, int tryStart, int tryEnd, ISymbol socket, SemanticModel? model)
    {
        // The test must come before the socket is used after the try: a test after a send decides nothing about it.
        var testedAt = int.MaxValue;
        var usedAt = int.MaxValue;
        foreach (var other in BodyReferences.Of(root).All)
        {
            if (other.Syntax.SpanStart >= tryEnd && other.Syntax.SpanStart < usedAt && IsCallOn(other, socket))
            {
                usedAt = other.Syntax.SpanStart;
            }
        }

        foreach (var other in root.Descendants())
        {
            if (other is IVariableDeclaratorOperation { Initializer.Value: { } initial } declarator
                && SymbolEqualityComparer.Default.Equals(declarator.Symbol, flag)
                && (!initial.ConstantValue.HasValue || Equals(initial.ConstantValue.Value, set)))
            {
                break; // var connected = true; try { ...; connected = true; }
            }

            if (!SymbolEqualityComparer.Default.Equals(ResultUsage.GetSymbolOfReference(other), flag))
            {
                continue;
            }

            if (other.Syntax.SpanStart < tryStart && flag is ILocalSymbol && HoldsAlready(other, set))
            {
                return false; // the flag may already hold the value before the try: leaving it unset records nothing
            }

            if (other.Syntax.SpanStart >= tryEnd && other.Syntax.SpanStart < testedAt && !ResultUsage.IsWrite(other) && GuardsUse(other, socket, model, root))
            {
                testedAt = other.Syntax.SpanStart;
            }
        }

        return testedAt < usedAt;
    }

    /// <summary>
    /// A method called on the socket (<c>s.Send(...)</c>, <c>client.GetStream()</c>, <c>udp.BeginReceive(...)</c>) or the
    /// socket passed to one, but for closing it: what needs a connection. Property reads and option settings do not.
    /// </summary>
    private static bool IsCallOn(IOperation operation, ISymbol socket)
    {
        if (!SymbolEqualityComparer.Default.Equals(ResultUsage.GetSymbolOfReference(operation), socket))
        {
            return false;
        }

        return operation.Parent switch
        {
            IInvocationOperation { TargetMethod.Name: not ("Close" or "Dispose" or "Shutdown") } call => call.Instance == operation,
            IArgumentOperation { Parent: IInvocationOperation { TargetMethod.Name: not ("Close" or "Dispose" or "close") } } => true,
            _ => false,
        };
    }

    private static bool Mentions(IOperation? branch, ISymbol symbol)
    {
        if (branch is null)
        {
            return false;
        }

        foreach (var operation in branch.DescendantsAndSelf())
        {
            if (SymbolEqualityComparer.Default.Equals(ResultUsage.GetSymbolOfReference(operation), symbol))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when a write before the try may leave the flag at the value the try sets (or at an unknown value).</summary>
    private static bool HoldsAlready(IOperation reference, object? value)
    {
        IOperation? written = reference.Parent switch
        {
            ISimpleAssignmentOperation assignment when assignment.Target == reference => assignment.Value,
            _ => null,
        };

        return written is not null && (!written.ConstantValue.HasValue || Equals(written.ConstantValue.Value, value));
    }

    /// <summary>
    /// True when the value read decides whether the socket is used: it is in the condition of an <c>if</c> (or a
    /// <c>?:</c>) that uses the socket in a branch or leaves in one (<c>if (!connected) return;</c>), of a loop, or the
    /// value of a <c>switch</c> one of whose sections does; or it is copied into a local that does
    /// (<c>bool up = Volatile.Read(ref _up); if (!up) return;</c>).
    /// </summary>
    private static bool GuardsUse(IOperation read, ISymbol socket, SemanticModel? model, IOperation root, bool throughLocal = false)
    {
        for (var node = read; node.Parent is { } parent; node = parent)
        {
            switch (parent)
            {
                case ISwitchOperation @switch:
                    if (@switch.Value != node)
                    {
                        return false;
                    }

                    foreach (var section in @switch.Cases)
                    {
                        if (Mentions(section, socket) || LeavesSection(section, model))
                        {
                            return true;
                        }
                    }

                    return false;
                case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation { Symbol: var copy } } when !throughLocal:
                    foreach (var reference in BodyReferences.Of(root).OfLocal(copy))
                    {
                        if (!reference.IsDeclaration && !ResultUsage.IsWrite(reference) && GuardsUse(reference, socket, model, root, throughLocal: true))
                        {
                            return true;
                        }
                    }

                    return false;
                case IConditionalOperation conditional:
                    return conditional.Condition == node
                        && (Mentions(conditional.WhenTrue, socket) || Mentions(conditional.WhenFalse, socket)
                            || FailureChecks.Leaves(conditional.WhenTrue, model) || FailureChecks.Leaves(conditional.WhenFalse, model));
                case IWhileLoopOperation loop:
                    return loop.Condition == node;
                case IUnaryOperation or IBinaryOperation or IIsPatternOperation or IConversionOperation or IParenthesizedOperation:
                    continue;
                case IArgumentOperation { Parent: IInvocationOperation flagRead } argument when argument.Parameter?.Ordinal == 0 && ReadsFlag(flagRead):
                    continue;
                case IInvocationOperation flagRead when node is IArgumentOperation && ReadsFlag(flagRead):
                    // if (Volatile.Read(ref _connected)) / if (Interlocked.CompareExchange(ref _state, 0, 0) == 1)
                    continue;
                default:
                    return false;
            }
        }

        return false;
    }

    private static bool CatchesSocketFailure(ITypeSymbol? caught, KnownSymbols symbols)
    {
        if (caught is null || caught.SpecialType == SpecialType.System_Object)
        {
            return true;
        }

        return caught is INamedTypeSymbol named && KnownSymbols.IsOrDerivesFrom(symbols.SocketException, named);
    }

    /// <summary>True when the handler records the failure (any assignment) or touches the socket (closes it, resets it).</summary>
    private static bool WritesOrMentions(IOperation handler, ISymbol socket)
        => FailureChecks.RecordsState(handler) || Mentions(handler, socket);

    private enum SocketReference
    {
        /// <summary>Read in some other way (assigned, compared, captured).</summary>
        Other,

        /// <summary><c>socket.Connected</c>: the code asks whether the connect worked.</summary>
        ConnectedCheck,

        /// <summary><c>Close</c>, <c>Dispose</c> or <c>Shutdown</c> called on it: no use of an unconnected socket.</summary>
        Closed,

        /// <summary>Another member called or read on it, or the socket handed to a call.</summary>
        Use,
    }

    private static SocketReference ClassifySocketReference(IOperation reference)
    {
        var consumed = ResultUsage.SkipConversionsUp(reference);
        return consumed.Parent switch
        {
            IPropertyReferenceOperation { Property.Name: "Connected" } => SocketReference.ConnectedCheck,
            IInvocationOperation { TargetMethod.Name: "Close" or "Dispose" or "Shutdown" } call when call.Instance == consumed => SocketReference.Closed,
            IInvocationOperation call when call.Instance == consumed => SocketReference.Use,
            IPropertyReferenceOperation property when property.Instance == consumed => SocketReference.Use,
            IArgumentOperation => SocketReference.Use,
            _ => SocketReference.Other,
        };
    }

    /// <summary>
    /// True when the socket is used (a member other than Close/Dispose, or handed to something) after
    /// <paramref name="position"/>; false as soon as the code reads <c>Connected</c> (that is the check).
    /// </summary>
    private static bool IsSocketUsedAfter(IOperation root, ISymbol socket, SyntaxNode tryStatement)
    {
        var position = tryStatement.Span.End;
        var used = false;
        foreach (var operation in root.Descendants())
        {
            if (operation.Syntax.SpanStart < position
                || !FollowsInStatementList(tryStatement, operation.Syntax)
                || !SymbolEqualityComparer.Default.Equals(ResultUsage.GetSymbolOfReference(operation), socket)
                || ResultUsage.IsWrite(operation))
            {
                continue;
            }

            switch (ClassifySocketReference(operation))
            {
                case SocketReference.ConnectedCheck:
                    return false;
                case SocketReference.Use:
                    used = true;
                    break;
            }
        }

        return used;
    }

    // ---------------------------------------------------------------------------------------------

    private static readonly ImmutableDictionary<string, string?>[] KindProperties =
    {
        Create(NativeDiscarded),
        Create(NativeUntested),
        Create(UnobservedTask),
        Create(IgnoredPendingFlag),
        Create(MissingEndConnect),
        Create(SwallowedFailure),
        Create(IgnoredWaitResult),
    };

    private static ImmutableDictionary<string, string?> Create(string kind)
        => ImmutableDictionary<string, string?>.Empty.Add(KindProperty, kind);

    private static ImmutableDictionary<string, string?> Properties(string kind)
    {
        foreach (var properties in KindProperties)
        {
            if (properties[KindProperty] == kind)
            {
                return properties;
            }
        }

        return Create(kind);
    }

    private static void Report(OperationAnalysisContext context, IInvocationOperation invocation, string kind, string api, string problem, string? resultLocal = null)
    {
        var properties = Properties(kind);
        if (resultLocal is not null)
        {
            properties = properties.Add(ResultLocalProperty, resultLocal);
        }

        context.Report(Diagnostic.Create(
            DiagnosticDescriptors.IgnoredSocketSetup,
            invocation.Syntax.GetLocation(),
            properties,
            api,
            problem));
    }
}
