using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using KernelSafety.Analyzers.Analysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace KernelSafety.Analyzers.Rules;

/// <summary>
/// KS0007: a method that takes the data to send and, in the same call, creates a socket or client, connects it,
/// sends the data and closes it (the listing's <c>sock_create(); connect(); send(); release();</c> in
/// <c>device_write</c>). Every write pays a handshake and leaves a TIME_WAIT entry. Reported on the connect.
/// </summary>
/// <remarks>
/// Per method body: the data parameters are followed through locals, copies and encodings into a send; the
/// connection is a local created in the method (<c>new Socket/TcpClient/UdpClient</c> or libc <c>socket()</c>),
/// connected there, and disposed or closed there (<c>using</c>, <c>Dispose</c>, <c>Close</c>, libc <c>close</c>).
/// A send in a loop that the connect is outside of (one connection, many messages) does not count, nor does a
/// connection that leaves the method (returned or stored).
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ConnectionPerWriteAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.ConnectionPerWrite);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCode.Flags);
        context.RegisterCompilationStartAction(static compilationContext =>
        {
            // Only types whose source spells a connect (or a client made with a host and port) are looked at; the
            // socket and interop types are resolved on first use, by callbacks that found a candidate.
            var symbols = KnownSymbols.Get(compilationContext.Compilation);
            var state = new CompilationState(compilationContext.Compilation, symbols);
            compilationContext.RegisterOperationActionInTypesUsing(SourceNames.ConnectsOrClients, state.Analyze, InvocationAndCreation);
        });
    }

    private static readonly ImmutableArray<OperationKind> InvocationAndCreation = ImmutableArray.Create(OperationKind.Invocation, OperationKind.ObjectCreation);

    /// <summary>
    /// Per compilation: the analysis starts from the connects (a connect call, or <c>new TcpClient(host, port)</c>), so a
    /// method without one costs one cheap rejected callback per call; the method body holding a connect is analyzed
    /// once, however many connects it holds.
    /// </summary>
    private sealed class CompilationState
    {
        private readonly Compilation compilation;
        private readonly KnownSymbols symbols;
        private readonly ConcurrentDictionary<SyntaxNode, bool> analyzedBodies = new();
        private INamedTypeSymbol? arraySegment;
        private int arraySegmentResolved;

        public CompilationState(Compilation compilation, KnownSymbols symbols)
        {
            this.compilation = compilation;
            this.symbols = symbols;
        }

        public void Analyze(OperationAnalysisContext context)
        {
            if (context.Operation.Kind == OperationKind.Invocation)
            {
                AnalyzeInvocation(context);
            }
            else
            {
                AnalyzeObjectCreation(context);
            }
        }

        private void AnalyzeInvocation(OperationAnalysisContext context)
        {
            var method = ((IInvocationOperation)context.Operation).TargetMethod;

            // Reject by name first: a managed connect is Connect/ConnectAsync/BeginConnect; any other name can only be
            // a P/Invoke of connect (a static extern or partial method), told apart by flags before any symbol lookup.
            // A private helper of this type that makes, connects and returns a new connection (var client = await
            // ConnectAsync();) connects for its caller.
            var connects = (method.Name is "Connect" or "ConnectAsync" or "BeginConnect" || NativeMethods.MayBePInvoke(method))
                && SocketApi.GetConnectKind(method, symbols) != ConnectKind.None;
            if (connects || (MayReturnConnection(method) && ConnectingHelper((IInvocationOperation)context.Operation, symbols) is not null))
            {
                OnConnect(context);
            }
        }

        private void AnalyzeObjectCreation(OperationAnalysisContext context)
        {
            var creation = (IObjectCreationOperation)context.Operation;

            // A connecting constructor takes (host, port): one argument per parameter, so count before any symbol work.
            if (creation.Arguments.Length == 2 && ConnectsOnCreation(creation, symbols))
            {
                OnConnect(context);
            }
        }

        private void OnConnect(OperationAnalysisContext context)
        {
            // The connect belongs to the method body or local function it is directly in (one in a lambda is never
            // reported), and that function is analyzed once, however many connects it holds.
            ILocalFunctionOperation? localFunction = null;
            var root = context.Operation;
            for (; root.Parent is { } parent; root = parent)
            {
                if (localFunction is null)
                {
                    if (parent is IAnonymousFunctionOperation)
                    {
                        return;
                    }

                    localFunction = parent as ILocalFunctionOperation;
                }
            }

            if (root is not (IMethodBodyOperation or IBlockOperation) || context.ContainingSymbol is not IMethodSymbol method)
            {
                return;
            }

            var (body, function) = localFunction is null ? (root, method) : (localFunction.Body, localFunction.Symbol);
            if (body is null || !analyzedBodies.TryAdd(body.Syntax, true))
            {
                return;
            }

            AnalyzeFunction(context, body, function, symbols, ArraySegment);
        }

        private INamedTypeSymbol? ArraySegment
        {
            get
            {
                if (Volatile.Read(ref arraySegmentResolved) == 0)
                {
                    arraySegment = compilation.GetTypeByMetadataName("System.ArraySegment`1");
                    Volatile.Write(ref arraySegmentResolved, 1);
                }

                return arraySegment;
            }
        }
    }

    private static void AnalyzeFunction(OperationAnalysisContext context, IOperation body, IMethodSymbol function, KnownSymbols symbols, INamedTypeSymbol? arraySegment)
    {
        // Cheap first: the method or local function must take the data to send.
        HashSet<ISymbol>? tainted = null;
        foreach (var parameter in function.Parameters)
        {
            if (IsDataType(parameter.Type, symbols, arraySegment))
            {
                (tainted ??= new HashSet<ISymbol>(SymbolEqualityComparer.Default)).Add(parameter);
            }
        }

        if (tainted is not null)
        {
            AnalyzeBody(context, body, function, tainted, symbols);
        }
    }

    private static void AnalyzeBody(OperationAnalysisContext context, IOperation body, IMethodSymbol method, HashSet<ISymbol> tainted, KnownSymbols symbols)
    {
        var invocations = new List<IInvocationOperation>();
        var declarators = new List<IVariableDeclaratorOperation>();
        var assignments = new List<ISimpleAssignmentOperation>();
        var returns = new List<IReturnOperation>();
        var usings = new List<IUsingOperation>();
        var clientConnects = new List<IObjectCreationOperation>();

        foreach (var operation in body.Descendants())
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            switch (operation)
            {
                case IInvocationOperation invocation:
                    invocations.Add(invocation);
                    break;
                case IObjectCreationOperation creation when ConnectsOnCreation(creation, symbols):
                    clientConnects.Add(creation);
                    break;
                case IVariableDeclaratorOperation { Initializer: not null } declarator:
                    declarators.Add(declarator);
                    break;
                case ISimpleAssignmentOperation assignment:
                    assignments.Add(assignment);
                    break;
                case IReturnOperation { ReturnedValue: not null } @return:
                    returns.Add(@return);
                    break;
                case IUsingOperation @using:
                    usings.Add(@using);
                    break;
            }
        }

        // Only a connection this body creates can be reported: a body that connects a socket it was given or keeps in a
        // field (the reuse this rule asks for) needs none of the work below.
        var connections = ConnectionsCreated(declarators, assignments, symbols);
        if (connections is null)
        {
            return;
        }

        // A request/response exchange (whois, a query protocol) reads the reply on the connection it opened:
        // one connection per request is the protocol there, not the listing's connection per device write.
        foreach (var invocation in invocations)
        {
            if (SocketApi.IsReceive(invocation.TargetMethod, symbols))
            {
                return;
            }
        }

        // A parameter the connection is made to (new TcpClient(host, port), Connect(new IPEndPoint(IPAddress.Parse(host),
        // port))) is where the data goes, not the data: "HELO " + host written after it is a greeting.
        foreach (var invocation in invocations)
        {
            if (SocketApi.GetConnectKind(invocation.TargetMethod, symbols) != ConnectKind.None)
            {
                RemoveParametersIn(tainted, invocation.Arguments);
            }
        }

        foreach (var creation in clientConnects)
        {
            RemoveParametersIn(tainted, creation.Arguments);
        }

        if (tainted.Count == 0)
        {
            return;
        }

        Propagate(tainted, declarators, assignments, invocations, connectionTypesOf: null, streams: symbols);
        var reported = new HashSet<IOperation>();
        foreach (var (connection, declarator) in connections)
        {
            CheckConnection(context, body, method, connection, declarator, reported, tainted, invocations, declarators, assignments, returns, usings, clientConnects, symbols);
        }
    }

    private static void RemoveParametersIn(HashSet<ISymbol> tainted, ImmutableArray<IArgumentOperation> arguments)
    {
        foreach (var argument in arguments)
        {
            foreach (var operation in argument.Value.DescendantsAndSelf())
            {
                if (operation is IParameterReferenceOperation { Parameter: var parameter })
                {
                    tainted.Remove(parameter);
                }
            }
        }
    }

    /// <summary>
    /// The locals this body makes a connection in (new Socket/TcpClient/UdpClient or socket()), declarations first, with
    /// the declarator when it is one; null when there are none.
    /// </summary>
    private static List<(ILocalSymbol Connection, IVariableDeclaratorOperation? Declarator)>? ConnectionsCreated(
        List<IVariableDeclaratorOperation> declarators,
        List<ISimpleAssignmentOperation> assignments,
        KnownSymbols symbols)
    {
        List<(ILocalSymbol, IVariableDeclaratorOperation?)>? connections = null;
        foreach (var declarator in declarators)
        {
            if (IsConnectionCreation(declarator.Initializer!.Value, symbols))
            {
                (connections ??= new()).Add((declarator.Symbol, declarator));
            }
        }

        foreach (var assignment in assignments)
        {
            if (Unwrap(assignment.Target) is ILocalReferenceOperation local && IsConnectionCreation(assignment.Value, symbols))
            {
                (connections ??= new()).Add((local.Local, null));
            }
        }

        return connections;
    }

    private static void CheckConnection(
        OperationAnalysisContext context,
        IOperation body,
        IMethodSymbol method,
        ILocalSymbol connection,
        IVariableDeclaratorOperation? declarator,
        HashSet<IOperation> reported,
        HashSet<ISymbol> tainted,
        List<IInvocationOperation> invocations,
        List<IVariableDeclaratorOperation> declarators,
        List<ISimpleAssignmentOperation> assignments,
        List<IReturnOperation> returns,
        List<IUsingOperation> usings,
        List<IObjectCreationOperation> clientConnects,
        KnownSymbols symbols)
    {
        // The connect: connection.Connect(...), connect(fd, ...), or new TcpClient(host, port) stored in it.
        IOperation? connect = null;
        string? connectName = null;
        foreach (var invocation in invocations)
        {
            var kind = SocketApi.GetConnectKind(invocation.TargetMethod, symbols);
            if (kind == ConnectKind.None || IsInNestedFunction(invocation, body))
            {
                continue;
            }

            var target = kind == ConnectKind.Native ? FirstArgument(invocation) : invocation.Instance;
            if (IsLocal(target, connection))
            {
                connect = invocation;
                connectName = kind == ConnectKind.Native
                    ? NativeMethods.GetEntryPoint(invocation.TargetMethod, symbols) ?? invocation.TargetMethod.Name
                    : invocation.TargetMethod.ContainingType.Name + "." + invocation.TargetMethod.Name;
                break;
            }
        }

        if (connect is null && declarator?.Initializer is { } initializer)
        {
            foreach (var creation in clientConnects)
            {
                if (Unwrap(initializer.Value) == creation && !IsInNestedFunction(creation, body))
                {
                    connect = creation;
                    connectName = "new " + (creation.Type?.Name ?? "client");
                    break;
                }
            }

            // var client = await ConnectAsync(); with a private helper that makes and connects a new one (the declarator
            // is a connection only because IsConnectionCreation took the helper already).
            if (connect is null
                && (Unwrap(initializer.Value) is IAwaitOperation { Operation: IInvocationOperation awaited } ? awaited : Unwrap(initializer.Value) as IInvocationOperation) is { } helperCall
                && MayReturnConnection(helperCall.TargetMethod)
                && !IsInNestedFunction(helperCall, body))
            {
                connect = helperCall;
                connectName = helperCall.TargetMethod.Name;
            }
        }

        if (connect is null || connectName is null)
        {
            return;
        }

        // Everything derived from the connection: its stream, a stream wrapping it...
        var related = new HashSet<ISymbol>(SymbolEqualityComparer.Default) { connection };
        Propagate(related, declarators, assignments, invocations: null, connectionTypesOf: symbols, streams: null);

        if (Escapes(related, returns, assignments, invocations, symbols) || !IsClosed(connection, declarator, invocations, usings, symbols))
        {
            return;
        }

        foreach (var send in invocations)
        {
            var kind = SocketApi.GetSendKind(send.TargetMethod, symbols);
            var writer = kind == SendKind.None && IsWriterWrite(send.TargetMethod, symbols);
            if ((kind == SendKind.None && !writer) || IsInNestedFunction(send, body))
            {
                continue;
            }

            var target = kind == SendKind.Native ? FirstArgument(send) : send.Instance;
            if (target is null || !References(target, related) || !(writer ? WritesData(send, tainted) : SendsData(send, kind, tainted)) || IsInLoopWithout(send, connect))
            {
                continue;
            }

            if (!reported.Add(connect) || RunsOnce(method, connect.SemanticModel, context.CancellationToken))
            {
                return;
            }

            context.Report(Diagnostic.Create(
                DiagnosticDescriptors.ConnectionPerWrite,
                connect.Syntax.GetLocation(),
                method.Name,
                connectName));
            return;
        }
    }

    /// <summary>
    /// True when the method runs once per process or per test case, so one connection per call is one per run: a test
    /// method (<c>[Fact]</c>, <c>[Theory]</c>, <c>[Test]</c>, <c>[TestCase]</c>, <c>[TestMethod]</c>...), or a private
    /// helper (or local function) whose every call sits, outside any loop, in such a method or in <c>Main</c>.
    /// </summary>
    private static bool RunsOnce(IMethodSymbol method, SemanticModel? model, CancellationToken cancellationToken)
    {
        if (model is null)
        {
            return IsTest(method);
        }

        // The compilation's entry point, not any method named Main (a library's Main(string) may run per message).
        var entryPoint = model.Compilation.GetEntryPoint(cancellationToken);
        bool OncePerRun(IMethodSymbol candidate) => IsTest(candidate) || SymbolEqualityComparer.Default.Equals(candidate, entryPoint);
        return OncePerRun(method) || PrivateCallers.EveryCallIsOnceIn(method, OncePerRun, model, cancellationToken);
    }

    private static bool IsTest(IMethodSymbol method)
    {
        foreach (var attribute in method.GetAttributes())
        {
            var name = attribute.AttributeClass?.Name;
            if (name is "FactAttribute" or "TheoryAttribute" or "TestAttribute" or "TestCaseAttribute" or "TestCaseSourceAttribute"
                or "TestMethodAttribute" or "DataTestMethodAttribute" or "SkippableFactAttribute" or "SkippableTheoryAttribute")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Adds to <paramref name="set"/> the locals (and fields) whose value is computed from a member of the set,
    /// and, when <paramref name="invocations"/> is given, the buffers a call fills from one (copy destinations).
    /// </summary>
    /// <param name="streams">
    /// For the data: a stream or writer local the data is written into (<c>ms.Write(data)</c>, <c>w.Write(data)</c> with
    /// <c>var w = new BinaryWriter(ms)</c>) holds it, so what is read out of it (<c>ms.ToArray()</c>) is the data too.
    /// </param>
    private static void Propagate(
        HashSet<ISymbol> set,
        List<IVariableDeclaratorOperation> declarators,
        List<ISimpleAssignmentOperation> assignments,
        List<IInvocationOperation>? invocations,
        KnownSymbols? connectionTypesOf,
        KnownSymbols? streams)
    {
        for (var pass = 0; pass < 4; pass++)
        {
            var changed = false;
            foreach (var declarator in declarators)
            {
                if (!set.Contains(declarator.Symbol))
                {
                    if ((connectionTypesOf is null || IsConnectionType(declarator.Symbol.Type, connectionTypesOf))
                        && References(declarator.Initializer!.Value, set))
                    {
                        changed |= set.Add(declarator.Symbol);
                    }
                }
                else if (streams is not null && WrappedStream(declarator, streams) is { } wrapped)
                {
                    changed |= set.Add(wrapped);
                }
            }

            foreach (var assignment in assignments)
            {
                if (AssignedSymbol(assignment.Target) is { } target && !set.Contains(target)
                    && (connectionTypesOf is null || target is ILocalSymbol local && IsConnectionType(local.Type, connectionTypesOf))
                    && References(assignment.Value, set))
                {
                    changed |= set.Add(target);
                }
            }

            if (invocations is not null)
            {
                foreach (var invocation in invocations)
                {
                    changed |= PropagateThroughCall(invocation, set, streams);
                }
            }

            if (!changed)
            {
                return;
            }
        }
    }

    /// <summary><c>Buffer.BlockCopy(data, 0, msg, 0, n)</c>, <c>data.CopyTo(msg)</c>, <c>GetBytes(text, ..., bytes, 0)</c>: the buffers passed beside the data take it.</summary>
    private static bool PropagateThroughCall(IInvocationOperation invocation, HashSet<ISymbol> set, KnownSymbols? streams)
    {
        var argumentsCarryData = false;
        foreach (var argument in invocation.Arguments)
        {
            argumentsCarryData |= References(argument.Value, set);
        }

        if (!argumentsCarryData && !(invocation.Instance is { } instance && References(instance, set)))
        {
            return false;
        }

        var changed = false;
        if (argumentsCarryData && streams is not null
            && invocation.TargetMethod.Name.StartsWith("Write", System.StringComparison.Ordinal)
            && invocation.Instance is { } target && Unwrap(target) is ILocalReferenceOperation { Local: var written }
            && IsStreamOrWriter(written.Type, streams))
        {
            changed |= set.Add(written);
        }

        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter is { } parameter
                && IsDestinationParameter(invocation.TargetMethod, parameter)
                && AssignedSymbol(argument.Value) is { } destination
                && !set.Contains(destination))
            {
                changed |= set.Add(destination);
            }
        }

        return changed;
    }

    /// <summary>
    /// The parameter a copy or an encoder fills: <c>Buffer.BlockCopy(..., dst, ...)</c>, <c>Array.Copy(..., destinationArray, ...)</c>,
    /// <c>CopyTo(destination)</c>, <c>Encoding.GetBytes(..., bytes, ...)</c>, <c>memcpy(dest, ...)</c>, <c>out</c> arguments.
    /// A send's buffer is not one: an endpoint computed from a parameter does not make the payload the caller's data.
    /// </summary>
    private static bool IsDestinationParameter(IMethodSymbol method, IParameterSymbol parameter)
    {
        if (parameter.RefKind == RefKind.Out)
        {
            return true;
        }

        return parameter.Name switch
        {
            "dst" or "dest" or "destination" or "destinationArray" or "bytes" or "chars" => true,
            "array" => method.Name == "CopyTo",
            _ => false,
        };
    }

    /// <summary>
    /// The stream local a writer or stream local was made over (<c>var w = new BinaryWriter(ms)</c>,
    /// <c>new GZipStream(ms, ...)</c>): what is written into the one ends up in the other.
    /// </summary>
    private static ILocalSymbol? WrappedStream(IVariableDeclaratorOperation declarator, KnownSymbols symbols)
        => Unwrap(declarator.Initializer!.Value) is IObjectCreationOperation { Arguments.Length: > 0 } creation
            && IsStreamOrWriter(creation.Type, symbols)
            && Unwrap(creation.Arguments[0].Value) is ILocalReferenceOperation { Local: var stream }
            && KnownSymbols.IsOrDerivesFrom(stream.Type, symbols.Stream)
                ? stream
                : null;

    private static bool IsStreamOrWriter(ITypeSymbol? type, KnownSymbols symbols)
        => KnownSymbols.IsOrDerivesFrom(type, symbols.Stream)
            || KnownSymbols.IsOrDerivesFrom(type, symbols.TextWriter)
            || KnownSymbols.IsOrDerivesFrom(type, symbols.BinaryWriter);

    /// <summary>The local or field an expression names, through conversions and <c>AsSpan()</c>-style views.</summary>
    private static ISymbol? AssignedSymbol(IOperation? operation)
        => BufferViews.GetViewedSymbol(operation) is { } symbol and (ILocalSymbol or IFieldSymbol) ? symbol : null;

    private static bool SendsData(IInvocationOperation send, SendKind kind, HashSet<ISymbol> tainted)
    {
        // Only the bytes sent count: not the endpoint, the flags or the count.
        foreach (var argument in send.Arguments)
        {
            if (argument.Parameter is not { } parameter
                || (kind == SendKind.Native ? parameter.Ordinal != 1 : !IsPayloadParameter(parameter.Type)))
            {
                continue;
            }

            if (References(argument.Value, tainted))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// <c>writer.WriteLine(message)</c> on a <c>StreamWriter</c> (any <c>TextWriter</c>) or <c>BinaryWriter</c>: over the
    /// connection's stream, a send of its own.
    /// </summary>
    private static bool IsWriterWrite(IMethodSymbol method, KnownSymbols symbols)
        => method is { IsStatic: false, Name: "Write" or "WriteLine" or "WriteAsync" or "WriteLineAsync" }
            && (KnownSymbols.IsOrDerivesFrom(method.ContainingType, symbols.TextWriter) || KnownSymbols.IsOrDerivesFrom(method.ContainingType, symbols.BinaryWriter));

    /// <summary>A writer's write of the caller's data: any argument made from it (text, characters or bytes).</summary>
    private static bool WritesData(IInvocationOperation write, HashSet<ISymbol> tainted)
    {
        foreach (var argument in write.Arguments)
        {
            if (References(argument.Value, tainted))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsPayloadParameter(ITypeSymbol type)
        => type is IArrayTypeSymbol or IPointerTypeSymbol
            || type is INamedTypeSymbol { Name: "Span" or "ReadOnlySpan" or "Memory" or "ReadOnlyMemory" or "ArraySegment" or "IList" };

    /// <summary>The connection leaves the method: it (or its stream) is returned or stored outside a local.</summary>
    private static bool Escapes(HashSet<ISymbol> related, List<IReturnOperation> returns, List<ISimpleAssignmentOperation> assignments, List<IInvocationOperation> invocations, KnownSymbols symbols)
    {
        foreach (var @return in returns)
        {
            if (IsConnectionValue(@return.ReturnedValue!, related, symbols))
            {
                return true;
            }
        }

        foreach (var assignment in assignments)
        {
            if (Unwrap(assignment.Target) is not ILocalReferenceOperation && IsConnectionValue(assignment.Value, related, symbols))
            {
                return true;
            }
        }

        // Handed to a container that keeps it: _idle.Add(socket), pool.Return(socket), cache.TryAdd(key, socket).
        foreach (var invocation in invocations)
        {
            foreach (var argument in invocation.Arguments)
            {
                if (argument.Parameter is { } parameter
                    && (parameter.OriginalDefinition.Type is ITypeParameterSymbol
                        || parameter.Type.SpecialType == SpecialType.System_Object
                        || invocation.Instance is { } instance && Unwrap(instance) is IFieldReferenceOperation or IPropertyReferenceOperation)
                    && IsConnectionValue(argument.Value, related, symbols))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The value is the connection (a socket, client or stream made from it), not a count or a flag read from it.</summary>
    private static bool IsConnectionValue(IOperation value, HashSet<ISymbol> related, KnownSymbols symbols)
    {
        var unwrapped = Unwrap(value);
        if (unwrapped is ILocalReferenceOperation local && related.Contains(local.Local))
        {
            return true;
        }

        // client.GetStream(), new SslStream(stream): a connection object made from it.
        return IsConnectionType(unwrapped.Type, symbols) && References(unwrapped, related);
    }

    private static bool IsConnectionType(ITypeSymbol? type, KnownSymbols symbols)
        => KnownSymbols.IsOrDerivesFrom(type, symbols.Socket)
            || KnownSymbols.IsOrDerivesFrom(type, symbols.TcpClient)
            || KnownSymbols.IsOrDerivesFrom(type, symbols.UdpClient)
            || IsStreamOrWriter(type, symbols);

    private static bool IsClosed(
        ILocalSymbol connection,
        IVariableDeclaratorOperation? declarator,
        List<IInvocationOperation> invocations,
        List<IUsingOperation> usings,
        KnownSymbols symbols)
    {
        // using var s = ...; / using (var s = ...) { }
        for (var parent = declarator?.Parent; parent is not null; parent = parent.Parent)
        {
            if (parent is IUsingDeclarationOperation)
            {
                return true;
            }

            if (parent is IUsingOperation @using)
            {
                return @using.Resources is IVariableDeclarationGroupOperation;
            }

            if (parent is not (IVariableDeclarationOperation or IVariableDeclarationGroupOperation))
            {
                break;
            }
        }

        // using (s) { }
        foreach (var @using in usings)
        {
            if (IsLocal(@using.Resources, connection))
            {
                return true;
            }
        }

        foreach (var invocation in invocations)
        {
            var name = invocation.TargetMethod.Name;
            if (name is "Dispose" or "DisposeAsync" or "Close" && IsLocal(Receiver(invocation), connection))
            {
                return true;
            }

            if (NativeMethods.GetEntryPoint(invocation.TargetMethod, symbols) is "close" or "closesocket"
                && IsLocal(FirstArgument(invocation), connection))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The send repeats inside a loop that does not also connect: one connection carries many messages.</summary>
    private static bool IsInLoopWithout(IOperation send, IOperation connect)
    {
        for (var parent = send.Parent; parent is not null; parent = parent.Parent)
        {
            if (parent is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return false;
            }

            if (parent is ILoopOperation loop && !IsAncestor(loop, connect))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsAncestor(IOperation ancestor, IOperation operation)
    {
        for (var parent = operation.Parent; parent is not null; parent = parent.Parent)
        {
            if (parent == ancestor)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when a lambda or local function lies between <paramref name="operation"/> and the analyzed <paramref name="body"/>.</summary>
    private static bool IsInNestedFunction(IOperation operation, IOperation body)
    {
        for (var parent = operation.Parent; parent is not null && parent != body; parent = parent.Parent)
        {
            if (parent is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsConnectionCreation(IOperation value, KnownSymbols symbols)
    {
        switch (Unwrap(value))
        {
            case IObjectCreationOperation creation:
                var type = creation.Type;
                return KnownSymbols.IsOrDerivesFrom(type, symbols.Socket)
                    || KnownSymbols.IsOrDerivesFrom(type, symbols.TcpClient)
                    || KnownSymbols.IsOrDerivesFrom(type, symbols.UdpClient);
            case IInvocationOperation invocation:
                return NativeMethods.Is(invocation.TargetMethod, NativeMethods.SocketCreate, symbols)
                    || (MayReturnConnection(invocation.TargetMethod) && ConnectingHelper(invocation, symbols) is not null);
            case IAwaitOperation { Operation: IInvocationOperation awaited }:
                return MayReturnConnection(awaited.TargetMethod) && ConnectingHelper(awaited, symbols) is not null;
            default:
                return false;
        }
    }

    /// <summary>
    /// The cheap test before <see cref="ConnectingHelper"/>: an ordinary private method declared in source whose return
    /// type is named like a connection (<c>Socket</c>, <c>TcpClient</c>, <c>UdpClient</c>, or a task of one).
    /// </summary>
    private static bool MayReturnConnection(IMethodSymbol method)
    {
        if (method is not { MethodKind: MethodKind.Ordinary, DeclaredAccessibility: Accessibility.Private, IsExtern: false, IsAbstract: false }
            || method.ReturnType is not INamedTypeSymbol returned)
        {
            return false;
        }

        if (returned.Name is "Task" or "ValueTask" && returned.TypeArguments.Length == 1)
        {
            returned = returned.TypeArguments[0] as INamedTypeSymbol ?? returned;
        }

        return returned.Name is "Socket" or "TcpClient" or "UdpClient" || returned.BaseType?.Name is "Socket" or "TcpClient" or "UdpClient";
    }

    /// <summary>
    /// The method <paramref name="call"/> calls when it is a private helper of the caller's own type, in the same file,
    /// whose body makes a new connection in a local, connects it and returns that local
    /// (<c>private async Task&lt;TcpClient&gt; ConnectAsync() { var c = new TcpClient(); await c.ConnectAsync(host, 9100);
    /// return c; }</c>): each call is a new connection. Null otherwise (a helper that returns a kept or pooled one).
    /// </summary>
    private static IMethodSymbol? ConnectingHelper(IInvocationOperation call, KnownSymbols symbols)
    {
        var helper = call.TargetMethod;
        if (call.SemanticModel is not { } model
            || helper.DeclaringSyntaxReferences is not { Length: 1 } references
            || references[0].SyntaxTree != model.SyntaxTree
            || !SymbolEqualityComparer.Default.Equals(helper.ContainingType, model.GetEnclosingSymbol(call.Syntax.SpanStart)?.ContainingType))
        {
            return null;
        }

        if (model.GetOperation(references[0].GetSyntax()) is not IMethodBodyOperation { BlockBody: { } body } || body.Operations.Length > 12)
        {
            return null;
        }

        ILocalSymbol? made = null;
        var connected = false;
        var returned = false;
        foreach (var operation in body.Descendants())
        {
            switch (operation)
            {
                case IVariableDeclaratorOperation { Initializer.Value: { } initial } declarator when Unwrap(initial) is IObjectCreationOperation creation
                    && (KnownSymbols.IsOrDerivesFrom(creation.Type, symbols.Socket) || KnownSymbols.IsOrDerivesFrom(creation.Type, symbols.TcpClient)
                        || KnownSymbols.IsOrDerivesFrom(creation.Type, symbols.UdpClient)):
                    made = declarator.Symbol;
                    connected |= ConnectsOnCreation(creation, symbols);
                    break;
                case IInvocationOperation connect when made is not null && SocketApi.GetConnectKind(connect.TargetMethod, symbols) is ConnectKind.Socket or ConnectKind.Client
                    && connect.Instance is { } instance && IsLocal(instance, made):
                    connected = true;
                    break;
                case IReturnOperation { ReturnedValue: { } value }:
                    if (made is null || !IsLocal(value, made))
                    {
                        return null;
                    }

                    returned = true;
                    break;
                case ISimpleAssignmentOperation { Target: not ILocalReferenceOperation } store when made is not null && IsLocal(store.Value, made):
                    return null; // kept in a field as well: a cached connection
            }
        }

        return made is not null && connected && returned ? helper : null;
    }

    /// <summary><c>new TcpClient(host, port)</c> and <c>new UdpClient(host, port)</c> connect in the constructor.</summary>
    private static bool ConnectsOnCreation(IObjectCreationOperation creation, KnownSymbols symbols)
    {
        var constructor = creation.Constructor;
        if (constructor is null || constructor.Parameters.Length != 2
            || constructor.Parameters[0].Type.SpecialType != SpecialType.System_String
            || constructor.Parameters[1].Type.SpecialType != SpecialType.System_Int32)
        {
            return false;
        }

        return KnownSymbols.IsOrDerivesFrom(creation.Type, symbols.TcpClient)
            || KnownSymbols.IsOrDerivesFrom(creation.Type, symbols.UdpClient);
    }

    /// <summary>The data a write method takes: bytes, text, a span or memory of them, or a pointer.</summary>
    private static bool IsDataType(ITypeSymbol type, KnownSymbols symbols, INamedTypeSymbol? arraySegment)
    {
        switch (type)
        {
            case IArrayTypeSymbol array:
                return array.Rank == 1 && array.ElementType.SpecialType is SpecialType.System_Byte or SpecialType.System_SByte;
            case IPointerTypeSymbol:
                return true;
            case INamedTypeSymbol named:
                if (named.SpecialType == SpecialType.System_String)
                {
                    return true;
                }

                if (named.TypeArguments.Length == 1
                    && named.TypeArguments[0].SpecialType is SpecialType.System_Byte or SpecialType.System_Char
                    && (KnownSymbols.Is(named, symbols.ReadOnlySpan) || KnownSymbols.Is(named, symbols.Span)
                        || KnownSymbols.Is(named, symbols.ReadOnlyMemory) || KnownSymbols.Is(named, symbols.Memory)
                        || KnownSymbols.Is(named, arraySegment)))
                {
                    return true;
                }

                return false;
            default:
                return false;
        }
    }

    /// <summary>The receiver of a call, also through <c>s?.Dispose()</c>.</summary>
    private static IOperation? Receiver(IInvocationOperation invocation)
    {
        var instance = invocation.Instance;
        if (instance is IConditionalAccessInstanceOperation)
        {
            for (var parent = invocation.Parent; parent is not null; parent = parent.Parent)
            {
                if (parent is IConditionalAccessOperation conditional)
                {
                    return conditional.Operation;
                }
            }
        }

        return instance;
    }

    private static IOperation? FirstArgument(IInvocationOperation invocation)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.Ordinal == 0)
            {
                return argument.Value;
            }
        }

        return null;
    }

    private static bool IsLocal(IOperation? operation, ILocalSymbol local)
        => operation is not null
            && Unwrap(operation) is ILocalReferenceOperation reference
            && SymbolEqualityComparer.Default.Equals(reference.Local, local);

    /// <summary>True when <paramref name="operation"/> reads a local, parameter or field of <paramref name="set"/>.</summary>
    private static bool References(IOperation operation, HashSet<ISymbol> set) => GuardAnalysis.ReadsAny(operation, set);

    private static IOperation Unwrap(IOperation operation)
    {
        while (operation is IConversionOperation conversion)
        {
            operation = conversion.Operand;
        }

        return operation;
    }
}
