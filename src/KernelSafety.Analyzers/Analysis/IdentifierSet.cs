using System.Collections.Generic;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>
/// Names asked of whole texts: whether a text spells any of them as a whole identifier (<see cref="TextScan.IsWholeIdentifier"/>),
/// in one pass over the text's identifiers however many names there are. A compilation that declares thousands of
/// P/Invokes asks this of every tree; one search of the text per name made that cost trees × names. A few names are
/// still searched one by one: a vectorized search per name beats walking every identifier until there are a dozen or so.
/// </summary>
internal sealed class IdentifierSet
{
    // FNV-1a over the UTF-16 code units: cheap to compute while the text is walked.
    private const uint Offset = 2166136261;
    private const uint Prime = 16777619;

    private const int SearchedOneByOne = 12;

    private readonly Dictionary<uint, List<string>> byHash = new();
    private readonly List<string> names = new();
    private readonly int maxLength;

    public IdentifierSet(IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            if (name.Length == 0)
            {
                continue; // error recovery can make an empty name; it spells nothing
            }

            var hash = Hash(name, 0, name.Length);
            if (!byHash.TryGetValue(hash, out var candidates))
            {
                byHash[hash] = candidates = new List<string>(1);
            }

            if (!candidates.Contains(name))
            {
                candidates.Add(name);
                this.names.Add(name);
            }

            if (name.Length > maxLength)
            {
                maxLength = name.Length;
            }
        }
    }

    public bool IsEmpty => names.Count == 0;

    /// <summary>True when <paramref name="text"/> spells one of the names as a whole identifier (comments and strings included).</summary>
    public bool AnyIn(string text)
    {
        if (names.Count <= SearchedOneByOne)
        {
            foreach (var name in names)
            {
                if (TextScan.ContainsIdentifier(text, name))
                {
                    return true;
                }
            }

            return false;
        }

        var index = 0;
        while (NextRun(text, ref index, text.Length, out var start, out var hash))
        {
            var length = index - start;
            if (length <= maxLength && byHash.TryGetValue(hash, out var candidates))
            {
                foreach (var name in candidates)
                {
                    if (name.Length == length && string.CompareOrdinal(text, start, name, 0, length) == 0)
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    /// <summary>
    /// The next maximal run of identifier characters from <paramref name="index"/> on, before <paramref name="end"/>
    /// (exactly the spans <see cref="TextScan.IsWholeIdentifier"/> accepts, but at <paramref name="end"/>): its start and
    /// hash, with <paramref name="index"/> moved past it. False when there is none.
    /// </summary>
    public static bool NextRun(string text, ref int index, int end, out int start, out uint hash)
    {
        while (index < end && !TextScan.IsIdentifierPart(text[index]))
        {
            index++;
        }

        start = index;
        hash = Offset;
        if (index >= end)
        {
            return false;
        }

        do
        {
            hash = (hash ^ text[index]) * Prime;
            index++;
        }
        while (index < end && TextScan.IsIdentifierPart(text[index]));

        return true;
    }

    /// <summary>The hash <see cref="NextRun"/> gives a run spelling <paramref name="name"/>.</summary>
    public static uint Hash(string name) => Hash(name, 0, name.Length);

    private static uint Hash(string text, int start, int end)
    {
        var hash = Offset;
        for (var i = start; i < end; i++)
        {
            hash = (hash ^ text[i]) * Prime;
        }

        return hash;
    }
}
