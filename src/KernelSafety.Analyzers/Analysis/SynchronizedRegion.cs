using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>
/// Whether an operation runs while its thread holds a lock: inside a <c>lock</c> statement's body,
/// inside a <c>try</c> whose <c>finally</c> releases a <c>System.Threading</c> primitive
/// (<c>Monitor.Exit</c>, <c>SemaphoreSlim.Release</c>, <c>Mutex.ReleaseMutex</c>, <c>SpinLock.Exit</c>,
/// <c>ReaderWriterLockSlim.ExitWriteLock</c>...), or in a static <c>[MethodImpl(MethodImplOptions.Synchronized)]</c> method.
/// A lambda or local function inside a lock runs later, outside it.
/// </summary>
internal static class SynchronizedRegion
{
    public static bool IsSynchronized(IOperation operation, ISymbol? containingSymbol)
    {
        for (IOperation? child = operation, parent = operation.Parent; parent is not null; child = parent, parent = parent.Parent)
        {
            switch (parent)
            {
                case ILockOperation @lock when @lock.Body == child:
                    return true;
                case ITryOperation @try when @try.Body == child && @try.Finally is not null && ReleasesLock(@try.Finally):
                    return true;
                case IAnonymousFunctionOperation or ILocalFunctionOperation:
                    return false;
            }
        }

        // A synchronized static method locks the type, so it excludes the other synchronized static methods.
        return containingSymbol is IMethodSymbol { IsStatic: true } method
            && (method.MethodImplementationFlags & MethodImplAttributes.Synchronized) != 0;
    }

    private static bool ReleasesLock(IBlockOperation @finally)
    {
        foreach (var operation in @finally.Descendants())
        {
            if (operation is IInvocationOperation invocation
                && invocation.TargetMethod.Name is "Exit" or "Release" or "ReleaseMutex" or "ExitWriteLock" or "ExitUpgradeableReadLock"
                && IsSystemThreading(invocation.TargetMethod.ContainingType?.ContainingNamespace))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether <paramref name="ns"/> is <c>System.Threading</c>.</summary>
    internal static bool IsSystemThreading(INamespaceSymbol? ns)
        => ns is { Name: "Threading", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } };
}
