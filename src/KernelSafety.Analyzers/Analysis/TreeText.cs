using System;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>
/// A syntax tree's text as one string, for the text searches (<see cref="TextReads"/>, <see cref="TextScan"/>). Free for
/// the usual string-backed text; a large file's text (the compiler reads files of 80 KB and more into a chunked text) is
/// copied on every <c>ToString</c>, so the string made last on this thread is kept for the next question about the same
/// tree. Weakly: an idle thread keeps no copy alive.
/// </summary>
internal static class TreeText
{
    [ThreadStatic]
    private static WeakReference? lastTree;

    [ThreadStatic]
    private static WeakReference? lastText;

    public static string Of(SyntaxTree tree, CancellationToken cancellationToken)
    {
        var treeReference = lastTree ??= new WeakReference(null);
        var textReference = lastText ??= new WeakReference(null);
        if (ReferenceEquals(treeReference.Target, tree) && textReference.Target is string cached)
        {
            return cached;
        }

        var text = tree.GetText(cancellationToken).ToString();
        treeReference.Target = tree;
        textReference.Target = text;
        return text;
    }
}
