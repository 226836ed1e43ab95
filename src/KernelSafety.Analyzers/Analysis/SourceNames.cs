using System;
using System.Collections.Generic;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>A set of <see cref="SourceNames"/>, one bit per name.</summary>
internal readonly struct NameSet
{
    public NameSet(ulong bits)
    {
        Bits = bits;
    }

    public ulong Bits { get; }

    public bool IsEmpty => Bits == 0;

    public bool Overlaps(ulong names) => (Bits & names) != 0;

    public NameSet Union(NameSet other) => new(Bits | other.Bits);
}

/// <summary>
/// The names a finding can only start from. Every rule but KS0006 starts at a call, a creation or a store that spells
/// one of its names in source: <c>Buffer.BlockCopy(...)</c> spells <c>BlockCopy</c>, <c>new IPEndPoint(...)</c> spells
/// <c>IPEndPoint</c>, <c>addr.sin_port = ...</c> spells <c>sin_port</c>. A type whose source spells none of a rule's
/// names holds nothing that rule can report, so <see cref="SourceIndex"/> lets the rule skip it before any callback.
/// </summary>
/// <remarks>
/// Two names are not fixed: the P/Invokes a compilation declares under a name of its own
/// (<c>[DllImport("libc", EntryPoint = "send")] static extern nint Send2(...)</c>: <see cref="DeclaredNative"/>) and the
/// members it marks <c>[NetworkByteOrder]</c> (<see cref="NetworkOrderMember"/>). <see cref="SourceIndex"/> finds those
/// in the compilation's own declarations (and, for the attribute, in its references) and looks for them too.
/// A name is matched as a whole identifier, case-sensitively; an identifier spelled with Unicode escapes is not seen.
/// </remarks>
internal static class SourceNames
{
    /// <summary>
    /// The fixed names, grouped by the text the scan looks for (an anchor contained in each of them): one ordinal
    /// <c>IndexOf</c> pass over the source per anchor, then the identifier around each match is compared with the
    /// anchor's names. Few anchors keep the scan cheap (a pass reads a 200,000-line compilation in about a millisecond).
    /// </summary>
    private static readonly SourceAnchor[] Groups =
    [
        new("Copy", ["BlockCopy", "Copy", "ConstrainedCopy", "MemoryCopy", "CopyBlock", "CopyBlockUnaligned", "CopyTo"]),
        new("mem", ["memcpy", "memmove"]),
        new("onnect", ["Connect", "ConnectAsync", "BeginConnect", "connect"]),
        new("end", ["Send", "SendAsync", "SendTo", "SendToAsync", "BeginSend", "send", "sendto"]),
        new("rite", ["Write", "WriteAsync", "write", "TryWrite", "TryWriteBytes", "WriteInt16LittleEndian", "WriteUInt16LittleEndian", "TryWriteInt16LittleEndian", "TryWriteUInt16LittleEndian", "WriteInt16", "WriteUnaligned"]),
        new("Get", ["GetString", "GetBytes"]),
        new("Point", ["IPEndPoint", "DnsEndPoint"]),
        new("Client", ["TcpClient", "UdpClient"]),
        new("Listener", ["TcpListener"]),
        new("ort", ["Port", "sin_port", "sin6_port", "DllImport", "DllImportAttribute", "LibraryImport", "LibraryImportAttribute"]),
        new("socket", ["socket"]),
        new("ByteOrder", ["NetworkByteOrder", "NetworkByteOrderAttribute"]),
        new("Blocking", ["Blocking"]),
    ];

    private static readonly Dictionary<string, int> Bits = CreateBits();

    /// <summary>
    /// Not a name: a static array or <c>Memory&lt;T&gt;</c> field declared in the tree that the tree's text may write
    /// (any use that is not evidently a read, see <see cref="TextReads"/>), or any such field in a tree that declares a
    /// partial type (its other parts may write it). KS0006 starts from those.
    /// </summary>
    public static readonly NameSet WrittenStaticBuffer = new(1UL << 61);

    /// <summary>A P/Invoke the compilation declares under a name that is not one of the fixed names.</summary>
    public static readonly NameSet DeclaredNative = new(1UL << 62);

    /// <summary>A field, property or method (by its parameters) the compilation or its references mark <c>[NetworkByteOrder]</c>.</summary>
    public static readonly NameSet NetworkOrderMember = new(1UL << 63);

    /// <summary>The attributes that declare a P/Invoke (their matches are followed to the declared method's name).</summary>
    public static readonly NameSet PInvokeAttributes = Of("DllImport", "DllImportAttribute", "LibraryImport", "LibraryImportAttribute");

    /// <summary>The attribute that marks network-order members (its uses are followed to the members' names).</summary>
    public static readonly NameSet NetworkByteOrderAttribute = Of("NetworkByteOrder", "NetworkByteOrderAttribute");

    /// <summary>KS0001: the copy calls, managed and native.</summary>
    public static readonly NameSet Copies = Of("BlockCopy", "Copy", "ConstrainedCopy", "MemoryCopy", "CopyBlock", "CopyBlockUnaligned", "CopyTo", "memcpy", "memmove")
        .Union(DeclaredNative);

    /// <summary>Connection setup: <c>Connect</c>/<c>ConnectAsync</c>/<c>BeginConnect</c>, libc <c>connect</c> and <c>socket</c>.</summary>
    public static readonly NameSet Connects = Of("Connect", "ConnectAsync", "BeginConnect", "connect", "socket").Union(DeclaredNative);

    /// <summary>KS0007: a connect, or a client constructed with a host and port.</summary>
    public static readonly NameSet ConnectsOrClients = Connects.Union(Of("TcpClient", "UdpClient"));

    /// <summary>Socket sends, managed and native.</summary>
    public static readonly NameSet Sends = Of("Send", "SendAsync", "SendTo", "SendToAsync", "BeginSend", "send", "sendto", "write").Union(DeclaredNative);

    /// <summary>
    /// <c>Socket.Blocking</c>: only a type that spells it can make a socket non-blocking, the one case of KS0005 that
    /// needs state kept to the end of a type.
    /// </summary>
    public static readonly NameSet SocketBlocking = Of("Blocking");

    /// <summary>KS0004: sends, stream writes and decodes.</summary>
    public static readonly NameSet SendsWritesAndDecodes = Sends.Union(Of("Write", "WriteAsync", "GetString"));

    /// <summary>KS0003: every destination of a port (endpoints, clients, connects, sockaddr fields, byte writers, marked members).</summary>
    public static readonly NameSet PortDestinations = Of(
            "IPEndPoint", "DnsEndPoint", "TcpClient", "UdpClient", "TcpListener", "Connect", "ConnectAsync", "BeginConnect", "Send", "SendAsync",
            "Port", "sin_port", "sin6_port",
            "WriteInt16LittleEndian", "WriteUInt16LittleEndian", "TryWriteInt16LittleEndian", "TryWriteUInt16LittleEndian", "GetBytes", "TryWriteBytes", "Write", "TryWrite",
            "WriteInt16", "WriteUnaligned")
        .Union(NetworkOrderMember);

    /// <summary>The anchors and their names, for <see cref="SourceIndex"/>.</summary>
    public static IReadOnlyList<SourceAnchor> Anchors => Groups;

    /// <summary>The bit of a fixed name.</summary>
    public static ulong BitOf(string name) => 1UL << Bits[name];

    /// <summary>The set of the given fixed names; an unknown name is a programming error.</summary>
    public static NameSet Of(params string[] names)
    {
        ulong bits = 0;
        foreach (var name in names)
        {
            if (!Bits.TryGetValue(name, out var bit))
            {
                throw new ArgumentException($"'{name}' is not one of the source names", nameof(names));
            }

            bits |= 1UL << bit;
        }

        return new NameSet(bits);
    }

    private static Dictionary<string, int> CreateBits()
    {
        var bits = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var group in Groups)
        {
            var anchor = group.Text;
            foreach (var name in group.Names)
            {
                if (name.IndexOf(anchor, StringComparison.Ordinal) < 0 || bits.ContainsKey(name) || bits.Count == 61)
                {
                    throw new InvalidOperationException($"source name '{name}' must contain its anchor '{anchor}', be listed once, and fit in 61 bits");
                }

                bits.Add(name, bits.Count);
            }
        }

        return bits;
    }
}

/// <summary>A string the source scan looks for, and the whole identifiers containing it that it stands for.</summary>
internal sealed class SourceAnchor
{
    public SourceAnchor(string text, string[] names)
    {
        Text = text;
        Names = names;
    }

    public string Text { get; }

    public string[] Names { get; }
}
