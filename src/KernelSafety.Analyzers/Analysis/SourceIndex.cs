using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>
/// Which <see cref="SourceNames"/> each syntax tree of a compilation spells, so that a rule skips every type whose
/// source spells none of its names (no operation callback at all runs in it), and registers nothing in a compilation
/// none of whose trees spells one (<see cref="MaySpellAnywhere"/>). Built once per compilation from a text scan
/// of every tree (one pass per anchor, cached per tree, so an editor's next compilation rescans only the edited file),
/// plus the compilation's own P/Invoke names and <c>[NetworkByteOrder]</c> members.
/// </summary>
/// <remarks>
/// The scan errs only towards analyzing: a name in a comment, a string or an unrelated identifier lets the type through,
/// and the rule's semantic checks decide as before. A type in a tree that spells a name is analyzed whole.
/// </remarks>
internal sealed class SourceIndex
{
    private static readonly ConditionalWeakTable<Compilation, SourceIndex> Indexes = new();
    private static readonly ConditionalWeakTable<Compilation, SourceIndex>.CreateValueCallback Factory = c => new SourceIndex(c);

    /// <summary>
    /// The scans of the indexes built last, most recent first: an editor makes a new compilation for every edit, and
    /// its unchanged trees (the same objects) are looked up here instead of scanned again. Weak, so no old compilation
    /// is kept alive; a handful, so a solution's projects each find their previous compilation.
    /// </summary>
    private static readonly WeakReference<Dictionary<SyntaxTree, TreeScan>>?[] RecentScans = new WeakReference<Dictionary<SyntaxTree, TreeScan>>?[8];
    private static readonly ConditionalWeakTable<IAssemblySymbol, string[]> AssemblyNetworkOrderMembers = new();

    private readonly Compilation compilation;
    private readonly object gate = new();
    private Dictionary<SyntaxTree, ulong>? treeNames;

    // The names some tree spells (the union of treeNames' values): written before treeNames is published.
    private ulong spelledAnywhere;

    private SourceIndex(Compilation compilation)
    {
        this.compilation = compilation;
    }

    /// <summary>The compilation's index; <see cref="Build"/> it (in a compilation-start action) before asking.</summary>
    public static SourceIndex Get(Compilation compilation) => Indexes.GetValue(compilation, Factory);

    /// <summary>
    /// Scans the compilation's trees (once; concurrent callers wait for the first). Meant for compilation-start actions,
    /// so that the per-type questions are lookups.
    /// </summary>
    public SourceIndex Build(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref treeNames) is null)
        {
            lock (gate)
            {
                if (treeNames is null)
                {
                    var computed = Compute(cancellationToken);
                    ulong any = 0;
                    foreach (var names in computed.Values)
                    {
                        any |= names;
                    }

                    spelledAnywhere = any;
                    Volatile.Write(ref treeNames, computed);
                }
            }
        }

        return this;
    }

    /// <summary>
    /// False when no tree of the compilation spells a name of <paramref name="names"/>: a rule that starts from those
    /// names has nothing to look at in the whole compilation, and registers nothing (no callback, no per-type
    /// bookkeeping in the driver). True before the index is built.
    /// </summary>
    public bool MaySpellAnywhere(NameSet names)
        => Volatile.Read(ref treeNames) is null || names.Overlaps(spelledAnywhere);

    /// <summary>
    /// False when no source of <paramref name="type"/> (any part of it) spells a name of <paramref name="names"/>: no
    /// finding of a rule that starts from those names can lie in the type's members.
    /// </summary>
    public bool MayUse(ISymbol type, NameSet names)
    {
        var references = type.DeclaringSyntaxReferences;
        if (references.IsEmpty)
        {
            return true;
        }

        var known = Volatile.Read(ref treeNames);
        foreach (var reference in references)
        {
            if (known is null || !known.TryGetValue(reference.SyntaxTree, out var spelled))
            {
                // A tree the index was not built over (or no index yet): analyze.
                return true;
            }

            if (names.Overlaps(spelled))
            {
                return true;
            }
        }

        return false;
    }

    private Dictionary<SyntaxTree, ulong> Compute(CancellationToken cancellationToken)
    {
        var result = new Dictionary<SyntaxTree, ulong>();
        var scans = new List<(SyntaxTree Tree, TreeScan Scan)>();
        var byTree = new Dictionary<SyntaxTree, TreeScan>();
        var recent = RecentDictionaries();
        HashSet<string>? declaredNative = null;
        foreach (var tree in compilation.SyntaxTrees)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var scan = FindRecent(recent, tree) ?? TreeScan.Create(tree, cancellationToken);
            byTree[tree] = scan;
            scans.Add((tree, scan));
            result[tree] = scan.Names;
            foreach (var name in scan.DeclaredNative)
            {
                (declaredNative ??= new HashSet<string>(StringComparer.Ordinal)).Add(name);
            }
        }

        // Names the compilation gives its own P/Invokes, and its [NetworkByteOrder] members: a call or store spelling one
        // of them can start a finding too.
        var networkOrder = NetworkOrderMembers(scans, cancellationToken);
        AddDynamicNames(result, scans, declaredNative, SourceNames.DeclaredNative.Bits, cancellationToken);
        AddDynamicNames(result, scans, networkOrder, SourceNames.NetworkOrderMember.Bits, cancellationToken);
        Remember(byTree);
        return result;
    }

    private static List<Dictionary<SyntaxTree, TreeScan>> RecentDictionaries()
    {
        var found = new List<Dictionary<SyntaxTree, TreeScan>>();
        lock (RecentScans)
        {
            foreach (var reference in RecentScans)
            {
                if (reference is not null && reference.TryGetTarget(out var scans))
                {
                    found.Add(scans);
                }
            }
        }

        return found;
    }

    private static TreeScan? FindRecent(List<Dictionary<SyntaxTree, TreeScan>> recent, SyntaxTree tree)
    {
        foreach (var scans in recent)
        {
            if (scans.TryGetValue(tree, out var scan))
            {
                return scan;
            }
        }

        return null;
    }

    private static void Remember(Dictionary<SyntaxTree, TreeScan> scans)
    {
        lock (RecentScans)
        {
            Array.Copy(RecentScans, 0, RecentScans, 1, RecentScans.Length - 1);
            RecentScans[0] = new WeakReference<Dictionary<SyntaxTree, TreeScan>>(scans);
        }
    }

    private static void AddDynamicNames(
        Dictionary<SyntaxTree, ulong> result,
        List<(SyntaxTree Tree, TreeScan Scan)> scans,
        HashSet<string>? names,
        ulong bit,
        CancellationToken cancellationToken)
    {
        if (names is null || names.Count == 0)
        {
            return;
        }

        var set = new IdentifierSet(names);
        if (set.IsEmpty)
        {
            return;
        }

        foreach (var (tree, _) in scans)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (set.AnyIn(TreeText.Of(tree, cancellationToken)))
            {
                result[tree] |= bit;
            }
        }
    }

    /// <summary>
    /// The names under which <c>[NetworkByteOrder]</c> destinations are written: marked fields and properties, methods
    /// with a marked parameter, and the types of constructors with one. Null when the attribute exists nowhere (the
    /// common case, told by the declaration table and the references' type names, without reading any source).
    /// </summary>
    private HashSet<string>? NetworkOrderMembers(List<(SyntaxTree Tree, TreeScan Scan)> scans, CancellationToken cancellationToken)
    {
        HashSet<string>? names = null;
        foreach (var (tree, scan) in scans)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!SourceNames.NetworkByteOrderAttribute.Overlaps(scan.Names))
            {
                continue;
            }

            foreach (var name in scan.GetNetworkOrderMembers(tree, cancellationToken))
            {
                (names ??= new HashSet<string>(StringComparer.Ordinal)).Add(name);
            }
        }

        foreach (var reference in compilation.References)
        {
            if (compilation.GetAssemblyOrModuleSymbol(reference) is not IAssemblySymbol assembly || IsPlatformAssembly(assembly))
            {
                continue;
            }

            foreach (var name in AssemblyNetworkOrderMembers.GetValue(assembly, ReadNetworkOrderMembers))
            {
                (names ??= new HashSet<string>(StringComparer.Ordinal)).Add(name);
            }
        }

        return names;
    }

    /// <summary>The framework never marks anything [NetworkByteOrder]: its assemblies are not read.</summary>
    private static bool IsPlatformAssembly(IAssemblySymbol assembly) => IsPlatformName(assembly.Identity.Name);

    private static bool IsPlatformName(string name)
        => name.StartsWith("System.", StringComparison.Ordinal) || name.StartsWith("Microsoft.", StringComparison.Ordinal)
            || name is "System" or "mscorlib" or "netstandard" or "WindowsBase";

    private static string[] ReadNetworkOrderMembers(IAssemblySymbol assembly)
    {
        // Only an assembly that declares the attribute, or references one that might, can mark members with it.
        if (!assembly.TypeNames.Contains(ByteOrder.NetworkByteOrderAttributeName))
        {
            var referencesOther = false;
            foreach (var module in assembly.Modules)
            {
                foreach (var referenced in module.ReferencedAssemblies)
                {
                    if (!IsPlatformName(referenced.Name))
                    {
                        referencesOther = true;
                        break;
                    }
                }
            }

            if (!referencesOther)
            {
                return [];
            }
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<INamespaceOrTypeSymbol>();
        stack.Push(assembly.GlobalNamespace);
        while (stack.Count > 0)
        {
            var container = stack.Pop();
            foreach (var member in container.GetMembers())
            {
                switch (member)
                {
                    case INamespaceOrTypeSymbol nested:
                        stack.Push(nested);
                        break;
                    case IFieldSymbol or IPropertySymbol when ByteOrder.HasNetworkByteOrderAttribute(member):
                        names.Add(member.Name);
                        break;
                    case IMethodSymbol method:
                        foreach (var parameter in method.Parameters)
                        {
                            if (ByteOrder.HasNetworkByteOrderAttribute(parameter))
                            {
                                names.Add(method.MethodKind == MethodKind.Constructor ? method.ContainingType.Name : method.Name);
                                break;
                            }
                        }

                        break;
                }
            }
        }

        var result = new string[names.Count];
        names.CopyTo(result);
        return result;
    }

    /// <summary>What one syntax tree spells: cached per tree, shared by every compilation holding the tree.</summary>
    private sealed class TreeScan
    {
        private string[]? networkOrderMembers;

        private TreeScan(ulong names, string[] declaredNative)
        {
            Names = names;
            DeclaredNative = declaredNative;
        }

        /// <summary>The fixed names the tree spells (<see cref="SourceNames.Anchors"/>).</summary>
        public ulong Names { get; }

        /// <summary>The names of the P/Invokes the tree declares (DllImport or LibraryImport methods).</summary>
        public string[] DeclaredNative { get; }

        public static TreeScan Create(SyntaxTree tree, CancellationToken cancellationToken)
        {
            var text = TreeText.Of(tree, cancellationToken);
            var names = TextScan.FindNames(text, cancellationToken);
            // Only the attribute names the tree spells are looked for again (a pass over the text each).
            var declaredNative = SourceNames.PInvokeAttributes.Overlaps(names)
                ? DeclaredNames(text, new NameSet(SourceNames.PInvokeAttributes.Bits & names), cancellationToken)
                : [];
            return new TreeScan(names, declaredNative);
        }

        public string[] GetNetworkOrderMembers(SyntaxTree tree, CancellationToken cancellationToken)
        {
            var members = Volatile.Read(ref networkOrderMembers);
            if (members is null)
            {
                var text = TreeText.Of(tree, cancellationToken);
                members = NetworkOrderDeclarations(tree, text, cancellationToken);
                Volatile.Write(ref networkOrderMembers, members);
            }

            return members;
        }

        /// <summary>The attribute list whose attribute name is spelled at <paramref name="position"/> (not a comment or string).</summary>
        private static AttributeListSyntax? AttributeListAt(SyntaxNode root, int position)
        {
            var token = root.FindToken(position);
            return token.Span.Contains(position) && token.IsKind(SyntaxKind.IdentifierToken)
                ? token.Parent?.FirstAncestorOrSelf<AttributeListSyntax>()
                : null;
        }

        /// <summary>
        /// The methods (or local functions) carrying one of the P/Invoke attributes, read from the text: after the
        /// attribute lists that start at the attribute, the identifier before the first <c>(</c> is the method's name
        /// (<c>[DllImport("libc")] static extern int socket(int domain, ...)</c>). Text it cannot follow (an unclosed
        /// string or bracket) yields no name: the P/Invoke is then found only where its name is a fixed one.
        /// </summary>
        private static string[] DeclaredNames(string text, NameSet attributes, CancellationToken cancellationToken)
        {
            List<string>? names = null;
            foreach (var position in TextScan.FindPositions(text, attributes, cancellationToken))
            {
                if (TextScan.MethodNameAfterAttribute(text, position) is { } name)
                {
                    (names ??= new List<string>()).Add(name);
                }
            }

            return names?.ToArray() ?? [];
        }

        /// <summary>What a <c>[NetworkByteOrder]</c> in this tree marks, by the name its stores or calls spell.</summary>
        private static string[] NetworkOrderDeclarations(SyntaxTree tree, string text, CancellationToken cancellationToken)
        {
            var root = tree.GetRoot(cancellationToken);
            List<string>? names = null;
            foreach (var position in TextScan.FindIdentifierPrefixPositions(text, "NetworkByteOrder", cancellationToken))
            {
                var attributeList = AttributeListAt(root, position);
                switch (attributeList?.Parent)
                {
                    case FieldDeclarationSyntax field:
                        foreach (var variable in field.Declaration.Variables)
                        {
                            (names ??= new List<string>()).Add(variable.Identifier.ValueText);
                        }

                        break;
                    case PropertyDeclarationSyntax property:
                        (names ??= new List<string>()).Add(property.Identifier.ValueText);
                        break;
                    case ParameterSyntax parameter:
                        var owner = parameter.Parent?.Parent switch
                        {
                            MethodDeclarationSyntax method => method.Identifier.ValueText,
                            LocalFunctionStatementSyntax localFunction => localFunction.Identifier.ValueText,
                            ConstructorDeclarationSyntax constructor => constructor.Identifier.ValueText,
                            TypeDeclarationSyntax type => type.Identifier.ValueText,
                            DelegateDeclarationSyntax @delegate => @delegate.Identifier.ValueText,
                            _ => null,
                        };
                        if (owner is not null)
                        {
                            (names ??= new List<string>()).Add(owner);
                        }

                        break;
                }
            }

            return names?.ToArray() ?? [];
        }
    }
}

/// <summary>Operation actions that run only in the types whose source spells a rule's names.</summary>
internal static class SourceIndexRegistration
{
    /// <summary>
    /// Runs <paramref name="action"/> on the operations of <paramref name="kinds"/> in the members of every type whose
    /// source, or the source of a type it is nested in, spells one of <paramref name="names"/>
    /// (<see cref="SourceIndex.MayUse"/>), and nowhere else: nothing is registered when no tree spells one of them.
    /// </summary>
    /// <remarks>
    /// One plain operation action asks the gate, not a symbol-start action per type that registers the action in the
    /// types that pass. The driver keeps per-member bookkeeping for every type of an analyzer that has symbol-start
    /// actions, whether the action registers anything or not: measured on 200k lines of ordinary code, 20 MB more
    /// allocation per rule, and 60 MB for KS0001, whose gate most types pass (see the README's "Analyzer cost"). The
    /// price is one more dispatch per operation of these kinds in the types that do not pass. Symbol-start actions also
    /// leave out the members of nested types (the outer type's actions do not run in them); the gate lets them in when
    /// an enclosing type passes.
    /// </remarks>
    public static void RegisterOperationActionInTypesUsing(
        this CompilationStartAnalysisContext start,
        NameSet names,
        Action<OperationAnalysisContext> action,
        ImmutableArray<OperationKind> kinds)
    {
        var index = SourceIndex.Get(start.Compilation).Build(start.CancellationToken);
        if (!index.MaySpellAnywhere(names))
        {
            return;
        }

        var gate = new TypeGate(index, names);
        start.RegisterOperationAction(
            context =>
            {
                if (gate.Passes(context.ContainingSymbol))
                {
                    action(context);
                }
            },
            kinds);
    }

    /// <summary>Whether operations in a member may start a finding, remembered for the last type asked about.</summary>
    private sealed class TypeGate
    {
        private readonly SourceIndex index;
        private readonly NameSet names;

        // The operations of one member, and the members of one type, come one after another: most questions are about
        // the type asked about last. Replaced whole, never changed, so threads can share it.
        private Answer? last;

        public TypeGate(SourceIndex index, NameSet names)
        {
            this.index = index;
            this.names = names;
        }

        public bool Passes(ISymbol member)
        {
            var type = member as INamedTypeSymbol ?? member.ContainingType;
            if (type is null)
            {
                return true; // not in a type (an assembly attribute): the gate only errs towards analyzing
            }

            var known = last;
            if (known is not null && ReferenceEquals(known.Type, type))
            {
                return known.Passes;
            }

            var passes = false;
            for (var current = type; current is not null && !passes; current = current.ContainingType)
            {
                passes = index.MayUse(current, names);
            }

            last = new Answer(type, passes);
            return passes;
        }

        private sealed class Answer
        {
            public Answer(INamedTypeSymbol type, bool passes)
            {
                Type = type;
                Passes = passes;
            }

            public INamedTypeSymbol Type { get; }

            public bool Passes { get; }
        }
    }
}
