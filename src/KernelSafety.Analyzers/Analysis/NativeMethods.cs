using System;
using Microsoft.CodeAnalysis;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>
/// Recognises P/Invoke'd libc functions (DllImport or LibraryImport) by their native entry point,
/// whatever the managed method is called: <c>[DllImport("libc", EntryPoint = "send")] static extern nint Send(...)</c>
/// is <c>send</c>. Methods that are not P/Invokes never match, so a managed method named <c>send</c> is not libc's.
/// </summary>
internal static class NativeMethods
{
    public const string Connect = "connect";
    public const string SocketCreate = "socket";
    public const string Send = "send";
    public const string SendTo = "sendto";
    public const string Write = "write";
    public const string Memcpy = "memcpy";
    public const string Memmove = "memmove";
    public const string Htons = "htons";
    public const string Ntohs = "ntohs";
    public const string Pipe = "pipe";
    public const string Pipe2 = "pipe2";
    public const string EventFd = "eventfd";

    /// <summary>Linux MSG_DONTWAIT.</summary>
    public const int MsgDontWait = 0x40;

    /// <summary>Linux MSG_FASTOPEN: a TCP <c>sendto</c> that connects as it sends.</summary>
    public const int MsgFastOpen = 0x20000000;

    /// <summary>
    /// The native entry point of <paramref name="method"/> when it is a P/Invoke, else <c>null</c>.
    /// </summary>
    public static string? GetEntryPoint(IMethodSymbol method, KnownSymbols symbols)
    {
        // Cheap first: most calls fail here without touching attributes.
        if (!MayBePInvoke(method))
        {
            return null;
        }

        // DllImport (extern): the compiler exposes the parsed attribute.
        var dllImport = method.GetDllImportData();
        if (dllImport is not null)
        {
            return dllImport.EntryPointName ?? method.Name;
        }

        // LibraryImport (partial, source-generated): read the attribute on the declaration.
        var libraryImport = symbols.LibraryImportAttribute;
        if (libraryImport is null)
        {
            return null;
        }

        var definition = method.PartialDefinitionPart ?? method;
        foreach (var attribute in definition.GetAttributes())
        {
            if (!SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, libraryImport))
            {
                continue;
            }

            foreach (var named in attribute.NamedArguments)
            {
                if (named.Key == "EntryPoint" && named.Value.Value is string entryPoint)
                {
                    return entryPoint;
                }
            }

            return method.Name;
        }

        return null;
    }

    /// <summary>
    /// The shape of a P/Invoke, told from flags alone: a static method that is extern (DllImport) or partial
    /// (LibraryImport). False for every other method, without touching attributes or types.
    /// </summary>
    public static bool MayBePInvoke(IMethodSymbol method)
        => method.IsStatic && (method.IsExtern || method.IsPartialDefinition || method.PartialDefinitionPart is not null);

    /// <summary>True when <paramref name="method"/> is a P/Invoke of <paramref name="entryPoint"/>.</summary>
    public static bool Is(IMethodSymbol method, string entryPoint, KnownSymbols symbols)
        => string.Equals(GetEntryPoint(method, symbols), entryPoint, StringComparison.Ordinal);

    /// <summary>True when the method is a P/Invoke whose entry point is one of the sends (<c>send</c>, <c>sendto</c>, <c>write</c>).</summary>
    public static bool IsSend(IMethodSymbol method, KnownSymbols symbols)
    {
        var entryPoint = GetEntryPoint(method, symbols);
        return entryPoint is Send or SendTo or Write;
    }
}
