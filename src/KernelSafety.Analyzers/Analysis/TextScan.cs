using System;
using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace KernelSafety.Analyzers.Analysis;

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
            for (var index = NextIdentifier(text, name, 0, text.Length); index >= 0; index = NextIdentifier(text, name, index + name.Length, text.Length))
            {
                if (index != declaration && !TextReads.IsEvidentRead(text, index, name.Length))
                {
                    return true;
                }
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

    /// <summary>The position after the last non-space character before <paramref name="position"/> (not before <paramref name="floor"/>).</summary>
    public static int SkipSpacesBack(string text, int floor, int position)
    {
        while (position > floor && char.IsWhiteSpace(text[position - 1]))
        {
            position--;
        }

        return position;
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

                for (var index = NextIdentifier(text, name, 0, text.Length); index >= 0; index = NextIdentifier(text, name, index + name.Length, text.Length))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    yield return index;
                }
            }
        }
    }

    private static readonly char[] DeclarationEnds = ['{', '}', ';', '='];

    /// <summary>
    /// The name of the method declared after the attribute whose name is at <paramref name="position"/>: the end of the
    /// attribute list and of any lists after it, then the identifier before the first <c>(</c>. Null when the text is
    /// not that plain.
    /// </summary>
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
    public static (int Start, int End) IdentifierBefore(string text, int floor, int position)
    {
        var end = SkipSpacesBack(text, floor, position);
        var start = end;
        while (start > floor && IsIdentifierPart(text[start - 1]))
        {
            start--;
        }

        return (start, end);
    }

    /// <summary>
    /// The identifier that starts, but for white space, at <paramref name="position"/>; empty (start equal to end) when
    /// there is none.
    /// </summary>
    public static (int Start, int End) IdentifierAfter(string text, int position)
    {
        var start = SkipSpaces(text, position);
        var end = start;
        while (end < text.Length && IsIdentifierPart(text[end]))
        {
            end++;
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

    /// <summary>
    /// Where <paramref name="text"/> spells <paramref name="name"/> as a whole identifier inside <paramref name="span"/>, in
    /// order. A long span (a long method, a large type, whose every local or field asks) is read from its
    /// <see cref="IdentifierPositions"/>, walked once, rather than searched once per name.
    /// </summary>
    public static IEnumerable<int> FindIdentifier(string text, string name, TextSpan span)
        => span.Length >= IdentifierPositions.MinimumLength
            ? IdentifierPositions.Of(text, span.Start, span.End).Find(text, name)
            : SearchIdentifier(text, name, span);

    private static IEnumerable<int> SearchIdentifier(string text, string name, TextSpan span)
    {
        for (var index = NextIdentifier(text, name, span.Start, span.End); index >= 0; index = NextIdentifier(text, name, index + name.Length, span.End))
        {
            yield return index;
        }
    }

    /// <summary>True when <paramref name="text"/> spells <paramref name="name"/> as a whole identifier.</summary>
    public static bool ContainsIdentifier(string text, string name) => NextIdentifier(text, name, 0, text.Length) >= 0;

    /// <summary>
    /// Where <paramref name="text"/> next spells <paramref name="name"/> as a whole identifier between
    /// <paramref name="start"/> and <paramref name="end"/>, or -1 (also for an empty name, which error recovery makes).
    /// </summary>
    public static int NextIdentifier(string text, string name, int start, int end)
    {
        if (name.Length == 0)
        {
            return -1;
        }

        var index = start;
        while (index < end && (index = text.IndexOf(name, index, end - index, StringComparison.Ordinal)) >= 0)
        {
            if (IsWholeIdentifier(text, index, name.Length))
            {
                return index;
            }

            index += name.Length;
        }

        return -1;
    }

    public static bool IsWholeIdentifier(string text, int index, int length)
        => (index == 0 || !IsIdentifierPart(text[index - 1]))
            && (index + length == text.Length || !IsIdentifierPart(text[index + length]));

    public static bool IsIdentifierPart(char c)
        => c < 128
            ? (uint)((c | 0x20) - 'a') <= 'z' - 'a' || (uint)(c - '0') <= 9 || c == '_'
            : SyntaxFacts.IsIdentifierPartCharacter(c);
}
