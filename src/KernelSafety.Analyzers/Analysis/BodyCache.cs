using System;
using Microsoft.CodeAnalysis;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>
/// What was computed about the operation tree (method body) analyzed last on this thread. The driver runs every
/// callback of one body on one thread, one after another, so the copies, sends and connects of a body share one
/// result; a new body replaces it. Both references are weak: an idle thread keeps no compilation alive, and a result
/// the GC took is computed again. Cheaper than a <c>ConditionalWeakTable</c> entry per body, which allocates a
/// dependent handle for every method analyzed.
/// </summary>
internal static class BodyCache<T>
    where T : class
{
    [ThreadStatic]
    private static WeakReference? lastRoot;

    [ThreadStatic]
    private static WeakReference? lastValue;

    /// <summary>The value for the tree whose root is <paramref name="root"/>, made by <paramref name="create"/> if it is not the last one.</summary>
    public static T Get(IOperation root, Func<IOperation, T> create)
    {
        var rootReference = lastRoot ??= new WeakReference(null);
        var valueReference = lastValue ??= new WeakReference(null);
        if (ReferenceEquals(rootReference.Target, root) && valueReference.Target is T cached)
        {
            return cached;
        }

        var created = create(root);
        rootReference.Target = root;
        valueReference.Target = created;
        return created;
    }

    /// <summary>The root of the operation tree that holds <paramref name="operation"/>.</summary>
    public static IOperation RootOf(IOperation operation)
    {
        var root = operation;
        while (root.Parent is not null)
        {
            root = root.Parent;
        }

        return root;
    }
}
