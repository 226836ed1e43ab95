using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>
/// Tells, from the source text alone, that a use of an array variable can only read it: <c>table.Length</c>, or an
/// element <c>table[i]</c> that is used as a value (an operand, an argument, a return value) and not assigned,
/// incremented, passed by reference, taken the address of, or assigned through a deconstruction. Anything else, and any
/// text it cannot follow (a string, a comment, a statement it would have to parse), answers false: "not evidently a
/// read" leaves the decision to the semantic analysis. Used to skip the operation callbacks of types whose static
/// buffers are plainly lookup tables.
/// </summary>
internal static class TextReads
{
    private const int MaxScan = 2000;

    /// <summary>True when the identifier at <paramref name="index"/> (of <paramref name="length"/> chars) is evidently only read.</summary>
    public static bool IsEvidentRead(string text, int index, int length)
    {
        var next = TextScan.SkipSpaces(text, index + length);
        if (next >= text.Length)
        {
            return false;
        }

        switch (text[next])
        {
            case '.':
                // table.Length, table.LongLength, table.Rank: a property of the array, not of its contents.
                var (start, end) = TextScan.IdentifierAfter(text, next + 1);
                return (IsWord(text, start, end, "Length") || IsWord(text, start, end, "LongLength") || IsWord(text, start, end, "Rank"))
                    && !IsAssignmentAt(text, TextScan.SkipSpaces(text, end));

            case '[':
                return !IsWrittenBefore(text, index) && !IsIncrementedBefore(text, index) && FollowsAsValue(text, index, next);

            default:
                return false;
        }
    }

    /// <summary>
    /// False when no place in <paramref name="text"/> between <paramref name="start"/> and <paramref name="end"/> that
    /// spells <paramref name="name"/> (but <paramref name="declaration"/>) can assign the variable itself: none is the
    /// target of <c>=</c>, of a compound assignment, of <c>++</c>/<c>--</c> or of a deconstruction, none is passed
    /// <c>ref</c>, <c>out</c> or <c>in</c>, none has its address taken. Reading it, indexing it, calling its members and
    /// passing it by value are not assignments, except, with <paramref name="callsMayAssign"/> (a variable of a value type),
    /// a method call on it: an extension method declared <c>ref this</c> takes the variable by reference
    /// (<c>reader.TryReadVarUInt32(out n)</c> on a <c>SequenceReader</c>), which the semantic analysis counts as an assignment.
    /// True (may assign) whenever the text is not plain: an identifier written with a Unicode escape, a use it cannot follow.
    /// </summary>
    public static bool MayAssign(string text, int start, int end, string name, int declaration, bool callsMayAssign = false)
    {
        if (name.Length == 0 || HasUnicodeEscape(text, start, end))
        {
            return true;
        }

        foreach (var index in TextScan.FindIdentifier(text, name, TextSpan.FromBounds(start, end)))
        {
            if (index != declaration && MayAssignAt(text, index, name.Length, callsMayAssign))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Where <paramref name="symbol"/>'s own declaration spells its name in <paramref name="tree"/>, or -1.</summary>
    public static int DeclarationStart(ISymbol symbol, SyntaxTree tree)
    {
        var locations = symbol.Locations;
        return locations.Length == 1 && locations[0].IsInSource && locations[0].SourceTree == tree ? locations[0].SourceSpan.Start : -1;
    }

    /// <summary>
    /// True when the text holds <c>\u</c> or <c>\U</c> (an identifier may be spelled with an escape); a long span's answer
    /// is its <see cref="IdentifierPositions"/>' (read once), not a search per question.
    /// </summary>
    internal static bool HasUnicodeEscape(string text, int start, int end)
        => end - start >= IdentifierPositions.MinimumLength
            ? IdentifierPositions.Of(text, start, end).HasUnicodeEscape
            : SearchUnicodeEscape(text, start, end);

    /// <summary><see cref="HasUnicodeEscape"/> by searching the span.</summary>
    internal static bool SearchUnicodeEscape(string text, int start, int end)
    {
        for (var index = start; index < end && (index = text.IndexOf('\\', index, end - index)) >= 0; index++)
        {
            if (index + 1 < end && text[index + 1] is 'u' or 'U')
            {
                return true;
            }
        }

        return false;
    }

    private static bool MayAssignAt(string text, int index, int length, bool callsMayAssign)
    {
        if (IsWrittenBefore(text, index) || IsIncrementedBefore(text, index))
        {
            return true;
        }

        var next = TextScan.SkipSpaces(text, index + length);
        if (next >= text.Length)
        {
            return true;
        }

        var c = text[next];
        var c1 = next + 1 < text.Length ? text[next + 1] : '\0';
        switch (c)
        {
            case '=':
                return IsAssignmentAt(text, next);
            case '+' or '-':
                return c1 == '=' || c1 == c;
            case '*' or '/' or '%' or '&' or '|' or '^':
                return c1 == '=';
            case '<' or '>':
                // <<= and >>= (and >>>=); comparisons and shifts read.
                var i = next;
                while (i < text.Length && text[i] == c)
                {
                    i++;
                }

                return i - next >= 2 && i < text.Length && text[i] == '=';
            case '?':
                return c1 == '?' && next + 2 < text.Length && text[next + 2] == '=';
            case ')' or ',':
                return MayBeDeconstructionTarget(text, next);
            case '.':
                return callsMayAssign && !IsMemberOtherThanCall(text, next);
            default:
                return false;
        }
    }

    /// <summary>
    /// True when the member access whose dot is at <paramref name="dot"/> is plainly not a method call: the member's name is
    /// followed by neither <c>(</c> nor a type argument list (<c>span.Length</c>, <c>reader.Remaining</c>).
    /// </summary>
    private static bool IsMemberOtherThanCall(string text, int dot)
    {
        var (start, end) = TextScan.IdentifierAfter(text, dot + 1);
        var next = TextScan.SkipSpaces(text, end);
        return end > start && next < text.Length && text[next] is not '(' and not '<';
    }

    private static bool IsIncrementedBefore(string text, int index)
    {
        var previous = TextScan.SkipSpacesBack(text, 0, index) - 1;
        return previous >= 1 && (text[previous] == '+' && text[previous - 1] == '+' || text[previous] == '-' && text[previous - 1] == '-');
    }

    /// <summary>True when the text before the element access passes it by reference or takes its address.</summary>
    private static bool IsWrittenBefore(string text, int index)
    {
        var (wordStart, wordEnd) = TextScan.IdentifierBefore(text, 0, index);
        if (wordStart == wordEnd)
        {
            // &table[0] takes the address; a && b is a logical and.
            var previous = wordEnd - 1;
            return previous >= 0 && text[previous] == '&' && (previous == 0 || text[previous - 1] != '&');
        }

        var length = wordEnd - wordStart;
        return (length == 3 && (string.CompareOrdinal(text, wordStart, "ref", 0, 3) == 0 || string.CompareOrdinal(text, wordStart, "out", 0, 3) == 0))
            || (length == 2 && string.CompareOrdinal(text, wordStart, "in", 0, 2) == 0);
    }

    /// <summary>True when the element access that opens at <paramref name="bracket"/> is followed by what only uses its value.</summary>
    private static bool FollowsAsValue(string text, int index, int bracket)
    {
        var close = MatchClose(text, bracket);
        if (close < 0)
        {
            return false;
        }

        var next = TextScan.SkipSpaces(text, close + 1);
        if (next >= text.Length)
        {
            return false;
        }

        var c = text[next];
        var c1 = next + 1 < text.Length ? text[next + 1] : '\0';
        var c2 = next + 2 < text.Length ? text[next + 2] : '\0';
        switch (c)
        {
            case ';' or ':' or ']' or '}':
                return true;
            case ')' or ',':
                return !MayBeDeconstructionTarget(text, next);
            case '=':
                return c1 == '=';
            case '!':
                return c1 == '=';
            case '+' or '-':
                return c1 != '=' && c1 != c;
            case '*' or '%' or '^':
                return c1 != '=';
            case '/':
                return c1 != '=' && c1 != '/' && c1 != '*';
            case '&' or '|':
                return c1 == c || c1 != '=';
            case '<' or '>':
                // <, <=, <<, but not <<= (and >, >=, >>, >>>, not >>= or >>>=).
                if (c1 != c)
                {
                    return true;
                }

                return c2 != '=' && !(c2 == c && next + 3 < text.Length && text[next + 3] == '=');
            case '?':
                // a ternary or ??, but not ??= nor ?. / ?[ (a member of the element, which may be assigned).
                return c1 == '?' ? c2 != '=' : c1 != '.' && c1 != '[';
            default:
                return false;
        }
    }

    /// <summary>
    /// False when the tuple groups around the position end before the statement without being assigned to:
    /// <c>(table[0], x) = pair;</c> writes the element, <c>Use(table[0], x);</c> does not.
    /// </summary>
    private static bool MayBeDeconstructionTarget(string text, int position)
    {
        var depth = 0;
        var limit = System.Math.Min(text.Length, position + MaxScan);
        for (var i = position; i < limit; i++)
        {
            switch (text[i])
            {
                case '(' or '[':
                    depth++;
                    break;
                case ')' or ']':
                    if (depth > 0)
                    {
                        depth--;
                        break;
                    }

                    // Closes a group around the element: assigned to as a whole?
                    if (IsAssignmentAt(text, TextScan.SkipSpaces(text, i + 1)))
                    {
                        return true;
                    }

                    break;
                case ';' or '{' or '}' when depth == 0:
                    return false;
                case '"' or '\'' or '@' or '$':
                    return true;
                case '/' when i + 1 < text.Length && (text[i + 1] == '/' || text[i + 1] == '*'):
                    return true;
            }
        }

        return true;
    }

    /// <summary>
    /// The index of the <c>]</c> closing the bracket at <paramref name="open"/>, or -1 when the text is not plain. Unlike
    /// the attribute scan (<see cref="TextScan"/>), a string inside the brackets is not followed: such an index is left to
    /// the semantic analysis.
    /// </summary>
    private static int MatchClose(string text, int open)
    {
        var depth = 0;
        var limit = System.Math.Min(text.Length, open + MaxScan);
        for (var i = open; i < limit; i++)
        {
            switch (text[i])
            {
                case '(' or '[':
                    depth++;
                    break;
                case ')' or ']':
                    depth--;
                    if (depth == 0)
                    {
                        return text[i] == ']' ? i : -1;
                    }

                    if (depth < 0)
                    {
                        return -1;
                    }

                    break;
                case ';' or '{' or '}' or '"' or '\'' or '@' or '$':
                    return -1;
                case '/' when i + 1 < text.Length && (text[i + 1] == '/' || text[i + 1] == '*'):
                    return -1;
            }
        }

        return -1;
    }

    /// <summary>True at a simple assignment operator (<c>=</c> but not <c>==</c> or <c>=&gt;</c>).</summary>
    private static bool IsAssignmentAt(string text, int index)
        => index < text.Length && text[index] == '='
            && (index + 1 >= text.Length || (text[index + 1] != '=' && text[index + 1] != '>'));

    private static bool IsWord(string text, int start, int end, string word)
        => end - start == word.Length && string.CompareOrdinal(text, start, word, 0, word.Length) == 0;
}
