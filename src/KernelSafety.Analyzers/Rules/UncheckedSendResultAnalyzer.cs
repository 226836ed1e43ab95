using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Threading;
using KernelSafety.Analyzers.Analysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace KernelSafety.Analyzers.Rules;

/// <summary>
/// KS0005: a send whose result is ignored or misread. Native <c>send</c>/<c>sendto</c>/<c>write</c> results that
/// are discarded or only compared with 0; results of sends on non-blocking sockets (<c>Blocking = false</c>,
/// <c>MSG_DONTWAIT</c>) never compared with the length asked for; <c>Send(..., out SocketError)</c> whose error is never read.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class UncheckedSendResultAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property: which kind of send was flagged (one of the <c>Kind*</c> values).</summary>
    public const string KindProperty = "Kind";

    /// <summary>A P/Invoke'd libc send.</summary>
    public const string KindNative = "Native";

    /// <summary><c>Socket.Send</c> on a non-blocking socket.</summary>
    public const string KindNonBlockingSocket = "NonBlockingSocket";

    /// <summary><c>Socket.Send(..., out SocketError)</c> whose error is never read.</summary>
    public const string KindSocketError = "SocketError";

    /// <summary>Diagnostic property: "true" when the native send passes MSG_DONTWAIT.</summary>
    public const string DontWaitProperty = "DontWait";

    /// <summary>Diagnostic property: "true" when the native send is a <c>sendto</c> with a destination (a datagram).</summary>
    public const string DatagramProperty = "Datagram";

    private const string Remedy = "check it for -1 and send the rest in a loop";

    private const string DatagramRemedy = "a datagram is sent whole or not at all, so check it for -1";

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.UncheckedSendResult);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCode.Flags);
        context.RegisterCompilationStartAction(start =>
        {
            // Only types whose source spells a send are looked at (SourceIndex); nothing is registered when no tree spells
            // one. The socket and interop types are resolved on first use (KnownSymbols).
            var index = SourceIndex.Get(start.Compilation).Build(start.CancellationToken);
            if (!index.MaySpellAnywhere(SourceNames.Sends))
            {
                return;
            }

            var symbols = KnownSymbols.Get(start.Compilation);
            if (symbols.Socket is null || !index.MaySpellAnywhere(SourceNames.SocketBlocking))
            {
                // No tree spells Blocking, so no socket is made non-blocking: every send is decided where it is, and no
                // symbol-start action is registered (the driver keeps bookkeeping for every member of every type of an
                // analyzer that has one).
                var sends = new TypeState(symbols, tracksNonBlocking: false);
                start.RegisterOperationActionInTypesUsing(SourceNames.Sends, sends.AnalyzeInvocation, InvocationKind);
                return;
            }

            // Per type: one state object and its callbacks, nothing else (the operation kinds are shared arrays, not a
            // params array copied for every type). A send on a socket the type makes non-blocking is decided at its end.
            start.RegisterSymbolStartAction(
                symbolStart =>
                {
                    if (!index.MayUse(symbolStart.Symbol, SourceNames.Sends))
                    {
                        return;
                    }

                    var state = new TypeState(symbols, tracksNonBlocking: true);
                    symbolStart.RegisterOperationAction(state.AnalyzeOperation, InvocationAndAssignmentKinds);
                    symbolStart.RegisterSymbolEndAction(state.ReportNonBlockingSends);
                },
                SymbolKind.NamedType);
        });
    }

    private static readonly ImmutableArray<OperationKind> InvocationKind = ImmutableArray.Create(OperationKind.Invocation);

    private static readonly ImmutableArray<OperationKind> InvocationAndAssignmentKinds = ImmutableArray.Create(OperationKind.Invocation, OperationKind.SimpleAssignment);

    private const ResultUses Handled = ResultUses.PassedOn | ResultUses.LengthComparison | ResultUses.Accumulated | ResultUses.Other;

    /// <summary>
    /// What one type's members do: which sockets they make non-blocking, which sends might be on them. Where no tree
    /// spells <c>Blocking</c>, one state serves the whole compilation and decides each send where it is.
    /// </summary>
    private sealed class TypeState
    {
        private readonly KnownSymbols symbols;

        // False for the one state of a compilation where no type makes a socket non-blocking.
        private readonly bool tracksNonBlocking;

        // Socket variable -> the earliest position where it is made non-blocking.
        // Allocated on first use: most types never touch Socket.Blocking or send on a socket.
        private ConcurrentDictionary<ISymbol, int>? nonBlocking;
        private ConcurrentDictionary<ISymbol, bool>? maybeBlocking;
        private ConcurrentQueue<(ISymbol Socket, Diagnostic Diagnostic)>? candidates;

        public TypeState(KnownSymbols symbols, bool tracksNonBlocking)
        {
            this.symbols = symbols;
            this.tracksNonBlocking = tracksNonBlocking;
        }

        public void AnalyzeOperation(OperationAnalysisContext context)
        {
            if (context.Operation is ISimpleAssignmentOperation assignment)
            {
                AnalyzeAssignment(context, assignment);
            }
            else
            {
                AnalyzeInvocation(context);
            }
        }

        private void AnalyzeAssignment(OperationAnalysisContext context, ISimpleAssignmentOperation assignment)
        {
            if (assignment.Target is not IPropertyReferenceOperation { Property: { Name.Length: 8 } property } || property.Name != "Blocking")
            {
                return;
            }

            // Blocking = true (or a variable) anywhere in the type, as in "connect without blocking, then
            // restore blocking mode", leaves the mode at the send unknown: stay quiet.
            var target = SocketBlocking.GetBlockingTarget(assignment, symbols, out var isNonBlocking);
            if (target is not null)
            {
                if (isNonBlocking)
                {
                    var position = assignment.Syntax.SpanStart;
                    LazyInitializer.EnsureInitialized(ref nonBlocking, static () => new ConcurrentDictionary<ISymbol, int>(SymbolEqualityComparer.Default))!.AddOrUpdate(target, position, (_, existing) => existing < position ? existing : position);
                }
                else
                {
                    LazyInitializer.EnsureInitialized(ref maybeBlocking, static () => new ConcurrentDictionary<ISymbol, bool>(SymbolEqualityComparer.Default))!.TryAdd(target, true);
                }
            }
        }

        public void AnalyzeInvocation(OperationAnalysisContext context)
        {
            var invocation = (IInvocationOperation)context.Operation;
            var method = invocation.TargetMethod;
            if (method.IsStatic)
            {
                if (symbols.HasInterop)
                {
                    AnalyzeNative(context, invocation, method);
                }
            }
            else if (method.Name.Length == 4 && method.Name == "Send" && KnownSymbols.IsOrDerivesFrom(method.ContainingType, symbols.Socket))
            {
                AnalyzeSocketSend(context, invocation, method);
            }
        }

        public void ReportNonBlockingSends(SymbolAnalysisContext context)
        {
            var sends = candidates;
            var madeNonBlocking = nonBlocking;
            if (sends is null || madeNonBlocking is null)
            {
                return;
            }

            var mayBlock = maybeBlocking;
            foreach (var (socket, diagnostic) in sends)
            {
                // A local or parameter is only non-blocking after the assignment; a field may be set by any member.
                if (madeNonBlocking.TryGetValue(socket, out var position)
                    && (mayBlock is null || !mayBlock.ContainsKey(socket))
                    && (socket is not (ILocalSymbol or IParameterSymbol) || position < diagnostic.Location.SourceSpan.Start))
                {
                    context.Report(diagnostic);
                }
            }
        }

        private void AnalyzeNative(OperationAnalysisContext context, IInvocationOperation invocation, IMethodSymbol method)
        {
            var entryPoint = NativeMethods.GetEntryPoint(method, symbols);
            if (entryPoint is not (NativeMethods.Send or NativeMethods.SendTo or NativeMethods.Write))
            {
                return;
            }

            var flags = GetConstantFlags(invocation);
            var dontWait = entryPoint != NativeMethods.Write && flags is { } f && (f & NativeMethods.MsgDontWait) != 0;

            var root = ResultUsage.GetRoot(invocation);
            var uses = ResultUse.Analyze(invocation, root, context.CancellationToken);
            if ((uses & Handled) != 0)
            {
                return;
            }

            // A sendto with a destination sends a datagram: whole or not at all, so -1 is the only failure to test for.
            var datagram = entryPoint == NativeMethods.SendTo && IsDatagramSend(invocation, flags);

            var remedy = datagram ? DatagramRemedy : Remedy;
            var failure = datagram ? "a failure (-1)" : "a failure (-1) or a partial send";
            var zeroFailure = datagram ? "-1 (a failure)" : "-1 (a failure) or a partial send";
            string detail;
            if ((uses & ResultUses.ErrorCheck) != 0)
            {
                if (!dontWait || datagram)
                {
                    return;
                }

                detail = "checked for -1 but never compared with the length asked for: with MSG_DONTWAIT the send can take part of the buffer and the rest is lost; send the rest in a loop";
            }
            else if ((uses & ResultUses.ZeroTest) != 0)
            {
                detail = $"only compared with 0, so {zeroFailure} passes for success; " + remedy;
            }
            else if ((uses & ResultUses.PositiveTest) != 0)
            {
                if (datagram)
                {
                    return;
                }

                detail = "only tested for a positive count, so a partial send passes for all sent; send the rest in a loop";
            }
            else if ((uses & ResultUses.Unread) != 0)
            {
                var local = ResultUse.GetStoringLocal(invocation);
                detail = $"stored in '{local?.Name ?? "a local"}' but never read: {failure} goes unnoticed; " + remedy;
            }
            else if ((uses & ResultUses.Discarded) != 0)
            {
                detail = $"discarded: {failure} goes unnoticed; " + remedy;
            }
            else
            {
                return;
            }

            // write(1, ...) or write(STDERR_FILENO, ...) prints to the terminal or a log, not to a socket; the self-pipe
            // wake-up writes a byte or so to a pipe it created: a full pipe means the reader is awake.
            if (entryPoint == NativeMethods.Write
                && (IsStandardOutput(invocation, context.CancellationToken) || WakeupPipes.IsWakeupWrite(invocation, symbols, context.CancellationToken)))
            {
                return;
            }

            var properties = ImmutableDictionary<string, string?>.Empty
                .Add(KindProperty, KindNative)
                .Add(DontWaitProperty, dontWait ? "true" : "false")
                .Add(DatagramProperty, datagram ? "true" : "false");
            context.Report(Diagnostic.Create(DiagnosticDescriptors.UncheckedSendResult, invocation.Syntax.GetLocation(), properties, entryPoint, detail));
        }

        /// <summary>
        /// A native <c>write</c> to descriptor 1 or 2 (standard output or error), written as a constant, in a type that
        /// does not call <c>dup2</c>/<c>dup3</c> (an inetd-style server points descriptor 1 at its client's socket).
        /// </summary>
        private static bool IsStandardOutput(IInvocationOperation write, CancellationToken cancellationToken)
        {
            if (BufferViews.FindArgument(write.Arguments, 0) is not { } descriptor
                || !LinearForm.TryGetInteger(ByteOrder.StripConversions(descriptor), out var fd)
                || fd is not (1 or 2))
            {
                return false;
            }

            foreach (var part in write.SemanticModel?.GetEnclosingSymbol(write.Syntax.SpanStart, cancellationToken)?.ContainingType?.DeclaringSyntaxReferences
                ?? ImmutableArray<SyntaxReference>.Empty)
            {
                foreach (var node in part.GetSyntax(cancellationToken).DescendantNodes())
                {
                    if (node is InvocationExpressionSyntax { Expression: IdentifierNameSyntax { Identifier.ValueText: "dup2" or "dup3" } })
                    {
                        return false;
                    }
                }
            }

            return true;
        }

        private void AnalyzeSocketSend(OperationAnalysisContext context, IInvocationOperation invocation, IMethodSymbol method)
        {
            var root = ResultUsage.GetRoot(invocation);

            // Send(..., out SocketError error): this overload does not throw, the error is the only report.
            foreach (var argument in invocation.Arguments)
            {
                if (argument.Parameter is not { RefKind: RefKind.Out } parameter
                    || !KnownSymbols.Is(parameter.Type, symbols.SocketError))
                {
                    continue;
                }

                string? where = null;
                switch (argument.Value)
                {
                    case IDiscardOperation:
                        where = "reported in an 'out _' discard";
                        break;
                    case IDeclarationExpressionOperation { Expression: ILocalReferenceOperation declared }
                        when !ResultUse.IsRead(declared.Local, root, argument, context.CancellationToken):
                        where = $"reported in '{declared.Local.Name}', which is never read";
                        break;
                    case ILocalReferenceOperation local
                        when !ResultUse.IsRead(local.Local, root, argument, context.CancellationToken):
                        where = $"reported in '{local.Local.Name}', which is never read";
                        break;
                }

                if (where is not null)
                {
                    var properties = ImmutableDictionary<string, string?>.Empty.Add(KindProperty, KindSocketError);
                    context.Report(Diagnostic.Create(
                        DiagnosticDescriptors.UncheckedSendResult,
                        invocation.Syntax.GetLocation(),
                        properties,
                        "Socket.Send",
                        where + ": this overload does not throw, so a failed send passes silently; compare the error with SocketError.Success"));
                    return;
                }
            }

            // A send on a socket this type makes non-blocking: decided when the whole type has been seen.
            var socket = tracksNonBlocking ? SocketBlocking.GetVariable(invocation.Instance) : null;
            if (socket is null)
            {
                return;
            }

            var uses = ResultUse.Analyze(invocation, root, context.CancellationToken);
            if ((uses & Handled) != 0)
            {
                return;
            }

            var what = (uses & (ResultUses.ErrorCheck | ResultUses.ZeroTest | ResultUses.PositiveTest)) != 0 ? "never compared with the length asked for" : "ignored";
            var nonBlockingProperties = ImmutableDictionary<string, string?>.Empty.Add(KindProperty, KindNonBlockingSocket);
            LazyInitializer.EnsureInitialized(ref candidates, static () => new ConcurrentQueue<(ISymbol Socket, Diagnostic Diagnostic)>())!.Enqueue((socket, Diagnostic.Create(
                DiagnosticDescriptors.UncheckedSendResult,
                invocation.Syntax.GetLocation(),
                nonBlockingProperties,
                "Socket.Send",
                $"{what} on non-blocking socket '{socket.Name}': Send can take part of the buffer and the rest is lost; send the rest in a loop")));
        }

        /// <summary>The send's flags (the fourth argument of <c>send</c> and <c>sendto</c>) when they are a constant.</summary>
        private static long? GetConstantFlags(IInvocationOperation invocation)
        {
            foreach (var argument in invocation.Arguments)
            {
                if (argument.Parameter is { Ordinal: 3 })
                {
                    return LinearForm.TryGetInteger(argument.Value, out var flags) ? flags : null;
                }
            }

            return null;
        }

        /// <summary>
        /// A <c>sendto</c> given a destination (an address that is not a null constant, and a length that is not 0):
        /// only a socket without a connection takes one, and such a socket (UDP, raw, datagram Unix) sends each
        /// message whole or fails. TCP Fast Open (<c>MSG_FASTOPEN</c>) is the exception: a stream that connects as it sends.
        /// </summary>
        private static bool IsDatagramSend(IInvocationOperation invocation, long? flags)
        {
            if (flags is { } f && (f & NativeMethods.MsgFastOpen) != 0)
            {
                return false;
            }

            var hasAddress = false;
            foreach (var argument in invocation.Arguments)
            {
                switch (argument.Parameter?.Ordinal)
                {
                    case 4:
                        if (IsNullConstant(argument.Value))
                        {
                            return false;
                        }

                        hasAddress = true;
                        break;
                    case 5 when LinearForm.TryGetInteger(argument.Value, out var length) && length == 0:
                        return false;
                }
            }

            return hasAddress;
        }

        /// <summary><c>null</c>, <c>default</c>, <c>0</c>, <c>IntPtr.Zero</c> or <c>nint.Zero</c>, seen through conversions.</summary>
        private static bool IsNullConstant(IOperation value)
            => LinearForm.Strip(value) is var stripped
                && (stripped?.ConstantValue is { HasValue: true, Value: null }
                    || (LinearForm.TryGetInteger(stripped, out var constant) && constant == 0)
                    || stripped is IDefaultValueOperation
                    || stripped is IFieldReferenceOperation { Field: { Name: "Zero", IsStatic: true, ContainingType.SpecialType: SpecialType.System_IntPtr or SpecialType.System_UIntPtr } });
    }
}
