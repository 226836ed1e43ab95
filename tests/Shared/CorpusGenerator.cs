using System.Text;

namespace KernelSafety.Testing.Corpus;

/// <summary>What a generated corpus contains.</summary>
public enum CorpusKind
{
    /// <summary>
    /// Ordinary C#: collections, text, arithmetic, records. No sockets, no interop, but array and span copies (a copy in
    /// about every other method), which KS0001 must check wherever they are.
    /// </summary>
    Ordinary,

    /// <summary>
    /// The same ordinary C# without the copies: no socket, interop or copy call anywhere, as in most of a solution's
    /// projects. No rule has anything to look at.
    /// </summary>
    Plain,

    /// <summary>Ordinary code mixed with socket and interop code written correctly (what the rules must not flag).</summary>
    CorrectSockets,

    /// <summary>
    /// Ordinary code, correct socket/interop code, and a few ports of the listing with its bugs, so every rule does
    /// real work (the benchmark corpus).
    /// </summary>
    Mixed,

    /// <summary>
    /// Ordinary code with a large P/Invoke layer, as generated bindings have: every tenth file declares a hundred imports
    /// under their own names, and a third of the rest call some of them, checking the result. No sockets.
    /// </summary>
    InteropLayer,
}

/// <summary>
/// Generates large, realistic, compilable C# corpora, deterministically from a seed. Shared by the
/// analyzer cost harness (tests/KernelSafety.Benchmarks) and the robustness/quietness tests.
/// </summary>
public static class CorpusGenerator
{
    /// <summary>Generates files until at least <paramref name="targetLines"/> lines are written.</summary>
    public static IReadOnlyList<(string Path, string Text)> Generate(CorpusKind kind, int targetLines, int seed = 42)
    {
        var random = new Random(seed);
        var files = new List<(string, string)>();
        var lines = 0;
        for (var i = 0; lines < targetLines; i++)
        {
            var text = NextFile(kind, i, random);
            files.Add(($"Corpus/File{i:D5}.cs", text));
            lines += CountLines(text);
        }

        return files;
    }

    public static int CountLines(string text)
    {
        var count = 1;
        foreach (var c in text)
        {
            if (c == '\n')
            {
                count++;
            }
        }

        return count;
    }

    private static string NextFile(CorpusKind kind, int i, Random random)
    {
        var roll = random.Next(100);
        return kind switch
        {
            CorpusKind.Ordinary => Ordinary(i, random),
            CorpusKind.Plain => Ordinary(i, random, copies: false),
            CorpusKind.CorrectSockets => roll < 60 ? Ordinary(i, random) : roll < 80 ? CorrectManaged(i, random) : CorrectNative(i, random),
            CorpusKind.InteropLayer => i % 10 == 0 ? Bindings(i) : roll < 33 ? BindingCaller(i, random) : Ordinary(i, random),
            _ => roll < 60 ? Ordinary(i, random) : roll < 75 ? CorrectManaged(i, random) : roll < 90 ? CorrectNative(i, random) : Listing(i, random),
        };
    }

    /// <summary>
    /// One file whose one method holds <paramref name="blocks"/> blocks, each with copies, a send loop and port stores
    /// written correctly (about 15 lines each): what generated serializers and long protocol handlers look like. The
    /// rules' cost on it must grow with the method's length, not with its square. <paramref name="flat"/> writes the
    /// blocks' statements one after another in the method's own block, each group ending with a guard, so that every
    /// local and every guard stays in scope to the end.
    /// </summary>
    public static IReadOnlyList<(string Path, string Text)> LongMethod(int blocks, bool flat = false)
    {
        var sb = new StringBuilder();
        sb.Append("""
            using System;
            using System.Net;
            using System.Net.Sockets;

            namespace Corpus.Long;

            public struct sockaddr_in
            {
                public ushort sin_family;
                public ushort sin_port;
                public uint sin_addr;
            }

            public sealed class Handler
            {
                private readonly byte[] _scratch = new byte[4096];
                private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                private ushort _port;

                public void Run(byte[] input, int length, ushort port)
                {
                    if (length > input.Length || length > _scratch.Length)
                    {
                        throw new ArgumentOutOfRangeException(nameof(length));
                    }

            """);
        for (var i = 0; i < blocks; i++)
        {
            var sendLoop = $$"""
                var chunk{{i}} = new byte[length];
                Buffer.BlockCopy(input, 0, chunk{{i}}, 0, length);
                Array.Copy(chunk{{i}}, 0, _scratch, 0, Math.Min(length, _scratch.Length));
                var sent{{i}} = 0;
                while (sent{{i}} < length)
                {
                    var n{{i}} = _socket.Send(chunk{{i}}, sent{{i}}, length - sent{{i}}, SocketFlags.None);
                    if (n{{i}} <= 0) throw new InvalidOperationException("the peer closed the connection");
                    sent{{i}} += n{{i}};
                }


                """;
            var guard = flat ? $"if (sent{i} > length) throw new InvalidOperationException(\"sent more than asked\");\n" : string.Empty;
            var portStores = $$"""
                var addr{{i}} = new sockaddr_in { sin_family = 2, sin_port = (ushort)IPAddress.HostToNetworkOrder((short)port) };
                _port = (ushort)IPAddress.HostToNetworkOrder((short)port);

                """;
            var group = sendLoop + guard + portStores;
            sb.Append(flat ? Indent(group, 8) : Indent("{\n" + Indent(group, 4) + "}\n", 8));
        }

        sb.Append("""
                }
            }

            """);
        return [(flat ? "Corpus/LongFlatMethod.cs" : "Corpus/LongMethod.cs", sb.ToString())];
    }

    /// <summary><paramref name="text"/> with every non-empty line indented by <paramref name="spaces"/>.</summary>
    private static string Indent(string text, int spaces)
    {
        var indent = new string(' ', spaces);
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            lines[i] = lines[i].Length == 0 ? lines[i] : indent + lines[i];
        }

        return string.Join("\n", lines);
    }

    private const int ImportsPerBindingsFile = 100;

    private static string Bindings(int i)
    {
        var sb = new StringBuilder();
        sb.Append($$"""
            using System;
            using System.Runtime.InteropServices;

            namespace Corpus.Interop;

            internal static class Bindings{{i}}
            {

            """);
        for (var k = 0; k < ImportsPerBindingsFile; k++)
        {
            sb.Append($$"""
                    [DllImport("libdevice", EntryPoint = "dev_op_{{i}}_{{k}}", SetLastError = true)]
                    internal static extern int DevOp{{i}}_{{k}}(IntPtr handle, int request, nint argument);

                """);
        }

        sb.Append("}\n");
        return sb.ToString();
    }

    private static string BindingCaller(int i, Random random)
    {
        // Calls into the bindings files declared so far (every tenth file, from the first).
        var bindings = random.Next(i / 10 + 1) * 10;
        var sb = new StringBuilder();
        sb.Append($$"""
            using System;
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            namespace Corpus.Interop;

            public sealed class Device{{i}} : IDisposable
            {
                private readonly IntPtr _handle;

                public Device{{i}}(IntPtr handle) => _handle = handle;

            """);
        var methods = 3 + random.Next(5);
        for (var m = 0; m < methods; m++)
        {
            sb.Append($$"""
                    public int Control{{m}}(int request, nint argument)
                    {
                        var rc = Bindings{{bindings}}.DevOp{{bindings}}_{{random.Next(ImportsPerBindingsFile)}}(_handle, request, argument);
                        if (rc < 0)
                        {
                            throw new Win32Exception(Marshal.GetLastWin32Error(), $"control {{m}} failed");
                        }

                        return rc;
                    }

                """);
        }

        sb.Append("""
                public void Dispose()
                {
                }
            }

            """);
        return sb.ToString();
    }

    private static string Ordinary(int i, Random random, bool copies = true)
    {
        var sb = new StringBuilder();
        sb.Append($$"""
            using System;
            using System.Collections.Generic;
            using System.Linq;
            using System.Text;

            namespace Corpus.Ordinary{{i % 37}};

            public sealed record Item{{i}}(int Id, string Name, decimal Price, IReadOnlyList<string> Tags);

            public sealed class Catalog{{i}}
            {
                private readonly Dictionary<int, Item{{i}}> _items = new();
                private readonly List<string> _log = new();
                private static readonly int[] Weights = { 3, 5, 7, 11, 13 };

            """);
        var methods = 4 + random.Next(6);
        for (var m = 0; m < methods; m++)
        {
            switch (random.Next(6))
            {
                case 0:
                    sb.Append($$"""
                            public void Add{{m}}(int id, string name, decimal price, params string[] tags)
                            {
                                if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("name is required", nameof(name));
                                var item = new Item{{i}}(id, name.Trim(), Math.Round(price, 2), tags.Distinct().ToArray());
                                _items[id] = item;
                                _log.Add($"added {id}: {name}");
                            }

                        """);
                    break;
                case 1:
                    sb.Append($$"""
                            public IReadOnlyList<Item{{i}}> Search{{m}}(string text, int take)
                            {
                                return _items.Values
                                    .Where(x => x.Name.Contains(text, StringComparison.OrdinalIgnoreCase) || x.Tags.Contains(text))
                                    .OrderByDescending(x => x.Price)
                                    .ThenBy(x => x.Id)
                                    .Take(take)
                                    .ToList();
                            }

                        """);
                    break;
                case 2:
                    sb.Append($$"""
                            public string Render{{m}}()
                            {
                                var sb = new StringBuilder();
                                foreach (var item in _items.Values)
                                {
                                    sb.Append(item.Id).Append(';').Append(item.Name).Append(';').AppendLine(item.Price.ToString("F2"));
                                }
                                {{(copies ? "var buffer = new char[sb.Length];\n        sb.CopyTo(0, buffer, 0, sb.Length);\n        return new string(buffer);" : "return sb.ToString();")}}
                            }

                        """);
                    break;
                case 3:
                    sb.Append($$"""
                            public int Checksum{{m}}(ReadOnlySpan<int> values)
                            {
                                var sum = 0;
                                for (var k = 0; k < values.Length; k++)
                                {
                                    sum = unchecked(sum * 31 + values[k] * Weights[k % Weights.Length]);
                                }
                                {{(copies ? "var copy = new int[values.Length];\n        values.CopyTo(copy);" : "var copy = values.ToArray();")}}
                                Array.Sort(copy);
                                return sum ^ (copy.Length > 0 ? copy[copy.Length / 2] : 0);
                            }

                        """);
                    break;
                case 4:
                    sb.Append($$"""
                            public decimal Total{{m}}(Func<Item{{i}}, bool> filter)
                            {
                                decimal total = 0;
                                foreach (var item in _items.Values)
                                {
                                    if (!filter(item)) continue;
                                    total += item.Price * (item.Tags.Count + 1);
                                }
                                return total;
                            }

                        """);
                    break;
                default:
                    sb.Append($$"""
                            public int[] Merge{{m}}(int[] left, int[] right)
                            {
                                {{(copies ? "var result = new int[left.Length + right.Length];\n        Array.Copy(left, result, left.Length);\n        Array.Copy(right, 0, result, left.Length, right.Length);" : "var result = left.Concat(right).ToArray();")}}
                                Array.Sort(result);
                                return result;
                            }

                        """);
                    break;
            }
        }

        sb.Append("}\n");
        return sb.ToString();
    }

    private static string CorrectManaged(int i, Random random)
    {
        var size = 64 << random.Next(4);
        return $$"""
            using System;
            using System.Buffers;
            using System.IO;
            using System.Net;
            using System.Net.Sockets;
            using System.Text;
            using System.Threading;
            using System.Threading.Tasks;

            namespace Corpus.Sockets{{i % 17}};

            /// <summary>A persistent connection that forwards bounded writes.</summary>
            public sealed class Forwarder{{i}} : IDisposable
            {
                private const int Capacity = {{size}};
                private readonly Socket _socket;
                private readonly byte[] _buffer = new byte[Capacity];
                private readonly object _gate = new();

                public Forwarder{{i}}(int port)
                {
                    _socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    _socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
                }

                public int Write(byte[] data, int length)
                {
                    if (length > Capacity || length > data.Length) throw new ArgumentOutOfRangeException(nameof(length));
                    lock (_gate)
                    {
                        Buffer.BlockCopy(data, 0, _buffer, 0, length);
                        _socket.Send(_buffer, 0, length, SocketFlags.None);
                    }
                    return length;
                }

                public int WriteClamped(ReadOnlySpan<byte> data)
                {
                    lock (_gate)
                    {
                        var n = Math.Min(data.Length, _buffer.Length);
                        data.Slice(0, n).CopyTo(_buffer);
                        return _socket.Send(_buffer, 0, n, SocketFlags.None);
                    }
                }

                public void WriteText(string text)
                {
                    var bytes = Encoding.UTF8.GetBytes(text);
                    _socket.Send(bytes);
                }

                public void WritePooled(ReadOnlySpan<byte> data)
                {
                    var rented = ArrayPool<byte>.Shared.Rent(data.Length);
                    try
                    {
                        data.CopyTo(rented);
                        _socket.Send(rented, 0, data.Length, SocketFlags.None);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(rented);
                    }
                }

                public static async Task<Socket> OpenAsync(int port, CancellationToken cancellationToken)
                {
                    var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
                    return socket;
                }

                public static async Task CopyAsync(Stream source, Stream destination, CancellationToken cancellationToken)
                {
                    var buffer = new byte[{{size}}];
                    int read;
                    while ((read = await source.ReadAsync(buffer, 0, buffer.Length, cancellationToken)) > 0)
                    {
                        await destination.WriteAsync(buffer, 0, read, cancellationToken);
                    }
                }

                public static void Relay(Stream source, Stream destination)
                {
                    var buffer = new byte[{{size}}];
                    int n = source.Read(buffer, 0, buffer.Length);
                    destination.Write(buffer, 0, n);
                }

                public static Task<TcpClient> ConnectClientAsync(int port)
                {
                    var client = new TcpClient();
                    return client.ConnectAsync(IPAddress.Loopback, port).ContinueWith(_ => client, TaskScheduler.Default);
                }

                public void Dispose() => _socket.Dispose();
            }
            """;
    }

    private static string CorrectNative(int i, Random random)
    {
        var size = 80 + random.Next(4) * 16;
        return $$"""
            using System;
            using System.Net;
            using System.Runtime.InteropServices;

            namespace Corpus.Native{{i % 13}};

            internal static unsafe class Libc{{i}}
            {
                private const int MaxMessage = {{size}};

                [StructLayout(LayoutKind.Sequential)]
                private struct sockaddr_in
                {
                    public ushort sin_family;
                    public ushort sin_port;
                    public uint sin_addr;
                    public ulong sin_zero;
                }

                [DllImport("libc", SetLastError = true)]
                private static extern int socket(int domain, int type, int protocol);

                [DllImport("libc", SetLastError = true)]
                private static extern int connect(int fd, sockaddr_in* address, int length);

                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int fd, byte* buffer, nint length, int flags);

                [DllImport("libc", SetLastError = true)]
                private static extern int close(int fd);

                [DllImport("libc", EntryPoint = "memcpy")]
                private static extern void* MemCopy(void* destination, void* source, nuint count);

                public static int Open(ushort port)
                {
                    var fd = socket(2, 1, 0);
                    if (fd < 0)
                    {
                        return -1;
                    }

                    var address = new sockaddr_in
                    {
                        sin_family = 2,
                        sin_port = (ushort)IPAddress.HostToNetworkOrder((short)port),
                        sin_addr = 0x0100007F,
                    };
                    if (connect(fd, &address, sizeof(sockaddr_in)) < 0)
                    {
                        close(fd);
                        return -1;
                    }

                    return fd;
                }

                public static int SendAll(int fd, byte* buffer, nint length)
                {
                    nint sent = 0;
                    while (sent < length)
                    {
                        var n = send(fd, buffer + sent, length - sent, 0);
                        if (n < 0)
                        {
                            return -1;
                        }

                        sent += n;
                    }

                    return 0;
                }

                public static int Forward(int fd, byte* data, int length)
                {
                    if (length > MaxMessage)
                    {
                        return -1;
                    }

                    byte* message = stackalloc byte[MaxMessage];
                    MemCopy(message, data, (nuint)length);
                    return SendAll(fd, message, length);
                }
            }
            """;
    }

    private static string Listing(int i, Random random)
    {
        return $$"""
            using System;
            using System.Net;
            using System.Net.Sockets;
            using System.Runtime.InteropServices;

            namespace Corpus.Legacy{{i % 7}};

            /// <summary>The listing's device_write, bugs and all.</summary>
            public static unsafe class LegacyDevice{{i}}
            {
                private static byte[] msg = new byte[80];

                [StructLayout(LayoutKind.Sequential)]
                private struct sockaddr_in
                {
                    public ushort sin_family;
                    public ushort sin_port;
                    public uint sin_addr;
                    public ulong sin_zero;
                }

                [DllImport("libc", SetLastError = true)]
                private static extern int socket(int domain, int type, int protocol);

                [DllImport("libc", SetLastError = true)]
                private static extern int connect(int fd, sockaddr_in* address, int length);

                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int fd, byte[] buffer, nint length, int flags);

                [DllImport("libc")]
                private static extern int close(int fd);

                public static int DeviceWrite(byte[] buff, int len, ushort port)
                {
                    Buffer.BlockCopy(buff, 0, msg, 0, 80);
                    int fd = socket(2, 1, 0);
                    var server = new sockaddr_in { sin_family = 2, sin_addr = 0x0100007F };
                    server.sin_port = port;
                    int k = connect(fd, &server, sizeof(sockaddr_in));
                    if (k < 0) Console.WriteLine("connect failed");
                    nint leng = send(fd, msg, 80, 0);
                    if (leng != 0) Console.WriteLine("OK");
                    close(fd);
                    return len;
                }

                public static int ManagedWrite(byte[] buff, int len, int port)
                {
                    Buffer.BlockCopy(buff, 0, msg, 0, len);
                    using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
                    socket.Send(msg, 0, 80, SocketFlags.None);
                    return len;
                }
            }
            """;
    }
}
