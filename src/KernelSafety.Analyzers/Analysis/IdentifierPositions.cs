using System;
using System.Collections.Generic;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>
/// Where each whole identifier is spelled in one span of a text, from one walk of the span
/// (<see cref="IdentifierSet.NextRun"/>): the question "where does this span spell <c>x</c>", which each local of a long
/// method and each field of a large type asks (<see cref="TextScan.FindIdentifier"/>: <see cref="TextReads.MayAssign"/>,
/// KS0003's stores into a port field, KS0006's reads of a static buffer), is then answered from the positions
/// of <c>x</c> rather than by searching the whole span once per name, which made a method of thousands of lines cost the
/// square of its length. The positions are exactly those <see cref="TextScan.NextIdentifier"/> finds in the span. Only
/// long spans are indexed (<see cref="MinimumLength"/>); the indexes of the last few are kept per thread, weakly (an
/// idle thread keeps neither a text nor its index alive).
/// </summary>
internal sealed class IdentifierPositions
{
    /// <summary>Spans shorter than this are searched directly: a search is cheaper than a walk until a span is long.</summary>
    public const int MinimumLength = 16 * 1024;

    private const int Kept = 4;

    [ThreadStatic]
    private static Entry?[]? recent;

    // Positions by the hash of the identifier spelled there; identifiers that share a hash share a list, and a position
    // is compared with the name when read.
    private readonly Dictionary<uint, List<int>> positions = new();

    private IdentifierPositions(string text, int start, int end)
    {
        HasUnicodeEscape = TextReads.SearchUnicodeEscape(text, start, end);
        var index = start;
        while (IdentifierSet.NextRun(text, ref index, end, out var run, out var hash))
        {
            if (!positions.TryGetValue(hash, out var list))
            {
                positions[hash] = list = new List<int>(2);
            }

            list.Add(run);
        }
    }

    /// <summary>True when the span holds <c>\u</c> or <c>\U</c> (see <see cref="TextReads.HasUnicodeEscape"/>).</summary>
    public bool HasUnicodeEscape { get; }

    /// <summary>The index of <paramref name="text"/> from <paramref name="start"/> to <paramref name="end"/>, made or reused.</summary>
    public static IdentifierPositions Of(string text, int start, int end)
    {
        var entries = recent ??= new Entry?[Kept];
        for (var i = 0; i < entries.Length; i++)
        {
            if (entries[i] is { } entry && entry.Start == start && entry.End == end && entry.Text.TryGetTarget(out var known) && ReferenceEquals(known, text)
                && entry.Positions.TryGetTarget(out var positions))
            {
                // Most recently used first.
                Array.Copy(entries, 0, entries, 1, i);
                entries[0] = entry;
                return positions;
            }
        }

        var made = new IdentifierPositions(text, start, end);
        Array.Copy(entries, 0, entries, 1, entries.Length - 1);
        entries[0] = new Entry(new WeakReference<string>(text), start, end, new WeakReference<IdentifierPositions>(made));
        return made;
    }

    /// <summary>Where the span spells <paramref name="name"/> as a whole identifier, in order.</summary>
    public IEnumerable<int> Find(string text, string name)
    {
        if (name.Length == 0 || !positions.TryGetValue(IdentifierSet.Hash(name), out var list))
        {
            yield break;
        }

        foreach (var position in list)
        {
            // A run cut by the span's end is not whole: IsWholeIdentifier reads past the span.
            if (string.CompareOrdinal(text, position, name, 0, name.Length) == 0 && TextScan.IsWholeIdentifier(text, position, name.Length))
            {
                yield return position;
            }
        }
    }

    private sealed class Entry
    {
        public Entry(WeakReference<string> text, int start, int end, WeakReference<IdentifierPositions> positions)
        {
            Text = text;
            Start = start;
            End = end;
            Positions = positions;
        }

        public WeakReference<string> Text { get; }

        public int Start { get; }

        public int End { get; }

        public WeakReference<IdentifierPositions> Positions { get; }
    }
}
