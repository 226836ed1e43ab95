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
/// KS0006: a static array or <c>Memory&lt;T&gt;</c> field whose contents are written outside a lock is shared by
/// every concurrent caller (the listing's <c>static char msg[80]</c>). Reported on the field's name.
/// </summary>
/// <remarks>
/// Per type (symbol start on the type that declares the fields): collect the static buffer fields, record every write
/// of their contents that is not in the field initializer, the static constructor or a lock, and report at the type's
/// end unless every write is made from one thread only (<see cref="WriterThreads"/>). A symbol-start action's operation actions do not run in the members of nested types, so each nested type
/// forwards its operations to the types around it that declare buffers (their start comes before, and their end after,
/// the nested type's). Writes from other types to a non-private field are not seen (missed, never reported wrongly).
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class SharedStaticBufferAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.SharedStaticBuffer);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCode.Flags);
        context.RegisterCompilationStartAction(static compilationContext =>
        {
            // Only types whose source declares a static buffer that the source may write (SourceIndex) are looked at:
            // a lookup table read as table[i] costs no symbol work at all. No symbol-start action at all when no tree
            // declares one: the driver keeps bookkeeping for every member of every type of an analyzer that has one.
            var index = SourceIndex.Get(compilationContext.Compilation).Build(compilationContext.CancellationToken);
            if (!index.MaySpellAnywhere(SourceNames.WrittenStaticBuffer))
            {
                return;
            }

            var symbols = KnownSymbols.Get(compilationContext.Compilation);

            // The types that declare candidates, for the types nested in them (few: made on the first one).
            ConcurrentDictionary<INamedTypeSymbol, TypeBuffers>? declaring = null;
            compilationContext.RegisterSymbolStartAction(
                symbolContext =>
                {
                    var type = (INamedTypeSymbol)symbolContext.Symbol;
                    if (index.MayUse(type, SourceNames.WrittenStaticBuffer) && OnTypeStart(symbolContext, symbols) is { } buffers)
                    {
                        LazyInitializer.EnsureInitialized(ref declaring, () => new ConcurrentDictionary<INamedTypeSymbol, TypeBuffers>(SymbolEqualityComparer.Default))![type] = buffers;
                    }

                    var known = Volatile.Read(ref declaring);
                    for (var container = type.ContainingType; known is not null && container is not null; container = container.ContainingType)
                    {
                        if (known.TryGetValue(container, out var outer))
                        {
                            outer.RegisterIn(symbolContext, symbols);
                        }
                    }
                },
                SymbolKind.NamedType);
        });
    }

    private static TypeBuffers? OnTypeStart(SymbolStartAnalysisContext context, KnownSymbols symbols)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        // Filled here, before any operation callback runs, and only read afterwards (each Writes locks itself).
        Dictionary<IFieldSymbol, Writes>? candidates = null;
        var members = type.GetMembers();
        foreach (var member in members)
        {
            if (member is IFieldSymbol field && IsCandidate(field, symbols) && !IsEvidentlyOnlyRead(field, type, context.CancellationToken))
            {
                candidates ??= new Dictionary<IFieldSymbol, Writes>(SymbolEqualityComparer.Default);
                candidates[field] = new Writes();
            }
        }

        if (candidates is null)
        {
            return null;
        }

        var hasPrivateHelpers = false;
        foreach (var member in members)
        {
            if (member is IMethodSymbol { IsExtern: false, DeclaredAccessibility: Accessibility.Private, MethodKind: MethodKind.Ordinary })
            {
                hasPrivateHelpers = true;
                break;
            }
        }

        var buffers = new TypeBuffers(candidates, new WriterThreads(type, context.Compilation), new StoredValues(), hasPrivateHelpers);
        buffers.RegisterIn(context, symbols);
        context.RegisterSymbolEndAction(endContext => Report(endContext, symbols, candidates, buffers.Threads, buffers.Stores));
        return buffers;
    }

    /// <summary>What one type records about its candidate fields, from its own members and from those of its nested types.</summary>
    private sealed class TypeBuffers
    {
        private readonly bool hasPrivateHelpers;

        public TypeBuffers(Dictionary<IFieldSymbol, Writes> candidates, WriterThreads threads, StoredValues stores, bool hasPrivateHelpers)
        {
            Candidates = candidates;
            Threads = threads;
            Stores = stores;
            this.hasPrivateHelpers = hasPrivateHelpers;
        }

        public Dictionary<IFieldSymbol, Writes> Candidates { get; }

        public WriterThreads Threads { get; }

        public StoredValues Stores { get; }

        /// <summary>Records what the members of <paramref name="context"/>'s type (the declaring type or one nested in it) do.</summary>
        public void RegisterIn(SymbolStartAnalysisContext context, KnownSymbols symbols)
        {
            context.RegisterOperationAction(
                operationContext =>
                {
                    if (operationContext.Operation.Kind == OperationKind.FieldReference)
                    {
                        OnFieldReference(operationContext, Candidates, symbols, Stores, Threads);
                    }
                    else
                    {
                        OnFieldInitializer(operationContext, Candidates, Stores);
                    }
                },
                OperationKind.FieldReference,
                OperationKind.FieldInitializer);

            // Calls are only followed into private helpers (initialization called from the static constructor, helpers
            // called only under a lock, a thread's method, a Begin* callback): a type without one has none worth recording.
            if (hasPrivateHelpers)
            {
                context.RegisterOperationAction(Threads.OnCall, OperationKind.Invocation, OperationKind.MethodReference, OperationKind.ObjectCreation);
            }
        }
    }

    /// <summary>
    /// True when every place the type's source spells the field's name, but its declaration, evidently only reads it
    /// (<see cref="TextReads"/>): a lookup table such as <c>static readonly int[] Weights = { 3, 5, 7 }</c> used as
    /// <c>Weights[i % Weights.Length]</c>. Such a type needs no callback at all; anything less plain is left to the
    /// operation analysis below.
    /// </summary>
    private static bool IsEvidentlyOnlyRead(IFieldSymbol field, INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        foreach (var part in type.DeclaringSyntaxReferences)
        {
            var text = TreeText.Of(part.SyntaxTree, cancellationToken);
            var declaration = TextReads.DeclarationStart(field, part.SyntaxTree);
            foreach (var position in TextScan.FindIdentifier(text, field.Name, part.Span))
            {
                if (position != declaration && !TextReads.IsEvidentRead(text, position, field.Name.Length))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static bool IsCandidate(IFieldSymbol field, KnownSymbols symbols)
    {
        if (!field.IsStatic || field.IsConst || field.IsImplicitlyDeclared)
        {
            return false;
        }

        if (field.Type is not IArrayTypeSymbol && !KnownSymbols.Is(field.Type, symbols.Memory))
        {
            // ThreadLocal<byte[]>, ReadOnlyMemory<T>, ImmutableArray<T>... are not shared writable buffers.
            return false;
        }

        foreach (var attribute in field.GetAttributes())
        {
            if (KnownSymbols.Is(attribute.AttributeClass, symbols.ThreadStaticAttribute))
            {
                return false;
            }
        }

        return true;
    }

    private static void OnFieldReference(
        OperationAnalysisContext context,
        Dictionary<IFieldSymbol, Writes> candidates,
        KnownSymbols symbols,
        StoredValues stores,
        WriterThreads threads)
    {
        var reference = (IFieldReferenceOperation)context.Operation;
        if (!reference.Field.IsStatic || !candidates.TryGetValue(reference.Field.OriginalDefinition, out var writes))
        {
            return;
        }

        threads.OnBufferReference(context.ContainingSymbol, reference);

        // A private buffer that input is only read into, to be thrown away (skipping bytes), is harmless whoever fills it.
        if (!writes.ContentsRead && !BufferWrites.IsDiscardUse(reference, symbols))
        {
            writes.MarkContentsRead();
        }

        // Which arrays the field is given: one that only ever holds zero-length arrays has no contents to share.
        switch (reference.Parent)
        {
            case ISimpleAssignmentOperation assignment when assignment.Target == reference:
                stores.Add(reference.Field.OriginalDefinition, IsZeroLength(assignment.Value));
                break;
            case IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out }:
            case ITupleOperation:
            case ICompoundAssignmentOperation or ICoalesceAssignmentOperation:
                stores.Add(reference.Field.OriginalDefinition, false);
                break;
        }

        // Initialization: field initializers and the static constructor run once, before any caller.
        var containing = context.ContainingSymbol;
        if (containing is IFieldSymbol or IPropertySymbol
            || containing is IMethodSymbol { MethodKind: MethodKind.StaticConstructor } constructor
                && SymbolEqualityComparer.Default.Equals(constructor.ContainingType, reference.Field.ContainingType))
        {
            return;
        }

        var write = BufferWrites.FindContentWrite(reference, symbols);
        if (write is null)
        {
            // Where the contents are read: a buffer one thread writes is still shared if another thread reads it. Its
            // Length, or the field replaced with another array, reads none of its contents.
            if (reference.Parent is not IPropertyReferenceOperation { Property.Name: "Length" or "LongLength" }
                && !(reference.Parent is IAssignmentOperation replaced && replaced.Target == reference))
            {
                writes.AddRead(new Read(containing, threads.PlaceOf(reference)));
            }

            return;
        }

        if (SynchronizedRegion.IsSynchronized(write, containing))
        {
            return;
        }

        writes.Add(new Write(containing, DisplayName(containing), write.Syntax.GetLocation(), threads.PlaceOf(write)));
    }

    private static void OnFieldInitializer(
        OperationAnalysisContext context,
        Dictionary<IFieldSymbol, Writes> candidates,
        StoredValues stores)
    {
        var initializer = (IFieldInitializerOperation)context.Operation;
        foreach (var field in initializer.InitializedFields)
        {
            if (candidates.ContainsKey(field.OriginalDefinition))
            {
                stores.Add(field.OriginalDefinition, IsZeroLength(initializer.Value));
            }
        }
    }

    /// <summary><c>Array.Empty&lt;T&gt;()</c>, <c>new T[0]</c>, <c>new T[] { }</c>: an array nothing can be written into.</summary>
    private static bool IsZeroLength(IOperation value)
    {
        while (value is IConversionOperation { Operand: { } operand })
        {
            value = operand;
        }

        return value switch
        {
            IArrayCreationOperation { DimensionSizes.Length: 1 } creation
                => creation.DimensionSizes[0].ConstantValue is { HasValue: true, Value: 0 },
            IInvocationOperation { TargetMethod: { Name: "Empty", ContainingType: { SpecialType: SpecialType.System_Array } } } => true,
            _ => false,
        };
    }

    private static string DisplayName(ISymbol member) => member switch
    {
        IMethodSymbol { AssociatedSymbol: { } property } => property.Name,
        IMethodSymbol { MethodKind: MethodKind.Constructor } constructor => constructor.ContainingType.Name,
        _ => member.Name,
    };

    private static void Report(
        SymbolAnalysisContext context,
        KnownSymbols symbols,
        Dictionary<IFieldSymbol, Writes> candidates,
        WriterThreads threads,
        StoredValues stores)
    {
        var known = new Dictionary<ISymbol, object?>(SymbolEqualityComparer.Default);
        foreach (var pair in candidates)
        {
            var field = pair.Key;
            if (stores.OnlyZeroLength(field)
                || (field.DeclaredAccessibility == Accessibility.Private && !pair.Value.ContentsRead))
            {
                continue;
            }

            // Writes made during initialization or under a lock have no concurrent twin; writes made from one thread
            // only (the entry point, one thread it starts, Unity's main thread, one self-re-arming callback) never race.
            Write? first = null;
            object? thread = null;
            foreach (var write in pair.Value.Snapshot())
            {
                var writer = threads.Of(write.Member, write.Place, known, context.CancellationToken);
                if (writer is null)
                {
                    continue;
                }

                thread = WriterThreads.Join(thread, writer);
                if (first is null || write.IsBefore(first))
                {
                    first = write;
                }
            }

            // One thread writes: shared all the same when another thread reads it (the entry point's writes are
            // taken as setting up what the threads it starts then read).
            if (!ReferenceEquals(thread, WriterThreads.Any)
                && (thread is null || IsSetUpByTheEntryPoint(thread, pair.Value, threads, context.CancellationToken) || !IsReadElsewhere(pair.Value, thread, threads, known, context.CancellationToken)))
            {
                continue;
            }

            // The field may be declared in generated code the driver did not look at: another part of the type, or a
            // field with [GeneratedCode] of its own.
            if (first is null || field.Locations.IsEmpty
                || GeneratedCode.IsGenerated(field.Locations[0], field, context.Options, symbols, context.CancellationToken))
            {
                continue;
            }

            context.ReportDiagnostic(Diagnostic.Create(
                DiagnosticDescriptors.SharedStaticBuffer,
                field.Locations[0],
                field.Name,
                first.MemberName));
        }
    }

    private static bool IsSetUpByTheEntryPoint(object thread, Writes writes, WriterThreads threads, CancellationToken cancellationToken)
    {
        if (thread is not ISymbol entryPoint || !threads.IsEntryPoint(thread, cancellationToken))
        {
            return false;
        }

        var positions = new List<int>();
        foreach (var write in writes.Snapshot())
        {
            if (SymbolEqualityComparer.Default.Equals(write.Member, entryPoint))
            {
                positions.Add(write.Location.SourceSpan.Start);
            }
        }

        return threads.OnlySetsUp(entryPoint, positions);
    }

    private static bool IsReadElsewhere(Writes writes, object thread, WriterThreads threads, Dictionary<ISymbol, object?> known, CancellationToken cancellationToken)
    {
        foreach (var read in writes.ReadSnapshot())
        {
            if (ReferenceEquals(WriterThreads.Join(thread, threads.Of(read.Member, read.Place, known, cancellationToken)), WriterThreads.Any))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Per field: whether every array stored into it (initializer or assignment) is provably zero-length.</summary>
    private sealed class StoredValues
    {
        // Per type, and most types store into no candidate: made on first store, under a lock (stores are rare).
        private Dictionary<IFieldSymbol, bool>? onlyZeroLength;

        public void Add(IFieldSymbol field, bool zeroLength)
        {
            lock (this)
            {
                onlyZeroLength ??= new Dictionary<IFieldSymbol, bool>(SymbolEqualityComparer.Default);
                onlyZeroLength[field] = (!onlyZeroLength.TryGetValue(field, out var existing) || existing) && zeroLength;
            }
        }

        public bool OnlyZeroLength(IFieldSymbol field)
        {
            lock (this)
            {
                return onlyZeroLength is not null && onlyZeroLength.TryGetValue(field, out var zeroLength) && zeroLength;
            }
        }
    }

    /// <summary>The writes of one candidate field's contents, added from concurrent operation callbacks.</summary>
    private sealed class Writes
    {
        private List<Write>? writes;
        private List<Read>? reads;
        private volatile bool contentsRead;

        /// <summary>Some reference in the type may read the contents (or hand them to code that may).</summary>
        public bool ContentsRead => contentsRead;

        public void MarkContentsRead() => contentsRead = true;

        public void Add(Write write)
        {
            lock (this)
            {
                (writes ??= new List<Write>()).Add(write);
            }
        }

        public Write[] Snapshot()
        {
            lock (this)
            {
                return writes is null ? System.Array.Empty<Write>() : writes.ToArray();
            }
        }

        public void AddRead(Read read)
        {
            lock (this)
            {
                (reads ??= new List<Read>()).Add(read);
            }
        }

        public Read[] ReadSnapshot()
        {
            lock (this)
            {
                return reads is null ? System.Array.Empty<Read>() : reads.ToArray();
            }
        }
    }

    /// <summary>A reference that does not write the buffer's contents, and the member it is in.</summary>
    private readonly struct Read
    {
        public Read(ISymbol member, object? place)
        {
            Member = member;
            Place = place;
        }

        public ISymbol Member { get; }

        /// <summary>What the read's place says about its thread (<see cref="WriterThreads.PlaceOf"/>).</summary>
        public object? Place { get; }
    }

    /// <summary>A write of the buffer's contents: the member it is in and where.</summary>
    private sealed class Write
    {
        public Write(ISymbol member, string memberName, Location location, object? place)
        {
            Member = member;
            MemberName = memberName;
            Location = location;
            Place = place;
        }

        /// <summary>What the write's place says about its thread (<see cref="WriterThreads.PlaceOf"/>).</summary>
        public object? Place { get; }

        public ISymbol Member { get; }

        public string MemberName { get; }

        public Location Location { get; }

        /// <summary>Source order, so the message names the same write on every run.</summary>
        public bool IsBefore(Write other)
        {
            var path = string.CompareOrdinal(Location.SourceTree?.FilePath, other.Location.SourceTree?.FilePath);
            return path < 0 || path == 0 && Location.SourceSpan.Start < other.Location.SourceSpan.Start;
        }
    }
}
