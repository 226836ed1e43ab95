using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>
/// The types the rules look at, resolved once per compilation and shared by every rule
/// (a compilation that lacks a type gets <c>null</c>). Rules call <see cref="Get"/> from their
/// compilation-start action and register nothing when the types they need are absent.
/// </summary>
internal sealed class KnownSymbols
{
    private static readonly ConditionalWeakTable<Compilation, KnownSymbols> Cache = new();
    private static readonly ConditionalWeakTable<Compilation, KnownSymbols>.CreateValueCallback Factory = c => new KnownSymbols(c);

    public static KnownSymbols Get(Compilation compilation) => Cache.GetValue(compilation, Factory);

    private KnownSymbols(Compilation compilation)
    {
        Compilation = compilation;
        INamedTypeSymbol? T(string name) => compilation.GetTypeByMetadataName(name);

        // System
        Buffer = T("System.Buffer");
        Array = T("System.Array");
        Math = T("System.Math");
        Span = T("System.Span`1");
        ReadOnlySpan = T("System.ReadOnlySpan`1");
        Memory = T("System.Memory`1");
        ReadOnlyMemory = T("System.ReadOnlyMemory`1");
        MemoryExtensions = T("System.MemoryExtensions");
        BitConverter = T("System.BitConverter");
        ThreadStaticAttribute = T("System.ThreadStaticAttribute");
        ArgumentOutOfRangeException = T("System.ArgumentOutOfRangeException");
        TimeoutException = T("System.TimeoutException");

        // Interop and unsafe memory
        Marshal = T("System.Runtime.InteropServices.Marshal");
        NativeMemory = T("System.Runtime.InteropServices.NativeMemory");
        MemoryMarshal = T("System.Runtime.InteropServices.MemoryMarshal");
        DllImportAttribute = T("System.Runtime.InteropServices.DllImportAttribute");
        LibraryImportAttribute = T("System.Runtime.InteropServices.LibraryImportAttribute");
        Unsafe = T("System.Runtime.CompilerServices.Unsafe");
        BinaryPrimitives = T("System.Buffers.Binary.BinaryPrimitives");
        ArrayPool = T("System.Buffers.ArrayPool`1");
        Win32Exception = T("System.ComponentModel.Win32Exception");

        // Streams, text and threading
        Stream = T("System.IO.Stream");
        TextReader = T("System.IO.TextReader");
        Encoding = T("System.Text.Encoding");
        Task = T("System.Threading.Tasks.Task");
        TaskOfT = T("System.Threading.Tasks.Task`1");
        ValueTask = T("System.Threading.Tasks.ValueTask");
        ValueTaskOfT = T("System.Threading.Tasks.ValueTask`1");
        ThreadLocal = T("System.Threading.ThreadLocal`1");
        AsyncLocal = T("System.Threading.AsyncLocal`1");

        // Networking
        Socket = T("System.Net.Sockets.Socket");
        SocketAsyncEventArgs = T("System.Net.Sockets.SocketAsyncEventArgs");
        SocketError = T("System.Net.Sockets.SocketError");
        SocketException = T("System.Net.Sockets.SocketException");
        SocketFlags = T("System.Net.Sockets.SocketFlags");
        TcpClient = T("System.Net.Sockets.TcpClient");
        UdpClient = T("System.Net.Sockets.UdpClient");
        NetworkStream = T("System.Net.Sockets.NetworkStream");
        IPAddress = T("System.Net.IPAddress");
        IPEndPoint = T("System.Net.IPEndPoint");
        DnsEndPoint = T("System.Net.DnsEndPoint");
        EndPoint = T("System.Net.EndPoint");
    }

    public Compilation Compilation { get; }

    public INamedTypeSymbol? Buffer { get; }
    public INamedTypeSymbol? Array { get; }
    public INamedTypeSymbol? Math { get; }
    public INamedTypeSymbol? Span { get; }
    public INamedTypeSymbol? ReadOnlySpan { get; }
    public INamedTypeSymbol? Memory { get; }
    public INamedTypeSymbol? ReadOnlyMemory { get; }
    public INamedTypeSymbol? MemoryExtensions { get; }
    public INamedTypeSymbol? BitConverter { get; }
    public INamedTypeSymbol? ThreadStaticAttribute { get; }
    public INamedTypeSymbol? ArgumentOutOfRangeException { get; }
    public INamedTypeSymbol? TimeoutException { get; }
    public INamedTypeSymbol? Marshal { get; }
    public INamedTypeSymbol? NativeMemory { get; }
    public INamedTypeSymbol? MemoryMarshal { get; }
    public INamedTypeSymbol? DllImportAttribute { get; }
    public INamedTypeSymbol? LibraryImportAttribute { get; }
    public INamedTypeSymbol? Unsafe { get; }
    public INamedTypeSymbol? BinaryPrimitives { get; }
    public INamedTypeSymbol? ArrayPool { get; }
    public INamedTypeSymbol? Win32Exception { get; }
    public INamedTypeSymbol? Stream { get; }
    public INamedTypeSymbol? TextReader { get; }
    public INamedTypeSymbol? Encoding { get; }
    public INamedTypeSymbol? Task { get; }
    public INamedTypeSymbol? TaskOfT { get; }
    public INamedTypeSymbol? ValueTask { get; }
    public INamedTypeSymbol? ValueTaskOfT { get; }
    public INamedTypeSymbol? ThreadLocal { get; }
    public INamedTypeSymbol? AsyncLocal { get; }
    public INamedTypeSymbol? Socket { get; }
    public INamedTypeSymbol? SocketAsyncEventArgs { get; }
    public INamedTypeSymbol? SocketError { get; }
    public INamedTypeSymbol? SocketException { get; }
    public INamedTypeSymbol? SocketFlags { get; }
    public INamedTypeSymbol? TcpClient { get; }
    public INamedTypeSymbol? UdpClient { get; }
    public INamedTypeSymbol? NetworkStream { get; }
    public INamedTypeSymbol? IPAddress { get; }
    public INamedTypeSymbol? IPEndPoint { get; }
    public INamedTypeSymbol? DnsEndPoint { get; }
    public INamedTypeSymbol? EndPoint { get; }

    /// <summary>True when the compilation can declare P/Invokes (every real compilation can).</summary>
    public bool HasInterop => DllImportAttribute is not null || LibraryImportAttribute is not null;

    /// <summary>True when the compilation references any managed socket API.</summary>
    public bool HasManagedSockets => Socket is not null || TcpClient is not null || UdpClient is not null;

    /// <summary>
    /// True when <paramref name="type"/> is <paramref name="candidate"/> or derives from it
    /// (generic types compared by their definition).
    /// </summary>
    public static bool IsOrDerivesFrom(ITypeSymbol? type, INamedTypeSymbol? candidate)
    {
        if (type is null || candidate is null)
        {
            return false;
        }

        for (var t = type; t is not null; t = t.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(t.OriginalDefinition, candidate))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when <paramref name="type"/> is exactly <paramref name="candidate"/> (by definition).</summary>
    public static bool Is(ITypeSymbol? type, INamedTypeSymbol? candidate)
        => type is not null && candidate is not null && SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, candidate);
}
