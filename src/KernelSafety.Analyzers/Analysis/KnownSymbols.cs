using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>
/// The types the rules look at, each resolved once per compilation, on first use, and shared by every rule
/// (a compilation that lacks a type gets <c>null</c>). Rules call <see cref="Get"/> from their compilation-start
/// action but do not look types up there: each lookup searches every reference (milliseconds per compilation), so a
/// type is resolved only when a callback has found a candidate (a call with the right name, say) and needs it.
/// </summary>
internal sealed class KnownSymbols
{
    private static readonly ConditionalWeakTable<Compilation, KnownSymbols> Cache = new();
    private static readonly ConditionalWeakTable<Compilation, KnownSymbols>.CreateValueCallback Factory = c => new KnownSymbols(c);

    /// <summary>Marks a type the compilation lacks (so the lookup is not repeated).</summary>
    private static readonly object Missing = new();

    public static KnownSymbols Get(Compilation compilation) => Cache.GetValue(compilation, Factory);

    private object? buffer;
    private object? array;
    private object? math;
    private object? span;
    private object? readOnlySpan;
    private object? memory;
    private object? readOnlyMemory;
    private object? memoryExtensions;
    private object? bitConverter;
    private object? threadStaticAttribute;
    private object? generatedCodeAttribute;
    private object? argumentOutOfRangeException;
    private object? timeoutException;
    private object? marshal;
    private object? nativeMemory;
    private object? memoryMarshal;
    private object? dllImportAttribute;
    private object? libraryImportAttribute;
    private object? unsafeClass;
    private object? binaryPrimitives;
    private object? arrayPool;
    private object? win32Exception;
    private object? stream;
    private object? textReader;
    private object? textWriter;
    private object? binaryWriter;
    private object? binaryReader;
    private object? encoding;
    private object? random;
    private object? randomNumberGenerator;
    private object? task;
    private object? taskOfT;
    private object? valueTask;
    private object? valueTaskOfT;
    private object? threadLocal;
    private object? asyncLocal;
    private object? socket;
    private object? socketAsyncEventArgs;
    private object? socketError;
    private object? socketException;
    private object? socketFlags;
    private object? tcpClient;
    private object? udpClient;
    private object? networkStream;
    private object? iPAddress;
    private object? iPEndPoint;
    private object? dnsEndPoint;
    private object? endPoint;

    private KnownSymbols(Compilation compilation)
    {
        Compilation = compilation;
    }

    public Compilation Compilation { get; }

    /// <summary>
    /// Looks a type up on first use only: each lookup searches every referenced assembly, and a rule that returns
    /// early (most do, on code without sockets or interop) should not pay for the types it never asks about.
    /// </summary>
    private INamedTypeSymbol? Resolve(ref object? slot, string metadataName)
    {
        var value = Volatile.Read(ref slot);
        if (value is null)
        {
            value = (object?)Compilation.GetTypeByMetadataName(metadataName) ?? Missing;
            value = Interlocked.CompareExchange(ref slot, value, null) ?? value;
        }

        return value as INamedTypeSymbol;
    }

    public INamedTypeSymbol? Buffer => Resolve(ref buffer, "System.Buffer");
    public INamedTypeSymbol? Array => Resolve(ref array, "System.Array");
    public INamedTypeSymbol? Math => Resolve(ref math, "System.Math");
    public INamedTypeSymbol? Span => Resolve(ref span, "System.Span`1");
    public INamedTypeSymbol? ReadOnlySpan => Resolve(ref readOnlySpan, "System.ReadOnlySpan`1");
    public INamedTypeSymbol? Memory => Resolve(ref memory, "System.Memory`1");
    public INamedTypeSymbol? ReadOnlyMemory => Resolve(ref readOnlyMemory, "System.ReadOnlyMemory`1");
    public INamedTypeSymbol? MemoryExtensions => Resolve(ref memoryExtensions, "System.MemoryExtensions");
    public INamedTypeSymbol? BitConverter => Resolve(ref bitConverter, "System.BitConverter");
    public INamedTypeSymbol? ThreadStaticAttribute => Resolve(ref threadStaticAttribute, "System.ThreadStaticAttribute");
    public INamedTypeSymbol? GeneratedCodeAttribute => Resolve(ref generatedCodeAttribute, "System.CodeDom.Compiler.GeneratedCodeAttribute");
    public INamedTypeSymbol? ArgumentOutOfRangeException => Resolve(ref argumentOutOfRangeException, "System.ArgumentOutOfRangeException");
    public INamedTypeSymbol? TimeoutException => Resolve(ref timeoutException, "System.TimeoutException");
    public INamedTypeSymbol? Marshal => Resolve(ref marshal, "System.Runtime.InteropServices.Marshal");
    public INamedTypeSymbol? NativeMemory => Resolve(ref nativeMemory, "System.Runtime.InteropServices.NativeMemory");
    public INamedTypeSymbol? MemoryMarshal => Resolve(ref memoryMarshal, "System.Runtime.InteropServices.MemoryMarshal");
    public INamedTypeSymbol? DllImportAttribute => Resolve(ref dllImportAttribute, "System.Runtime.InteropServices.DllImportAttribute");
    public INamedTypeSymbol? LibraryImportAttribute => Resolve(ref libraryImportAttribute, "System.Runtime.InteropServices.LibraryImportAttribute");
    public INamedTypeSymbol? Unsafe => Resolve(ref unsafeClass, "System.Runtime.CompilerServices.Unsafe");
    public INamedTypeSymbol? BinaryPrimitives => Resolve(ref binaryPrimitives, "System.Buffers.Binary.BinaryPrimitives");
    public INamedTypeSymbol? ArrayPool => Resolve(ref arrayPool, "System.Buffers.ArrayPool`1");
    public INamedTypeSymbol? Win32Exception => Resolve(ref win32Exception, "System.ComponentModel.Win32Exception");
    public INamedTypeSymbol? Stream => Resolve(ref stream, "System.IO.Stream");
    public INamedTypeSymbol? TextReader => Resolve(ref textReader, "System.IO.TextReader");
    public INamedTypeSymbol? TextWriter => Resolve(ref textWriter, "System.IO.TextWriter");
    public INamedTypeSymbol? BinaryWriter => Resolve(ref binaryWriter, "System.IO.BinaryWriter");
    public INamedTypeSymbol? BinaryReader => Resolve(ref binaryReader, "System.IO.BinaryReader");
    public INamedTypeSymbol? Encoding => Resolve(ref encoding, "System.Text.Encoding");
    public INamedTypeSymbol? Random => Resolve(ref random, "System.Random");
    public INamedTypeSymbol? RandomNumberGenerator => Resolve(ref randomNumberGenerator, "System.Security.Cryptography.RandomNumberGenerator");
    public INamedTypeSymbol? Task => Resolve(ref task, "System.Threading.Tasks.Task");
    public INamedTypeSymbol? TaskOfT => Resolve(ref taskOfT, "System.Threading.Tasks.Task`1");
    public INamedTypeSymbol? ValueTask => Resolve(ref valueTask, "System.Threading.Tasks.ValueTask");
    public INamedTypeSymbol? ValueTaskOfT => Resolve(ref valueTaskOfT, "System.Threading.Tasks.ValueTask`1");
    public INamedTypeSymbol? ThreadLocal => Resolve(ref threadLocal, "System.Threading.ThreadLocal`1");
    public INamedTypeSymbol? AsyncLocal => Resolve(ref asyncLocal, "System.Threading.AsyncLocal`1");
    public INamedTypeSymbol? Socket => Resolve(ref socket, "System.Net.Sockets.Socket");
    public INamedTypeSymbol? SocketAsyncEventArgs => Resolve(ref socketAsyncEventArgs, "System.Net.Sockets.SocketAsyncEventArgs");
    public INamedTypeSymbol? SocketError => Resolve(ref socketError, "System.Net.Sockets.SocketError");
    public INamedTypeSymbol? SocketException => Resolve(ref socketException, "System.Net.Sockets.SocketException");
    public INamedTypeSymbol? SocketFlags => Resolve(ref socketFlags, "System.Net.Sockets.SocketFlags");
    public INamedTypeSymbol? TcpClient => Resolve(ref tcpClient, "System.Net.Sockets.TcpClient");
    public INamedTypeSymbol? UdpClient => Resolve(ref udpClient, "System.Net.Sockets.UdpClient");
    public INamedTypeSymbol? NetworkStream => Resolve(ref networkStream, "System.Net.Sockets.NetworkStream");
    public INamedTypeSymbol? IPAddress => Resolve(ref iPAddress, "System.Net.IPAddress");
    public INamedTypeSymbol? IPEndPoint => Resolve(ref iPEndPoint, "System.Net.IPEndPoint");
    public INamedTypeSymbol? DnsEndPoint => Resolve(ref dnsEndPoint, "System.Net.DnsEndPoint");
    public INamedTypeSymbol? EndPoint => Resolve(ref endPoint, "System.Net.EndPoint");

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

    /// <summary>True when <paramref name="symbols"/> holds <paramref name="symbol"/>.</summary>
    public static bool Contains(IReadOnlyList<ISymbol>? symbols, ISymbol symbol)
    {
        for (var i = 0; i < (symbols?.Count ?? 0); i++)
        {
            if (SymbolEqualityComparer.Default.Equals(symbols![i], symbol))
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
