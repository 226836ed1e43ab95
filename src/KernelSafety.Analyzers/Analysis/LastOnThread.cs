using System;
using Microsoft.CodeAnalysis;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>
/// What was computed last on this thread for one key: the method body (operation tree root) analyzed last, or the
/// syntax tree read last. The driver runs every callback of one body on one thread, one after another, so the copies,
/// sends and connects of a body share one result; a new key replaces it. Both references are weak: an idle thread keeps
/// no compilation alive, and a result the GC took is computed again. Cheaper than a <c>ConditionalWeakTable</c> entry
/// per body, which allocates a dependent handle for every method analyzed.
/// </summary>
internal static class LastOnThread<TKey, TValue>
    where TKey : class
    where TValue : class
{
    [ThreadStatic]
    private static WeakReference? lastKey;

    [ThreadStatic]
    private static WeakReference? lastValue;

    /// <summary>The value for <paramref name="key"/>, made by <paramref name="create"/> if it is not the last one.</summary>
    public static TValue Get<TState>(TKey key, TState state, Func<TKey, TState, TValue> create)
    {
        var keyReference = lastKey ??= new WeakReference(null);
        var valueReference = lastValue ??= new WeakReference(null);
        if (ReferenceEquals(keyReference.Target, key) && valueReference.Target is TValue cached)
        {
            return cached;
        }

        var created = create(key, state);
        keyReference.Target = key;
        valueReference.Target = created;
        return created;
    }
}

/// <summary>Per-body state: the value kept for the operation tree that holds an operation (see <see cref="LastOnThread{TKey, TValue}"/>).</summary>
internal static class BodyCache<T>
    where T : class
{
    /// <summary>The value for the tree whose root is <paramref name="root"/>, made by <paramref name="create"/> if it is not the last one.</summary>
    public static T Get(IOperation root, Func<IOperation, T> create)
        => LastOnThread<IOperation, T>.Get(root, create, static (key, make) => make(key));
}
