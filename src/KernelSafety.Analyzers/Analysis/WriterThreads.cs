using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>
/// Which thread runs a member of a type that declares static buffers, as far as the type's own source shows (KS0006).
/// <see cref="Of"/> gives one of three answers:
/// <list type="bullet">
/// <item>null: initialization or a lock. A field initializer, the static constructor, a module initializer, a call
/// made under a lock, or a private helper called only from those: its writes have no concurrent twin.</item>
/// <item>A key for one thread: the program's entry point; a private method that one <c>new Thread(M)</c>,
/// <c>Task.Run(M)</c> or <c>Task.Factory.StartNew(M)</c> starts from code that runs once, not in a loop; Unity's main
/// thread (the messages <c>Update</c>, <c>Start</c>... of a <c>UnityEngine.MonoBehaviour</c>, and the coroutines its
/// <c>StartCoroutine</c> runs); or one static socket's (or stream's) chain of <c>Begin*</c> callbacks, when the private
/// callback re-arms itself as the last thing it does with the type's buffers, so that no two of its runs overlap (also
/// when a connect completion on that socket starts it, or an accept completion that runs once starts it on the one
/// socket it accepts). A private <c>AsyncCallback</c> field that only ever holds one of the type's methods and is only
/// passed to <c>Begin*</c> calls names that method as those calls' callback. Writes made from one such thread only never
/// race.</item>
/// <item><see cref="Any"/>: anything else (a public method, an event handler, a callback that may overlap itself).</item>
/// </list>
/// A private helper runs on the thread of its callers when they all agree. Operation callbacks record calls and
/// method references concurrently (under this object's lock); <see cref="Of"/> runs from the symbol-end action.
/// </summary>
internal sealed class WriterThreads
{
    /// <summary>Any thread: a member that other code may call concurrently.</summary>
    public static readonly object Any = new();

    /// <summary>No way in seen yet (while joining a method's callers).</summary>
    private static readonly object None = new();

    /// <summary>Unity's main thread, which runs every <c>MonoBehaviour</c> message.</summary>
    private static readonly object UnityMainThread = new();

    private static readonly HashSet<string> UnityMessages = new(StringComparer.Ordinal)
    {
        "Awake", "Start", "Update", "FixedUpdate", "LateUpdate", "OnGUI", "OnEnable", "OnDisable", "OnDestroy",
        "OnApplicationQuit", "OnApplicationPause", "OnApplicationFocus",
        "OnCollisionEnter", "OnCollisionStay", "OnCollisionExit", "OnTriggerEnter", "OnTriggerStay", "OnTriggerExit",
        "OnCollisionEnter2D", "OnCollisionStay2D", "OnCollisionExit2D", "OnTriggerEnter2D", "OnTriggerStay2D", "OnTriggerExit2D",
    };

    private readonly INamedTypeSymbol _type;
    private readonly Compilation _compilation;

    // Made on first use (most types record little), then guarded by 'this'.
    private Dictionary<ISymbol, List<Entry>>? _calls;
    private Dictionary<ISymbol, List<Entry>>? _threadStarts;
    private Dictionary<ISymbol, List<Holder>>? _callbacks;
    private Dictionary<ISymbol, List<Arm>>? _arms;
    private Dictionary<ISymbol, List<Arm>>? _ownCalls;
    private Dictionary<ISymbol, int>? _lastBufferReference;
    private Dictionary<ISymbol, int>? _firstThreadStart;
    private HashSet<ISymbol>? _escaped;
    private HashSet<ISymbol>? _coroutines;
    private Dictionary<ISymbol, IFieldSymbol>? _onceLambdas;

    // A private AsyncCallback field that holds a delegate of one of the type's methods and is passed to Begin* calls:
    // the methods stored in it, the Begin* calls that pass it, and the fields read any other way.
    private Dictionary<ISymbol, List<IMethodSymbol>>? _callbackFields;
    private List<FieldBegin>? _fieldBegins;
    private HashSet<ISymbol>? _spoiledFields;
    private bool _fieldsResolved;

    // Whether the type declares such a field at all: most do not, and then no call's arguments are looked at for one.
    private readonly bool _hasCallbackFields;

    public WriterThreads(INamedTypeSymbol type, Compilation compilation)
    {
        _type = type;
        _compilation = compilation;
        foreach (var member in type.GetMembers())
        {
            _hasCallbackFields |= member is IFieldSymbol field && IsCallbackField(field);
        }
    }

    /// <summary>Stands for a caller whose call is made under a lock (the type itself: never a real caller).</summary>
    private ISymbol Locked => _type;

    /// <summary>Records a reference to one of the type's buffers in <paramref name="member"/>, for the chain check.</summary>
    public void OnBufferReference(ISymbol member, IOperation reference)
    {
        var start = ChainPosition(reference);
        lock (this)
        {
            _lastBufferReference ??= new Dictionary<ISymbol, int>(SymbolEqualityComparer.Default);
            if (!_lastBufferReference.TryGetValue(member, out var last) || last < start)
            {
                _lastBufferReference[member] = start;
            }
        }
    }

    /// <summary>Records an invocation or a method reference (operation callback).</summary>
    public void OnCall(OperationAnalysisContext context)
    {
        var member = context.ContainingSymbol;
        if (IsThreadStart(context.Operation))
        {
            // Where the member first starts a thread: the entry point's writes before it only set up what threads read.
            var position = context.Operation.Syntax.SpanStart;
            lock (this)
            {
                _firstThreadStart ??= new Dictionary<ISymbol, int>(SymbolEqualityComparer.Default);
                if (!_firstThreadStart.TryGetValue(member, out var first) || position < first)
                {
                    _firstThreadStart[member] = position;
                }
            }
        }

        switch (context.Operation)
        {
            case IInvocationOperation invocation:
                if (_hasCallbackFields)
                {
                    OnCallbackFieldUse(invocation, invocation.Instance, invocation.TargetMethod.Name, invocation.Arguments, member);
                }

                if (IsOwn(invocation.TargetMethod))
                {
                    OnInvocation(invocation, invocation.TargetMethod.OriginalDefinition, member, context.CancellationToken);
                }

                break;
            case IObjectCreationOperation creation when _hasCallbackFields:
                OnCallbackFieldUse(creation, instance: null, name: string.Empty, creation.Arguments, member);
                break;
            // ThreadPool.QueueUserWorkItem(s_onRead.Invoke, ...): the callback field's delegate handed on.
            case IMethodReferenceOperation { Instance: { } instance } when _hasCallbackFields && CallbackField(instance) is { } handedOn:
                Spoil(handedOn);
                break;
            case IMethodReferenceOperation { Method: { DeclaredAccessibility: Accessibility.Private } method } reference when IsOwn(method):
                OnMethodReference(reference, method.OriginalDefinition, member);
                break;
        }
    }

    private void OnInvocation(IInvocationOperation invocation, IMethodSymbol method, ISymbol member, CancellationToken cancellationToken)
    {
        lock (this)
        {
            Add(ref _ownCalls, member, new Arm(method, invocation.Syntax.Span, repeated: false, ChainPosition(invocation)));
        }

        if (method.DeclaredAccessibility != Accessibility.Private)
        {
            return;
        }

        // StartCoroutine(Handshake()): Unity runs the iterator's body on its main thread, whoever starts it (StartCoroutine
        // itself may only be called there).
        if (IsCoroutineStart(invocation, method, cancellationToken))
        {
            lock (this)
            {
                (_coroutines ??= new HashSet<ISymbol>(SymbolEqualityComparer.Default)).Add(method);
            }

            return;
        }

        // A call in a timer's, event's or work item's lambda runs on whatever thread runs that.
        if (EnclosingFunction(invocation) is { } deferred && IsDeferred(deferred))
        {
            lock (this)
            {
                (_escaped ??= new HashSet<ISymbol>(SymbolEqualityComparer.Default)).Add(method);
            }

            return;
        }

        // () => Loop() handed to new Thread(...): the thread runs Loop.
        if (EnclosingFunction(invocation) is { } function && StartedThread(function) is { } start)
        {
            var entry = new Entry(member, IsRepeated(start), OnceFlags.Of(start, _type));
            lock (this)
            {
                Add(ref _threadStarts, method, entry);
            }

            return;
        }

        // A call made while holding a lock (lock (gate) { Fill(); }) runs the helper under that lock.
        var caller = SynchronizedRegion.IsSynchronized(invocation, member) ? Locked : member;
        lock (this)
        {
            Add(ref _calls, method, new Entry(caller, IsRepeated(invocation)));
        }
    }

    private void OnMethodReference(IMethodReferenceOperation reference, IMethodSymbol method, ISymbol member)
    {
        if (StartedThread(reference) is { } start)
        {
            var entry = new Entry(member, IsRepeated(start), OnceFlags.Of(start, _type));
            lock (this)
            {
                Add(ref _threadStarts, method, entry);
            }
        }
        else if (BeginCall(reference) is { } begin)
        {
            AddBegin(begin, method, member);
        }
        else if (StoredInCallbackField(reference) is { } field)
        {
            // ReceivedData = new AsyncCallback(OnReceivedData): the Begin* calls that pass the field decide (ResolveCallbackFields).
            lock (this)
            {
                Add(ref _callbackFields, field, method);
            }
        }
        else
        {
            lock (this)
            {
                (_escaped ??= new HashSet<ISymbol>(SymbolEqualityComparer.Default)).Add(method);
            }
        }
    }

    /// <summary>Records <paramref name="begin"/>, made in <paramref name="member"/>, as a way into its callback <paramref name="method"/>.</summary>
    private void AddBegin(IInvocationOperation begin, IMethodSymbol method, ISymbol member)
    {
        var socket = StaticMember(begin.Instance);
        var accepted = socket is null && IsAcceptedHere(begin);
        var carried = socket is null
            ? accepted || CarriesState(begin)
            : SymbolEqualityComparer.Default.Equals(method, member) && IsAssignedFromState(socket, begin);
        var holder = new Holder(
            socket,
            socket is not null && SymbolEqualityComparer.Default.Equals(StaticMember(StateArgument(begin)), socket),
            carried ? member : null,
            accepted);
        lock (this)
        {
            Add(ref _callbacks, method, holder);
            Add(ref _arms, member, new Arm(method, begin.Syntax.Span, IsRepeated(begin), begin.Syntax.SpanStart));
        }
    }

    /// <summary>
    /// Records a use of one of the type's private <c>AsyncCallback</c> fields by a call that is not the type's own: as the
    /// callback of a <c>Begin*</c> call (<c>Server.BeginReceiveFrom(..., ReceivedData, null)</c>), or any other way (invoked,
    /// passed elsewhere), after which the field's methods may run anywhere.
    /// </summary>
    private void OnCallbackFieldUse(IOperation call, IOperation? instance, string name, ImmutableArray<IArgumentOperation> arguments, ISymbol member)
    {
        if (CallbackField(instance) is { } invoked)
        {
            Spoil(invoked);
        }

        var isBegin = call is IInvocationOperation && name.StartsWith("Begin", StringComparison.Ordinal);
        foreach (var argument in arguments)
        {
            if (CallbackField(argument.Value) is not { } field)
            {
                continue;
            }

            if (isBegin && argument.Parameter?.Type.Name == "AsyncCallback")
            {
                lock (this)
                {
                    (_fieldBegins ??= new List<FieldBegin>()).Add(new FieldBegin(field, (IInvocationOperation)call, member));
                }
            }
            else
            {
                Spoil(field);
            }
        }
    }

    private void Spoil(IFieldSymbol field)
    {
        lock (this)
        {
            (_spoiledFields ??= new HashSet<ISymbol>(SymbolEqualityComparer.Default)).Add(field);
        }
    }

    /// <summary>
    /// Turns the <c>Begin*</c> calls that pass a callback field into ways into the one method the field holds, when it only
    /// ever holds that one and is used only so; the methods of any other stored field may run anywhere. Called under the lock,
    /// once, after every operation of the type was recorded.
    /// </summary>
    private void ResolveCallbackFields()
    {
        if (_fieldsResolved)
        {
            return;
        }

        _fieldsResolved = true;
        if (_callbackFields is null)
        {
            return;
        }

        var uses = _fieldBegins ?? new List<FieldBegin>();
        foreach (var pair in _callbackFields)
        {
            var method = HeldMethod(pair.Key);
            var passed = false;
            foreach (var use in uses)
            {
                if (method is not null && SymbolEqualityComparer.Default.Equals(use.Field, pair.Key))
                {
                    AddBegin(use.Begin, method, use.Member);
                    passed = true;
                }
            }

            if (!passed)
            {
                foreach (var stored in pair.Value)
                {
                    (_escaped ??= new HashSet<ISymbol>(SymbolEqualityComparer.Default)).Add(stored);
                }
            }
        }
    }

    /// <summary>The one method <paramref name="field"/> ever holds, when nothing reads it but <c>Begin*</c> calls. Called under the lock.</summary>
    private IMethodSymbol? HeldMethod(ISymbol field)
    {
        if (_callbackFields is null || !_callbackFields.TryGetValue(field, out var methods) || _spoiledFields?.Contains(field) == true)
        {
            return null;
        }

        foreach (var method in methods)
        {
            if (!SymbolEqualityComparer.Default.Equals(method, methods[0]))
            {
                return null;
            }
        }

        return methods[0];
    }

    /// <summary>
    /// The type's private <c>AsyncCallback</c> field that the delegate made from <paramref name="reference"/> is stored in
    /// (<c>ReceivedData = new AsyncCallback(OnReceivedData)</c>, or its initializer).
    /// </summary>
    private IFieldSymbol? StoredInCallbackField(IMethodReferenceOperation reference)
    {
        return Consumer(reference) switch
        {
            ISimpleAssignmentOperation { Target: IFieldReferenceOperation { Field: var field } } when IsCallbackField(field) => field,
            IFieldInitializerOperation { InitializedFields: { Length: 1 } fields } when IsCallbackField(fields[0]) => fields[0],
            _ => null,
        };
    }

    /// <summary>The type's private <c>AsyncCallback</c> field that <paramref name="value"/> reads, or null.</summary>
    private IFieldSymbol? CallbackField(IOperation? value)
        => value is not null && ByteOrder.StripConversions(value) is IFieldReferenceOperation { Field: var field } && IsCallbackField(field) ? field : null;

    private bool IsCallbackField(IFieldSymbol field)
        => field is { DeclaredAccessibility: Accessibility.Private, Type: { Name: "AsyncCallback", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } } }
            && SymbolEqualityComparer.Default.Equals(field.ContainingType?.OriginalDefinition, _type);

    /// <summary>
    /// What the place of <paramref name="reference"/> (a buffer reference) says about its thread beyond its member, for
    /// <see cref="Of(ISymbol, object?, Dictionary{ISymbol, object?}, CancellationToken)"/>: a lambda that a thread runs
    /// (<c>new Thread(() => s_buf[0] = 1)</c>, <c>Task.Run(...)</c>: not its member's thread), or the callback of the
    /// <c>Begin*</c> call the buffer is handed to, when that callback is one of the type's methods (the reference belongs
    /// to the callback's chain). Null when the member's thread is the reference's.
    /// </summary>
    public object? PlaceOf(IOperation reference)
    {
        if (EnclosingFunction(reference) is { } function)
        {
            if (StartedThread(function) is { } start)
            {
                if (IsRepeated(start))
                {
                    return Any;
                }

                if (OnceFlags.Of(start, _type) is { } flag)
                {
                    lock (this)
                    {
                        (_onceLambdas ??= new Dictionary<ISymbol, IFieldSymbol>(SymbolEqualityComparer.Default))[function.Symbol] = flag;
                    }
                }

                return function.Symbol;
            }

            if (IsDeferred(function))
            {
                return Any;
            }
        }

        // Up to the Begin* call whose arguments hold the reference (s_buf, s_buf.AsMemory(), Math.Min(n, s_buf.Length)).
        for (var current = reference.Parent; current is not null and not IBlockOperation and not IAnonymousFunctionOperation; current = current.Parent)
        {
            if (current is not IInvocationOperation begin || !begin.TargetMethod.Name.StartsWith("Begin", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var argument in begin.Arguments)
            {
                if (argument.Value is IDelegateCreationOperation { Target: IMethodReferenceOperation callback } && IsOwn(callback.Method))
                {
                    return callback.Method.OriginalDefinition;
                }

                // The callback field's method, once every store into the field is known (Of).
                if (argument.Parameter?.Type.Name == "AsyncCallback" && CallbackField(argument.Value) is { } field)
                {
                    return field;
                }
            }

            return null;
        }

        return null;
    }

    /// <summary>
    /// The thread a reference in <paramref name="member"/> runs on: null (initialization or a lock), <see cref="Any"/>,
    /// or a key for one thread. <paramref name="place"/> is its <see cref="PlaceOf"/>: a thread's lambda started once
    /// from code that runs once is its own thread; a write that starts a chain runs on the chain's thread.
    /// </summary>
    public object? Of(ISymbol member, object? place, Dictionary<ISymbol, object?> known, CancellationToken cancellationToken)
    {
        lock (this)
        {
            ResolveCallbackFields();
        }

        switch (place)
        {
            case IMethodSymbol { MethodKind: MethodKind.AnonymousFunction } lambda:
                IFieldSymbol? onceFlag = null;
                lock (this)
                {
                    _onceLambdas?.TryGetValue(lambda, out onceFlag);
                }

                if (onceFlag is not null && OnceFlags.IsNeverCleared(onceFlag, _type, cancellationToken))
                {
                    return lambda;
                }

                return RunsOnce(member, cancellationToken, depth: 0) ? lambda : Any;
            case IMethodSymbol callback:
                lock (this)
                {
                    if (ChainSocket(callback) is { } socket)
                    {
                        return socket;
                    }
                }

                break;
            case IFieldSymbol field:
                lock (this)
                {
                    if (HeldMethod(field) is { } held && ChainSocket(held) is { } socket)
                    {
                        return socket;
                    }
                }

                break;
            case not null:
                return Any;
        }

        return Of(member, known, cancellationToken);
    }

    /// <summary>
    /// The thread of two groups of writes together: null when both are initialization, the one thread when they agree
    /// (or one is initialization), <see cref="Any"/> otherwise.
    /// </summary>
    public static object? Join(object? current, object? next)
    {
        if (ReferenceEquals(current, None) || current is null)
        {
            return next;
        }

        if (next is null)
        {
            return current;
        }

        return current is ISymbol a && next is ISymbol b
            ? (SymbolEqualityComparer.Default.Equals(a, b) ? a : Any)
            : (ReferenceEquals(current, next) ? current : Any);
    }

    /// <summary>Whether <paramref name="thread"/> (from <see cref="Of(ISymbol, IMethodSymbol?, Dictionary{ISymbol, object?}, CancellationToken)"/>) is the program's entry point.</summary>
    public bool IsEntryPoint(object thread, CancellationToken cancellationToken) => thread is IMethodSymbol method && IsEntryPoint(method, cancellationToken);

    private object? Of(ISymbol member, Dictionary<ISymbol, object?> known, CancellationToken cancellationToken)
    {
        if (known.TryGetValue(member, out var result))
        {
            return result;
        }

        // A cycle (recursion) without another way in proves nothing: taken as any thread while it is worked out.
        known[member] = Any;
        result = Compute(member, known, cancellationToken);
        known[member] = result;
        return result;
    }

    private object? Compute(ISymbol member, Dictionary<ISymbol, object?> known, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (ReferenceEquals(member, Locked))
        {
            return null;
        }

        return member switch
        {
            IFieldSymbol or IPropertySymbol => null,
            IMethodSymbol { MethodKind: MethodKind.StaticConstructor } constructor
                => SymbolEqualityComparer.Default.Equals(constructor.ContainingType, _type) ? null : Any,

            // [ModuleInitializer] runs once, before any other code of the module.
            IMethodSymbol initializer when IsModuleInitializer(initializer) => null,

            // The program's entry point runs once, on one thread. A thread it starts is another thread.
            IMethodSymbol main when IsEntryPoint(main, cancellationToken) => main,
            IMethodSymbol method => OfMethod(method.OriginalDefinition, known, cancellationToken),
            _ => Any,
        };
    }

    private object? OfMethod(IMethodSymbol method, Dictionary<ISymbol, object?> known, CancellationToken cancellationToken)
    {
        object? thread = IsUnityMessage(method) ? UnityMainThread : None;
        if (method.DeclaredAccessibility != Accessibility.Private || !IsOwn(method))
        {
            return ReferenceEquals(thread, None) ? Any : thread;
        }

        List<Entry>? calls, starts;
        lock (this)
        {
            if (_escaped?.Contains(method) == true)
            {
                return Any;
            }

            calls = Find(_calls, method);
            starts = Find(_threadStarts, method);
            if (_coroutines?.Contains(method) == true)
            {
                thread = Join(thread, UnityMainThread);
            }

            if (Find(_callbacks, method) is not null)
            {
                // A callback that may overlap itself runs on any pool thread, at every completion.
                thread = Join(thread, (object?)ChainSocket(method) ?? Any);
            }
        }

        if (starts is not null)
        {
            // One thread started once, from code that runs once: the method's own thread.
            // So is one started behind a static flag that lets it start once (if (!s_started) { s_started = true; ... }).
            var once = starts.Count == 1 && !starts[0].Repeated
                && (starts[0].OnceFlag is { } flag && OnceFlags.IsNeverCleared(flag, _type, cancellationToken) || RunsOnce(starts[0].Caller, cancellationToken, depth: 0));
            thread = Join(thread, once ? method : Any);
        }

        foreach (var call in calls ?? new List<Entry>())
        {
            // A method calling itself runs on the thread it already runs on: its other callers decide.
            if (SymbolEqualityComparer.Default.Equals(call.Caller, method))
            {
                continue;
            }

            thread = Join(thread, Of(call.Caller, known, cancellationToken));
            if (ReferenceEquals(thread, Any))
            {
                break;
            }
        }

        // A private method nothing in the type calls: something else does (reflection, a generated part).
        return ReferenceEquals(thread, None) ? Any : thread;
    }

    /// <summary>Whether <paramref name="member"/> runs once: a static or module initializer, the entry point, or a private helper they call once.</summary>
    private bool RunsOnce(ISymbol member, CancellationToken cancellationToken, int depth)
    {
        switch (member)
        {
            case IMethodSymbol { MethodKind: MethodKind.StaticConstructor } constructor:
                return SymbolEqualityComparer.Default.Equals(constructor.ContainingType, _type);
            case IMethodSymbol initializer when IsModuleInitializer(initializer):
            case IMethodSymbol main when IsEntryPoint(main, cancellationToken):
                return true;
            case IMethodSymbol { DeclaredAccessibility: Accessibility.Private } method when depth < 8 && IsOwn(method):
                Entry call;
                lock (this)
                {
                    if (_escaped?.Contains(method) == true
                        || Find(_threadStarts, method) is not null
                        || Find(_callbacks, method) is not null
                        || Find(_calls, method) is not { Count: 1 } calls
                        || calls[0].Repeated)
                    {
                        return false;
                    }

                    call = calls[0];
                }

                return RunsOnce(call.Caller, cancellationToken, depth + 1);
            default:
                return false;
        }
    }

    /// <summary>
    /// The static field (or property) whose <c>Begin*</c> calls alone run <paramref name="callback"/>, when they are its only way in
    /// and the callback re-arms itself as the last thing it does with the type (no buffer reference and no call to the
    /// type after it): then its runs follow one another and never overlap. Called under the lock.
    /// </summary>
    private ISymbol? ChainSocket(IMethodSymbol callback)
    {
        if (OnlyBeginCalls(callback) is not { } holders)
        {
            return null;
        }

        // One static socket holds every Begin* call; a re-arm on the socket the callback gets back from AsyncState is
        // that socket when every other call passes the socket itself as the state.
        ISymbol? socket = null;
        var carried = false;
        var passesItself = true;
        foreach (var holder in holders)
        {
            var held = holder.Socket;
            if (holder.CarriedIn is { } carrier)
            {
                if (SymbolEqualityComparer.Default.Equals(carrier, callback))
                {
                    carried = true;
                    continue;
                }

                // Started by another callback on the socket it got back as its state (a BeginConnect completion), or on the
                // socket it accepted (a BeginAccept completion that runs once).
                held = holder.Accepted ? AcceptedOnce(carrier) : StateSocket(carrier);
            }
            else if (!holder.PassesItself)
            {
                passesItself = false;
            }

            if (held is null || socket is not null && !SymbolEqualityComparer.Default.Equals(held, socket))
            {
                return null;
            }

            socket = held;
        }

        if (socket is null || carried && !passesItself)
        {
            return null;
        }

        if (StartedWhereItMayStartAgain(callback))
        {
            return null;
        }

        // Where the callback re-arms: a Begin* naming it, or a call to a method of the type that makes one.
        var rearm = int.MaxValue;
        foreach (var arm in Find(_arms, callback) ?? new List<Arm>())
        {
            if (SymbolEqualityComparer.Default.Equals(arm.Method, callback))
            {
                rearm = Math.Min(rearm, arm.Span.End);
            }
        }

        var calls = Find(_ownCalls, callback);
        foreach (var call in calls ?? new List<Arm>())
        {
            if (Find(_arms, call.Method) is { } arms && !SymbolEqualityComparer.Default.Equals(call.Method, callback) && Names(arms, callback))
            {
                rearm = Math.Min(rearm, call.Span.End);
            }
        }

        if (rearm == int.MaxValue
            || _lastBufferReference is not null && _lastBufferReference.TryGetValue(callback, out var last) && last >= rearm)
        {
            return null;
        }

        // A call after the re-arm overlaps the next run: harmless only when the method it calls touches no buffer.
        foreach (var call in calls ?? new List<Arm>())
        {
            if (call.Order >= rearm && !TouchesNoBuffer(call.Method, callback, new HashSet<ISymbol>(SymbolEqualityComparer.Default)))
            {
                return null;
            }
        }

        return socket;
    }

    /// <summary>
    /// The <c>Begin*</c> calls naming <paramref name="callback"/>, when they are its only way in: it is private, and
    /// nothing calls it, starts it as a thread or makes another delegate of it. Called under the lock.
    /// </summary>
    private List<Holder>? OnlyBeginCalls(IMethodSymbol callback)
        => callback.DeclaredAccessibility == Accessibility.Private
            && _escaped?.Contains(callback) != true
            && Find(_calls, callback) is null
            && Find(_threadStarts, callback) is null
                ? Find(_callbacks, callback)
                : null;

    /// <summary>
    /// The static socket every <c>Begin*</c> call naming <paramref name="callback"/> is made on and passes as its state, so
    /// that its <c>AsyncState</c> is that socket: <c>s_sock.BeginConnect(ep, OnConnect, s_sock)</c>. Null when any call
    /// differs, or something else calls the callback. Called under the lock.
    /// </summary>
    private ISymbol? StateSocket(ISymbol callback)
    {
        if (callback is not IMethodSymbol method || OnlyBeginCalls(method) is not { } holders)
        {
            return null;
        }

        ISymbol? socket = null;
        foreach (var holder in holders)
        {
            if (holder.Socket is null || !holder.PassesItself || socket is not null && !SymbolEqualityComparer.Default.Equals(holder.Socket, socket))
            {
                return null;
            }

            socket = holder.Socket;
        }

        return socket;
    }

    /// <summary>
    /// The accept completion <paramref name="completion"/> itself, as the key of the one chain it starts on the socket it
    /// accepts, when it runs once: its only way in is one <c>Begin*</c> call on a static socket
    /// (<c>s_listener.BeginAccept(OnAccept, null)</c>), made where it does not start again. That one call is not in the
    /// completion, so the accept is never re-armed and one client is served. Null otherwise. Called under the lock.
    /// </summary>
    private ISymbol? AcceptedOnce(ISymbol completion)
    {
        return completion is IMethodSymbol method
            && OnlyBeginCalls(method) is { Count: 1 } holders && holders[0].Socket is not null
            && !StartedWhereItMayStartAgain(method)
                ? method
                : null;
    }

    /// <summary>
    /// Whether a <c>Begin*</c> call naming <paramref name="callback"/> outside it may run more than once: in a loop or a
    /// lambda, or in a Unity message that repeats (every frame, every enable). <c>Start</c> and <c>Awake</c> run once per
    /// component, which is trusted as a public method that starts a chain is. Called under the lock.
    /// </summary>
    private bool StartedWhereItMayStartAgain(IMethodSymbol callback)
    {
        foreach (var pair in _arms!)
        {
            foreach (var arm in pair.Value)
            {
                if (SymbolEqualityComparer.Default.Equals(arm.Method, callback)
                    && !SymbolEqualityComparer.Default.Equals(pair.Key, callback)
                    && (arm.Repeated || pair.Key is IMethodSymbol starter && IsUnityMessage(starter) && starter.Name is not ("Start" or "Awake")))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// Whether <paramref name="method"/>, and every method of the type it calls, neither references one of the type's
    /// buffers nor starts a <c>Begin*</c> call with one of the type's callbacks (a logging or parsing helper called after
    /// a chain's re-arm). Called under the lock.
    /// </summary>
    private bool TouchesNoBuffer(IMethodSymbol method, IMethodSymbol callback, HashSet<ISymbol> seen)
    {
        if (!seen.Add(method))
        {
            return true;
        }

        if (SymbolEqualityComparer.Default.Equals(method, callback)
            || seen.Count > 16
            || _lastBufferReference?.ContainsKey(method) == true
            || _arms?.ContainsKey(method) == true)
        {
            return false;
        }

        foreach (var call in Find(_ownCalls, method) ?? new List<Arm>())
        {
            if (!TouchesNoBuffer(call.Method, callback, seen))
            {
                return false;
            }
        }

        return true;
    }

    private static bool Names(List<Arm> arms, IMethodSymbol callback)
    {
        foreach (var arm in arms)
        {
            if (SymbolEqualityComparer.Default.Equals(arm.Method, callback))
            {
                return true;
            }
        }

        return false;
    }

    private bool IsOwn(IMethodSymbol method)
        => method.MethodKind == MethodKind.Ordinary && SymbolEqualityComparer.Default.Equals(method.ContainingType?.OriginalDefinition, _type);

    private bool IsEntryPoint(IMethodSymbol method, CancellationToken cancellationToken)
        => method is { IsStatic: true, Name: "Main" or "<Main>$" }
            && SymbolEqualityComparer.Default.Equals(_compilation.GetEntryPoint(cancellationToken), method);

    private static bool IsModuleInitializer(IMethodSymbol method)
    {
        foreach (var attribute in method.GetAttributes())
        {
            if (attribute.AttributeClass is { Name: "ModuleInitializerAttribute" } type
                && type.ContainingNamespace?.ToDisplayString() == "System.Runtime.CompilerServices")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>An instance message Unity calls on its main thread, of a type derived from <c>UnityEngine.MonoBehaviour</c>.</summary>
    private static bool IsUnityMessage(IMethodSymbol method)
    {
        if (method.IsStatic || method.MethodKind != MethodKind.Ordinary || !UnityMessages.Contains(method.Name))
        {
            return false;
        }

        return IsMonoBehaviour(method.ContainingType?.BaseType);
    }

    /// <summary>Whether <paramref name="type"/> is <c>UnityEngine.MonoBehaviour</c> or derives from it.</summary>
    private static bool IsMonoBehaviour(INamedTypeSymbol? type)
    {
        for (; type is not null; type = type.BaseType)
        {
            if (type is { Name: "MonoBehaviour", ContainingNamespace: { Name: "UnityEngine", ContainingNamespace.IsGlobalNamespace: true } })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether <paramref name="invocation"/> makes the iterator that a <c>MonoBehaviour.StartCoroutine</c> call runs:
    /// <c>StartCoroutine(Handshake())</c>, where <paramref name="method"/> is an iterator (a method that returns an
    /// enumerator without being one runs its body here, on the caller's thread).
    /// </summary>
    private static bool IsCoroutineStart(IInvocationOperation invocation, IMethodSymbol method, CancellationToken cancellationToken)
        => invocation.Parent is IArgumentOperation { Parent: IInvocationOperation { TargetMethod: { Name: "StartCoroutine" } start } }
            && IsMonoBehaviour(start.ContainingType)
            && IsIterator(method, cancellationToken);

    /// <summary>Whether <paramref name="method"/>'s body yields (its own, not a local function's).</summary>
    private static bool IsIterator(IMethodSymbol method, CancellationToken cancellationToken)
    {
        foreach (var reference in method.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is MethodDeclarationSyntax { Body: { } body })
            {
                foreach (var node in body.DescendantNodes(node => node is not LocalFunctionStatementSyntax and not AnonymousFunctionExpressionSyntax))
                {
                    if (node is YieldStatementSyntax)
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    /// <summary>The <c>new Thread(...)</c>, <c>Task.Run(...)</c> or <c>Task.Factory.StartNew(...)</c> that runs the delegate made from <paramref name="target"/>.</summary>
    private static IOperation? StartedThread(IOperation target)
        => Consumer(target) is IArgumentOperation { Parent: { } start } && IsThreadStart(start) ? start : null;

    /// <summary>What takes the delegate made from <paramref name="target"/> (a method reference or a lambda): its argument, its event assignment.</summary>
    private static IOperation? Consumer(IOperation target)
    {
        var parent = target.Parent is IDelegateCreationOperation creation ? creation.Parent : target.Parent;
        while (parent is IConversionOperation)
        {
            parent = parent.Parent;
        }

        return parent;
    }

    /// <summary>The <c>Begin*</c> call that takes the delegate made from <paramref name="reference"/> as its <c>AsyncCallback</c>.</summary>
    private static IInvocationOperation? BeginCall(IMethodReferenceOperation reference)
        => reference.Parent is IDelegateCreationOperation { Parent: IArgumentOperation { Parameter.Type.Name: "AsyncCallback", Parent: IInvocationOperation begin } }
            && begin.TargetMethod.Name.StartsWith("Begin", StringComparison.Ordinal)
                ? begin
                : null;

    /// <summary>The <c>state</c> argument of a <c>Begin*</c> call (what the callback gets back as <c>AsyncState</c>).</summary>
    private static IOperation? StateArgument(IInvocationOperation begin)
    {
        foreach (var argument in begin.Arguments)
        {
            if (argument.Parameter is { Name: "state", Type.SpecialType: SpecialType.System_Object })
            {
                return argument.Value;
            }
        }

        return null;
    }

    /// <summary>
    /// A re-arm in the callback on the socket it got back as <c>AsyncState</c>, handing it on as the state again:
    /// <c>var sock = (Socket)ar.AsyncState; ... sock.BeginReceive(buf, 0, n, SocketFlags.None, OnReceive, sock);</c>.
    /// </summary>
    private static bool CarriesState(IInvocationOperation begin)
    {
        var instance = SocketOf(begin);
        if (instance is ILocalReferenceOperation)
        {
            return PassedOnValue(begin) is { } declared && IsAsyncState(declared);
        }

        return IsAsyncState(instance) && IsAsyncState(LinearForm.Strip(StateArgument(begin)));
    }

    /// <summary>The socket (or client) a <c>Begin*</c> call is made on: its instance, or the client of <c>client.GetStream()</c>.</summary>
    private static IOperation? SocketOf(IInvocationOperation begin)
    {
        var instance = LinearForm.Strip(begin.Instance);
        return instance is IInvocationOperation { TargetMethod: { Name: "GetStream", Parameters.Length: 0 }, Instance: { } client }
            ? LinearForm.Strip(client)
            : instance;
    }

    /// <summary>
    /// When a <c>Begin*</c> call is made on a local and passes that local as its state (<c>sock.BeginReceive(..., OnReceive, sock)</c>),
    /// the one value the local holds; null otherwise.
    /// </summary>
    private static IOperation? PassedOnValue(IInvocationOperation begin)
        => SocketOf(begin) is ILocalReferenceOperation local
            && LinearForm.Strip(StateArgument(begin)) is ILocalReferenceOperation passed
            && SymbolEqualityComparer.Default.Equals(passed.Local, local.Local)
            && Definitions.TryGetWithoutPath(local.Local, local, out _, out var declared)
                ? LinearForm.Strip(declared)
                : null;

    /// <summary>
    /// A receive started in an accept completion on the socket it accepted, handing that socket on as the state:
    /// <c>Socket client = s_listener.EndAccept(ar); client.BeginReceive(buf, 0, n, SocketFlags.None, OnReceive, client);</c>
    /// (or <c>EndAcceptTcpClient</c> and the client's stream).
    /// </summary>
    private static bool IsAcceptedHere(IInvocationOperation begin)
        => PassedOnValue(begin) is IInvocationOperation
        {
            TargetMethod.Name: "EndAccept" or "EndAcceptSocket" or "EndAcceptTcpClient",
            Instance: not null,
        };

    /// <summary>
    /// A callback's re-arm on a static socket it has just set from its <c>AsyncState</c>:
    /// <c>s_client = (Socket)ar.AsyncState; ... s_client.BeginReceive(buf, 0, n, SocketFlags.None, OnReceive, s_client);</c>.
    /// The one assignment of <paramref name="socket"/> in the callback comes before the call, and the call passes it on.
    /// </summary>
    private static bool IsAssignedFromState(ISymbol socket, IInvocationOperation begin)
    {
        if (!SymbolEqualityComparer.Default.Equals(StaticMember(StateArgument(begin)), socket))
        {
            return false;
        }

        IOperation body = begin;
        for (; body.Parent is not null; body = body.Parent)
        {
            if (body.Parent is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return false;
            }
        }

        return AssignedOnceFromState(body, socket, begin.Syntax.SpanStart);
    }

    private static bool AssignedOnceFromState(IOperation body, ISymbol socket, int before)
    {
        var found = false;
        foreach (var operation in body.Descendants())
        {
            if (operation is IAssignmentOperation { Target: IFieldReferenceOperation { Field: var field } } assignment
                && SymbolEqualityComparer.Default.Equals(field.OriginalDefinition, socket))
            {
                if (found || assignment is not ISimpleAssignmentOperation { Value: var value } || assignment.Syntax.Span.End > before || !IsAsyncState(LinearForm.Strip(value)))
                {
                    return false;
                }

                found = true;
            }
        }

        return found;
    }

    private static bool IsAsyncState(IOperation? operation)
        => operation is IPropertyReferenceOperation { Property.Name: "AsyncState", Instance: IParameterReferenceOperation { Parameter.Type.Name: "IAsyncResult" } };

    /// <summary>The static field or property (<c>static NetworkStream Stream => client.GetStream()</c>) that holds the socket or stream.</summary>
    private static ISymbol? StaticMember(IOperation? instance)
    {
        return LinearForm.Strip(instance) switch
        {
            IFieldReferenceOperation { Field: { IsStatic: true } field } => field.OriginalDefinition,
            IPropertyReferenceOperation { Property: { IsStatic: true, IsIndexer: false } property } => property.OriginalDefinition,

            // s_client.GetStream(): a TcpClient has one stream.
            IInvocationOperation { TargetMethod: { Name: "GetStream", Parameters.Length: 0 }, Instance: { } client } => StaticMember(client),
            _ => null,
        };
    }

    /// <summary>
    /// True when the entry point's writes only set up what the threads it starts read: none of them comes after the
    /// first thread the entry point starts (a write in its loop after starting a reader is shared with that reader).
    /// </summary>
    public bool OnlySetsUp(ISymbol entryPoint, IEnumerable<int> writes)
    {
        int first;
        lock (this)
        {
            if (_firstThreadStart is null || !_firstThreadStart.TryGetValue(entryPoint, out first))
            {
                return true;
            }
        }

        foreach (var write in writes)
        {
            if (write >= first)
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsThreadStart(IOperation operation) => operation switch
    {
        IObjectCreationOperation { Type: { Name: "Thread" } thread } => SynchronizedRegion.IsSystemThreading(thread.ContainingNamespace),
        IInvocationOperation { TargetMethod: { Name: "Run", ContainingType: { Name: "Task" } task } } => IsSystemThreadingTasks(task.ContainingNamespace),
        IInvocationOperation { TargetMethod: { Name: "StartNew", ContainingType: { Name: "TaskFactory" } factory } } => IsSystemThreadingTasks(factory.ContainingNamespace),
        _ => false,
    };

    /// <summary>
    /// A lambda that runs later on a thread of someone else's choosing: an event handler (<c>e.Completed += ...</c>),
    /// a timer's callback, a thread-pool work item, a continuation, a <c>Parallel</c> body.
    /// </summary>
    private static bool IsDeferred(IAnonymousFunctionOperation function)
    {
        return Consumer(function) switch
        {
            IEventAssignmentOperation => true,
            IArgumentOperation { Parent: IObjectCreationOperation { Type: { Name: "Timer" } timer } } => timer.ContainingNamespace is { Name: "Timers" or "Threading" },
            IArgumentOperation { Parent: IInvocationOperation { TargetMethod: { } method } } =>
                method.Name is "QueueUserWorkItem" or "UnsafeQueueUserWorkItem" && method.ContainingType is { Name: "ThreadPool" }
                || method.Name.StartsWith("ContinueWith", StringComparison.Ordinal)
                || method.ContainingType is { Name: "Parallel" } parallel && IsSystemThreadingTasks(parallel.ContainingNamespace),
            _ => false,
        };
    }

    /// <summary>
    /// Where an operation stands in its method's order for the chain check: its start, or, in a <c>catch</c>, the start of
    /// its <c>try</c> (a catch runs only when the try failed, and then no re-arm is pending).
    /// </summary>
    private static int ChainPosition(IOperation operation)
    {
        for (var parent = operation.Parent; parent is not null and not IAnonymousFunctionOperation and not ILocalFunctionOperation; parent = parent.Parent)
        {
            if (parent is ICatchClauseOperation { Parent: ITryOperation @try })
            {
                return @try.Syntax.SpanStart;
            }
        }

        return operation.Syntax.SpanStart;
    }

    private static IAnonymousFunctionOperation? EnclosingFunction(IOperation operation)
    {
        for (var parent = operation.Parent; parent is not null; parent = parent.Parent)
        {
            switch (parent)
            {
                case IAnonymousFunctionOperation function:
                    return function;
                case ILocalFunctionOperation:
                    return null;
            }
        }

        return null;
    }

    /// <summary>In a loop, a lambda or a local function of its member: it may run more than once per run of the member.</summary>
    private static bool IsRepeated(IOperation operation)
    {
        for (var parent = operation.Parent; parent is not null; parent = parent.Parent)
        {
            if (parent is ILoopOperation or IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsSystemThreadingTasks(INamespaceSymbol? ns)
        => ns is { Name: "Tasks" } && SynchronizedRegion.IsSystemThreading(ns.ContainingNamespace);

    private static void Add<T>(ref Dictionary<ISymbol, List<T>>? map, ISymbol key, T value)
    {
        map ??= new Dictionary<ISymbol, List<T>>(SymbolEqualityComparer.Default);
        if (!map.TryGetValue(key, out var list))
        {
            map[key] = list = new List<T>();
        }

        list.Add(value);
    }

    private static List<T>? Find<T>(Dictionary<ISymbol, List<T>>? map, ISymbol key)
        => map is not null && map.TryGetValue(key, out var list) ? list : null;

    /// <summary>What holds the socket or stream of a <c>Begin*</c> call naming one of the type's methods as its callback.</summary>
    private readonly struct Holder
    {
        public Holder(ISymbol? socket, bool passesItself, ISymbol? carriedIn, bool accepted)
        {
            Socket = socket;
            PassesItself = passesItself;
            CarriedIn = carriedIn;
            Accepted = accepted;
        }

        /// <summary>The static field or property, or null.</summary>
        public ISymbol? Socket { get; }

        /// <summary>The call passes the socket itself as its state (<c>s_sock.BeginReceive(..., OnReceive, s_sock)</c>).</summary>
        public bool PassesItself { get; }

        /// <summary>
        /// The member whose callback parameter's <c>AsyncState</c> gave the call its socket, passed on again as the state
        /// (the callback itself, re-arming; or a completion that starts the chain), or null.
        /// </summary>
        public ISymbol? CarriedIn { get; }

        /// <summary>The socket is the one <see cref="CarriedIn"/> (an accept completion) accepted.</summary>
        public bool Accepted { get; }
    }

    /// <summary>A <c>Begin*</c> call that passes a callback field, and the member that makes it.</summary>
    private readonly struct FieldBegin
    {
        public FieldBegin(IFieldSymbol field, IInvocationOperation begin, ISymbol member)
        {
            Field = field;
            Begin = begin;
            Member = member;
        }

        public IFieldSymbol Field { get; }

        public IInvocationOperation Begin { get; }

        public ISymbol Member { get; }
    }

    /// <summary>A way into a method: its caller (or <see cref="Locked"/>), and whether the call may repeat.</summary>
    private readonly struct Entry
    {
        public Entry(ISymbol caller, bool repeated, IFieldSymbol? onceFlag = null)
        {
            Caller = caller;
            Repeated = repeated;
            OnceFlag = onceFlag;
        }

        public ISymbol Caller { get; }

        public bool Repeated { get; }

        /// <summary>For a thread start: the static flag that lets it run once (<see cref="OnceFlags.Of"/>), or null.</summary>
        public IFieldSymbol? OnceFlag { get; }
    }

    /// <summary>A call of one of the type's methods, or a <c>Begin*</c> call naming one as its callback, and where.</summary>
    private readonly struct Arm
    {
        public Arm(IMethodSymbol method, TextSpan span, bool repeated, int order)
        {
            Method = method;
            Span = span;
            Repeated = repeated;
            Order = order;
        }

        /// <summary>Where the call stands in its method's order (<see cref="ChainPosition"/>).</summary>
        public int Order { get; }

        /// <summary>For a <c>Begin*</c> call: made in a loop or a lambda, so it may start more than one chain.</summary>
        public bool Repeated { get; }

        public IMethodSymbol Method { get; }

        public TextSpan Span { get; }
    }
}
