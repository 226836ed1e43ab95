using System.Threading;
using Microsoft.CodeAnalysis;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>
/// A syntax tree's text as one string, for the text searches (<see cref="TextReads"/>, <see cref="TextScan"/>). Free for
/// the usual string-backed text; a large file's text (the compiler reads files of 80 KB and more into a chunked text) is
/// copied on every <c>ToString</c>, so the string made last on this thread is kept for the next question about the same
/// tree (<see cref="LastOnThread{TKey, TValue}"/>).
/// </summary>
internal static class TreeText
{
    public static string Of(SyntaxTree tree, CancellationToken cancellationToken)
        => LastOnThread<SyntaxTree, string>.Get(tree, cancellationToken, static (key, token) => key.GetText(token).ToString());
}
