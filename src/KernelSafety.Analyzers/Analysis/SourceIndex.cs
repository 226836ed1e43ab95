using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>
/// Which <see cref="SourceNames"/> each syntax tree of a compilation spells, so that a rule skips every type whose
/// source spells none of its names: no operation callback at all runs in it. Built once per compilation from a text scan
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

    private const string NetworkByteOrderAttributeName = "NetworkByteOrderAttribute";

    private readonly Compilation compilation;
    private readonly object gate = new();
    private Dictionary<SyntaxTree, ulong>? treeNames;

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
                    Volatile.Write(ref treeNames, Compute(cancellationToken));
                }
            }
        }

        return this;
    }

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

        foreach (var (tree, scan) in scans)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var text = TreeText.Of(tree, cancellationToken);
            foreach (var name in names)
            {
                if (TextScan.ContainsIdentifier(text, name))
                {
                    result[tree] |= bit;
                    break;
                }
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
    private static bool IsPlatformAssembly(IAssemblySymbol assembly)
    {
        var name = assembly.Identity.Name;
        return name.StartsWith("System.", StringComparison.Ordinal) || name.StartsWith("Microsoft.", StringComparison.Ordinal)
            || name is "System" or "mscorlib" or "netstandard" or "WindowsBase";
    }

    private static string[] ReadNetworkOrderMembers(IAssemblySymbol assembly)
    {
        // Only an assembly that declares the attribute, or references one that might, can mark members with it.
        if (!assembly.TypeNames.Contains(NetworkByteOrderAttributeName))
        {
            var referencesOther = false;
            foreach (var module in assembly.Modules)
            {
                foreach (var referenced in module.ReferencedAssemblies)
                {
                    var name = referenced.Name;
                    if (!(name.StartsWith("System.", StringComparison.Ordinal) || name.StartsWith("Microsoft.", StringComparison.Ordinal)
                        || name is "System" or "mscorlib" or "netstandard"))
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
                    case IFieldSymbol or IPropertySymbol when HasNetworkByteOrder(member.GetAttributes()):
                        names.Add(member.Name);
                        break;
                    case IMethodSymbol method:
                        foreach (var parameter in method.Parameters)
                        {
                            if (HasNetworkByteOrder(parameter.GetAttributes()))
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

    private static bool HasNetworkByteOrder(ImmutableArray<AttributeData> attributes)
    {
        foreach (var attribute in attributes)
        {
            if (attribute.AttributeClass?.Name == NetworkByteOrderAttributeName)
            {
                return true;
            }
        }

        return false;
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
            var declaredNative = SourceNames.PInvokeAttributes.Overlaps(names)
                ? DeclaredNames(text, SourceNames.PInvokeAttributes, cancellationToken)
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

/// <summary>Ordinal text searches for whole identifiers, the primitive under <see cref="SourceIndex"/>.</summary>
internal static class TextScan
{
    private const string StaticKeyword = "static";
    private const string PartialKeyword = "partial";

    private static readonly string[] Modifiers = ["static", "readonly", "volatile", "unsafe", "private", "public", "internal", "protected", "new", "required"];

    /// <summary>
    /// The fixed names (<see cref="SourceNames"/>) that <paramref name="text"/> spells as whole identifiers, and
    /// <see cref="SourceNames.WrittenStaticBuffer"/> when it declares a static buffer it may write.
    /// </summary>
    public static ulong FindNames(string text, CancellationToken cancellationToken)
    {
        ulong found = 0;
        foreach (var anchor in SourceNames.Anchors)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var index = 0;
            while ((index = text.IndexOf(anchor.Text, index, StringComparison.Ordinal)) >= 0)
            {
                var (start, end) = IdentifierAround(text, index, anchor.Text.Length);
                foreach (var name in anchor.Names)
                {
                    if (name.Length == end - start && string.CompareOrdinal(text, start, name, 0, name.Length) == 0)
                    {
                        found |= SourceNames.BitOf(name);
                        break;
                    }
                }

                index = end;
            }
        }

        var declarations = new StaticDeclarations();
        var at = 0;
        while ((at = text.IndexOf(StaticKeyword, at, StringComparison.Ordinal)) >= 0)
        {
            if (IsWholeIdentifier(text, at, StaticKeyword.Length))
            {
                declarations.Read(text, at + StaticKeyword.Length);
            }

            at += StaticKeyword.Length;
        }

        if (declarations.Unreadable
            || declarations.Buffers is not null && (ContainsIdentifier(text, PartialKeyword) || AnyNotEvidentlyRead(text, declarations.Buffers)))
        {
            found |= SourceNames.WrittenStaticBuffer.Bits;
        }

        return found;
    }

    private static (int Start, int End) IdentifierAround(string text, int index, int length)
    {
        var start = index;
        while (start > 0 && IsIdentifierPart(text[start - 1]))
        {
            start--;
        }

        var end = index + length;
        while (end < text.Length && IsIdentifierPart(text[end]))
        {
            end++;
        }

        return (start, end);
    }

    /// <summary>True when a use of a declared static buffer, other than its declaration, is not evidently a read.</summary>
    private static bool AnyNotEvidentlyRead(string text, List<(string Name, int Position)> buffers)
    {
        foreach (var (name, declaration) in buffers)
        {
            var index = 0;
            while ((index = text.IndexOf(name, index, StringComparison.Ordinal)) >= 0)
            {
                if (index != declaration && IsWholeIdentifier(text, index, name.Length) && !TextReads.IsEvidentRead(text, index, name.Length))
                {
                    return true;
                }

                index += name.Length;
            }
        }

        return false;
    }

    /// <summary>The static array and <c>Memory&lt;T&gt;</c> fields a text declares, read from the text after each <c>static</c>.</summary>
    private struct StaticDeclarations
    {
        public bool Unreadable;
        public List<(string Name, int Position)>? Buffers;

        /// <summary>
        /// After a <c>static</c> keyword: a field declaration of an array or <c>Memory&lt;T&gt;</c> type records its name;
        /// one the text does not plainly show (a tuple type, several declarators) makes the tree count as writing one.
        /// Methods, properties, types, lambdas and <c>using static</c> are left alone.
        /// </summary>
        public void Read(string text, int index)
        {
            var isBuffer = false;
            var limit = Math.Min(text.Length, index + 400);
            for (var i = index; i < limit; i++)
            {
                var c = text[i];
                switch (c)
                {
                    case '[':
                        var next = SkipSpaces(text, i + 1);
                        isBuffer |= next < text.Length && text[next] is ']' or ',';
                        break;
                    case 'M' when string.CompareOrdinal(text, i, "Memory", 0, 6) == 0 && IsWholeIdentifier(text, i, 6):
                        var open = SkipSpaces(text, i + 6);
                        isBuffer |= open < text.Length && text[open] == '<';
                        break;
                    case '(':
                        // "static (int, int)[] pairs;" declares a tuple-typed field; "static void M(" a method.
                        Unreadable |= OnlyModifiers(text, index, i);
                        return;
                    case '{' or '}' or ')' or '"' or '/' or '\'':
                        return;
                    case ';' or '=':
                        if (c == '=' && i + 1 < text.Length && text[i + 1] == '>')
                        {
                            return; // an expression-bodied property or a static lambda
                        }

                        if (!isBuffer)
                        {
                            return;
                        }

                        if (HasSecondDeclarator(text, index, i))
                        {
                            Unreadable = true;
                            return;
                        }

                        var (nameStart, nameEnd) = IdentifierBefore(text, index, i);

                        if (nameStart == nameEnd)
                        {
                            Unreadable = true;
                            return;
                        }

                        (Buffers ??= new List<(string, int)>()).Add((text.Substring(nameStart, nameEnd - nameStart), nameStart));
                        return;
                }
            }
        }

        /// <summary>True when the declaration that stops at <paramref name="stop"/> declares more than one variable.</summary>
        private static bool HasSecondDeclarator(string text, int start, int stop)
        {
            // "static byte[] a, b;": a comma outside brackets before the stop.
            var depth = 0;
            for (var i = start; i < stop; i++)
            {
                switch (text[i])
                {
                    case '[' or '<' or '(':
                        depth++;
                        break;
                    case ']' or '>' or ')':
                        depth--;
                        break;
                    case ',' when depth == 0:
                        return true;
                }
            }

            if (text[stop] == ';')
            {
                return false;
            }

            // "static byte[] a = new byte[2], b = ...;": a comma outside brackets in the initializer.
            depth = 0;
            var limit = Math.Min(text.Length, stop + 2000);
            for (var i = stop + 1; i < limit; i++)
            {
                switch (text[i])
                {
                    case '[' or '(' or '{':
                        depth++;
                        break;
                    case ']' or ')' or '}':
                        depth--;
                        break;
                    case ',' when depth == 0:
                        return true;
                    case ';' when depth == 0:
                        return false;
                    case '"' or '\'' or '/' or '<':
                        // Strings, comments and generic arguments are not followed here: assume the worst.
                        return true;
                }
            }

            return true;
        }

        private static bool OnlyModifiers(string text, int start, int end)
        {
            var i = start;
            while (true)
            {
                i = SkipSpaces(text, i);
                if (i >= end)
                {
                    return true;
                }

                var wordEnd = i;
                while (wordEnd < end && IsIdentifierPart(text[wordEnd]))
                {
                    wordEnd++;
                }

                if (wordEnd == i || Array.IndexOf(Modifiers, text.Substring(i, wordEnd - i)) < 0)
                {
                    return false;
                }

                i = wordEnd;
            }
        }
    }

    public static int SkipSpaces(string text, int index)
    {
        while (index < text.Length && char.IsWhiteSpace(text[index]))
        {
            index++;
        }

        return index;
    }

    /// <summary>Where <paramref name="text"/> spells one of <paramref name="names"/> (fixed names) as a whole identifier.</summary>
    public static IEnumerable<int> FindPositions(string text, NameSet names, CancellationToken cancellationToken)
    {
        foreach (var anchor in SourceNames.Anchors)
        {
            foreach (var name in anchor.Names)
            {
                if (!names.Overlaps(SourceNames.BitOf(name)))
                {
                    continue;
                }

                var index = 0;
                while ((index = text.IndexOf(name, index, StringComparison.Ordinal)) >= 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (IsWholeIdentifier(text, index, name.Length))
                    {
                        yield return index;
                    }

                    index += name.Length;
                }
            }
        }
    }

    /// <summary>
    /// The name of the method declared after the attribute whose name is at <paramref name="position"/>: the end of the
    /// attribute list and of any lists after it, then the identifier before the first <c>(</c>. Null when the text is
    /// not that plain.
    /// </summary>
    private static readonly char[] DeclarationEnds = ['{', '}', ';', '='];

    public static string? MethodNameAfterAttribute(string text, int position)
    {
        // Back to the '[' that opens the attribute list, then past its ']' (strings and nested brackets skipped).
        var open = text.LastIndexOf('[', position);
        if (open < 0)
        {
            return null;
        }

        var index = open;
        var limit = Math.Min(text.Length, position + 4000);
        while (true)
        {
            index = SkipBracketed(text, index, limit);
            if (index < 0)
            {
                return null;
            }

            index = SkipSpaces(text, index);
            if (index >= limit || text[index] != '[')
            {
                break;
            }
        }

        // Modifiers, the return type, the name: the identifier before the first '('.
        var parenthesis = text.IndexOf('(', index, limit - index);
        if (parenthesis < 0 || text.IndexOfAny(DeclarationEnds, index, parenthesis - index) >= 0)
        {
            return null;
        }

        var (start, end) = IdentifierBefore(text, index, parenthesis);
        return start < end ? text.Substring(start, end - start) : null;
    }

    /// <summary>
    /// The identifier that ends, but for white space, just before <paramref name="position"/>, not reaching back past
    /// <paramref name="floor"/>; empty (start equal to end) when there is none.
    /// </summary>
    private static (int Start, int End) IdentifierBefore(string text, int floor, int position)
    {
        var end = position;
        while (end > floor && char.IsWhiteSpace(text[end - 1]))
        {
            end--;
        }

        var start = end;
        while (start > floor && IsIdentifierPart(text[start - 1]))
        {
            start--;
        }

        return (start, end);
    }

    /// <summary>The index after the bracketed group opening at <paramref name="open"/>, or -1 when it does not close plainly.</summary>
    private static int SkipBracketed(string text, int open, int limit)
    {
        var depth = 0;
        for (var i = open; i < limit; i++)
        {
            switch (text[i])
            {
                case '[' or '(':
                    depth++;
                    break;
                case ']' or ')':
                    if (--depth == 0)
                    {
                        return i + 1;
                    }

                    break;
                case '"':
                    // A regular string: up to the closing quote (escapes skipped).
                    i++;
                    while (i < limit && text[i] != '"')
                    {
                        i += text[i] == '\\' ? 2 : 1;
                    }

                    break;
                case '\'' or '@' or '$' or '/':
                    return -1;
            }
        }

        return -1;
    }

    /// <summary>Where an identifier that starts with <paramref name="prefix"/> begins.</summary>
    public static IEnumerable<int> FindIdentifierPrefixPositions(string text, string prefix, CancellationToken cancellationToken)
    {
        var index = 0;
        while ((index = text.IndexOf(prefix, index, StringComparison.Ordinal)) >= 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (index == 0 || !IsIdentifierPart(text[index - 1]))
            {
                yield return index;
            }

            index += prefix.Length;
        }
    }

    /// <summary>Where <paramref name="text"/> spells <paramref name="name"/> as a whole identifier inside <paramref name="span"/>.</summary>
    public static IEnumerable<int> FindIdentifier(string text, string name, TextSpan span)
    {
        if (name.Length == 0)
        {
            yield break;
        }

        var index = span.Start;
        while (index < span.End && (index = text.IndexOf(name, index, span.End - index, StringComparison.Ordinal)) >= 0)
        {
            if (IsWholeIdentifier(text, index, name.Length))
            {
                yield return index;
            }

            index += name.Length;
        }
    }

    /// <summary>True when <paramref name="text"/> spells <paramref name="name"/> as a whole identifier.</summary>
    public static bool ContainsIdentifier(string text, string name)
    {
        if (name.Length == 0)
        {
            return false;
        }

        var index = 0;
        while ((index = text.IndexOf(name, index, StringComparison.Ordinal)) >= 0)
        {
            if (IsWholeIdentifier(text, index, name.Length))
            {
                return true;
            }

            index += name.Length;
        }

        return false;
    }

    public static bool IsWholeIdentifier(string text, int index, int length)
        => (index == 0 || !IsIdentifierPart(text[index - 1]))
            && (index + length == text.Length || !IsIdentifierPart(text[index + length]));

    public static bool IsIdentifierPart(char c)
        => c < 128
            ? (uint)((c | 0x20) - 'a') <= 'z' - 'a' || (uint)(c - '0') <= 9 || c == '_'
            : SyntaxFacts.IsIdentifierPartCharacter(c);
}

/// <summary>Registration of operation actions only in the types whose source spells a rule's names.</summary>
internal static class SourceIndexRegistration
{
    /// <summary>
    /// Runs <paramref name="action"/> on the operations of <paramref name="kinds"/> in the members of every type whose
    /// source spells one of <paramref name="names"/> (<see cref="SourceIndex.MayUse"/>), and nowhere else.
    /// </summary>
    public static void RegisterOperationActionInTypesUsing(
        this CompilationStartAnalysisContext start,
        NameSet names,
        Action<OperationAnalysisContext> action,
        ImmutableArray<OperationKind> kinds)
    {
        var index = SourceIndex.Get(start.Compilation).Build(start.CancellationToken);
        start.RegisterSymbolStartAction(
            type =>
            {
                if (index.MayUse(type.Symbol, names))
                {
                    type.RegisterOperationAction(action, kinds);
                }
            },
            SymbolKind.NamedType);
    }
}
