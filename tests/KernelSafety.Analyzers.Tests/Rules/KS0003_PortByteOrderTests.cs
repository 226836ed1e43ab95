using System.Reflection;
using KernelSafety.Analyzers.Rules;
using KernelSafety.CodeFixes.Fixes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Testing;
using VerifyCS = KernelSafety.Analyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    KernelSafety.Analyzers.Rules.PortByteOrderAnalyzer,
    KernelSafety.CodeFixes.Fixes.PortByteOrderFix>;

namespace KernelSafety.Analyzers.Tests.Rules;

public class KS0003_PortByteOrderTests
{
    private const string Usings = """
        using System;
        using System.Buffers.Binary;
        using System.Net;
        using System.Net.Sockets;
        using System.Runtime.InteropServices;

        """;

    private const string Sockaddr = """

        [StructLayout(LayoutKind.Sequential)]
        struct sockaddr_in
        {
            public ushort sin_family;
            public ushort sin_port;
            public uint sin_addr;
            public ulong sin_zero;
        }
        """;

    private const string Libc = """

        static class Libc
        {
            [DllImport("libc")]
            public static extern ushort htons(ushort hostshort);

            [DllImport("libc")]
            public static extern ushort ntohs(ushort netshort);

            [DllImport("libc", SetLastError = true)]
            public static extern int connect(int fd, ref sockaddr_in addr, int len);
        }
        """;

    // The exact expressions the fixes generate, shared by the fix tests and the evaluation tests below.
    private static string ToNetworkUShort(string port) => $"unchecked((ushort)IPAddress.HostToNetworkOrder((short){port}))";

    private static string ToNetworkShort(string port) => $"unchecked(IPAddress.HostToNetworkOrder((short){port}))";

    private static string ToHostUShort(string port) => $"unchecked((ushort)IPAddress.NetworkToHostOrder((short){port}))";

    private static string Code(string body) => Usings + body + Sockaddr + Libc;

    // ---------------------------------------------------------------------------------------------
    // Flagged: host-order values in network-order destinations

    [Fact]
    public Task Literal_port_stored_in_sin_port_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Bridge
            {
                static void Open(int fd)
                {
                    var server = new sockaddr_in();
                    server.sin_family = 2;
                    {|KS0003:server.sin_port = 2001|};
                    Libc.connect(fd, ref server, 16);
                }
            }
            """));

    [Fact]
    public Task Port_converted_with_the_32_or_64_bit_overload_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Bridge
            {
                static sockaddr_in Make(int port, long wide)
                {
                    sockaddr_in addr = default;
                    {|KS0003:addr.sin_port = (ushort)IPAddress.HostToNetworkOrder(port)|};
                    {|KS0003:addr.sin_port = (ushort)IPAddress.HostToNetworkOrder(2001)|};
                    {|KS0003:addr.sin_port = unchecked((ushort)IPAddress.HostToNetworkOrder(wide))|};
                    return addr;
                }

                static IPEndPoint Peer(sockaddr_in addr)
                    => new IPEndPoint(IPAddress.Loopback, {|KS0003:IPAddress.NetworkToHostOrder(addr.sin_port)|});

                static IPEndPoint PeerCast(sockaddr_in addr)
                    => new IPEndPoint(IPAddress.Loopback, {|KS0003:IPAddress.NetworkToHostOrder((int)addr.sin_port)|});

                static void Native(IntPtr sockaddr, int port)
                {
                    Marshal.WriteInt16(sockaddr, 0, 2);
                    Marshal.WriteInt16(sockaddr, 2, {|KS0003:(short)IPAddress.HostToNetworkOrder(port)|});
                }

                static IPEndPoint PeerThroughALocal(sockaddr_in addr)
                {
                    int p = IPAddress.NetworkToHostOrder(addr.sin_port);
                    return new IPEndPoint(IPAddress.Loopback, {|KS0003:p|});
                }

                static sockaddr_in StoreThroughALocal(int port)
                {
                    var net = (ushort)IPAddress.HostToNetworkOrder(port);
                    var addr = new sockaddr_in { sin_family = 2 };
                    {|KS0003:addr.sin_port = net|};
                    return addr;
                }
            }
            """));

    [Fact]
    public Task First_two_bytes_of_a_32_or_64_bit_conversion_of_a_port_are_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Reply
            {
                public int Port;

                static byte[] Direct(int port)
                {
                    var data = new byte[10];
                    Buffer.BlockCopy(BitConverter.GetBytes({|#0:IPAddress.HostToNetworkOrder(port)|}), 0, data, 8, 2);
                    return data;
                }

                // The ninth pass's SOCKS5 reply (BND.PORT): NetworkToHostOrder makes the same swap, kept in a local.
                byte[] GetData()
                {
                    var data = new byte[10];
                    var port = IPAddress.NetworkToHostOrder(Port);
                    Buffer.BlockCopy(BitConverter.GetBytes({|#1:port|}), 0, data, 8, 2);
                    return data;
                }

                static byte[] Elements(int port)
                {
                    var b = BitConverter.GetBytes({|#2:IPAddress.HostToNetworkOrder(port)|});
                    var data = new byte[2];
                    data[0] = b[0];
                    data[1] = b[1];
                    return data;
                }

                static byte[] Wide(long port)
                {
                    var data = new byte[2];
                    Array.Copy(BitConverter.GetBytes({|#3:IPAddress.HostToNetworkOrder(port)|}), data, 2);
                    return data;
                }

                static void Span(int port, byte[] buf)
                {
                    var b = BitConverter.GetBytes({|#5:IPAddress.HostToNetworkOrder(port)|});
                    b.AsSpan(0, 2).CopyTo(buf.AsSpan(8));
                }

                // A SOCKS client writing DST.PORT straight to the stream.
                static void Request(System.IO.Stream stream, int port)
                    => stream.Write(BitConverter.GetBytes({|#4:IPAddress.HostToNetworkOrder(port)|}), 0, 2);
            }
            """),
            VerifyCS.Diagnostic("KS0003").WithLocation(0).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations)
                .WithArguments("IPAddress.HostToNetworkOrder(port)", "32-bit network", "the first two bytes of 'BitConverter.GetBytes'", "16-bit network", "the conversion swaps all of its bytes, so the port is not in the low 16 bits; convert a 16-bit value: 'IPAddress.HostToNetworkOrder((short)port)'"),
            VerifyCS.Diagnostic("KS0003").WithLocation(1).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations)
                .WithArguments("port", "32-bit network", "the first two bytes of 'BitConverter.GetBytes'", "16-bit network", "the conversion swaps all of its bytes, so the port is not in the low 16 bits; convert a 16-bit value: 'IPAddress.HostToNetworkOrder((short)port)'"),
            VerifyCS.Diagnostic("KS0003").WithLocation(2).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations)
                .WithArguments("IPAddress.HostToNetworkOrder(port)", "32-bit network", "the first two bytes of 'BitConverter.GetBytes'", "16-bit network", "the conversion swaps all of its bytes, so the port is not in the low 16 bits; convert a 16-bit value: 'IPAddress.HostToNetworkOrder((short)port)'"),
            VerifyCS.Diagnostic("KS0003").WithLocation(3).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations)
                .WithArguments("IPAddress.HostToNetworkOrder(port)", "64-bit network", "the first two bytes of 'BitConverter.GetBytes'", "16-bit network", "the conversion swaps all of its bytes, so the port is not in the low 16 bits; convert a 16-bit value: 'IPAddress.HostToNetworkOrder((short)port)'"),
            VerifyCS.Diagnostic("KS0003").WithLocation(4).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations)
                .WithArguments("IPAddress.HostToNetworkOrder(port)", "32-bit network", "the first two bytes of 'BitConverter.GetBytes'", "16-bit network", "the conversion swaps all of its bytes, so the port is not in the low 16 bits; convert a 16-bit value: 'IPAddress.HostToNetworkOrder((short)port)'"),
            VerifyCS.Diagnostic("KS0003").WithLocation(5).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations)
                .WithArguments("IPAddress.HostToNetworkOrder(port)", "32-bit network", "the first two bytes of 'BitConverter.GetBytes'", "16-bit network", "the conversion swaps all of its bytes, so the port is not in the low 16 bits; convert a 16-bit value: 'IPAddress.HostToNetworkOrder((short)port)'"));

    [Fact]
    public Task Fix_is_not_offered_for_the_first_two_bytes_of_a_conversion_kept_in_a_local()
        => VerifyCS.VerifyCodeFixAsync(Code("""
            class Reply
            {
                public int Port;

                byte[] GetData()
                {
                    var data = new byte[10];
                    var port = IPAddress.NetworkToHostOrder(Port);
                    Buffer.BlockCopy(BitConverter.GetBytes({|KS0003:port|}), 0, data, 8, 2);
                    return data;
                }
            }
            """), Code("""
            class Reply
            {
                public int Port;

                byte[] GetData()
                {
                    var data = new byte[10];
                    var port = IPAddress.NetworkToHostOrder(Port);
                    Buffer.BlockCopy(BitConverter.GetBytes({|KS0003:port|}), 0, data, 8, 2);
                    return data;
                }
            }
            """));

    [Fact]
    public Task Bytes_of_a_32_bit_conversion_used_otherwise_are_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Reply
            {
                // The last two bytes of the swapped int are the port in network order, on every machine.
                static byte[] LastTwo(int port)
                {
                    var data = new byte[10];
                    Buffer.BlockCopy(BitConverter.GetBytes(IPAddress.HostToNetworkOrder(port)), 2, data, 8, 2);
                    var b = BitConverter.GetBytes(IPAddress.HostToNetworkOrder(port));
                    data[0] = b[2];
                    data[1] = b[3];
                    return data;
                }

                static byte[] SixteenBits(int port)
                {
                    var data = new byte[10];
                    Buffer.BlockCopy(BitConverter.GetBytes(IPAddress.HostToNetworkOrder((short)port)), 0, data, 8, 2);
                    return data;
                }

                // All four bytes: a 32-bit field, not a port.
                static void Length(System.IO.Stream stream, int length)
                    => stream.Write(BitConverter.GetBytes(IPAddress.HostToNetworkOrder(length)), 0, 4);

                // Not a port.
                static byte[] Count(int count)
                {
                    var data = new byte[2];
                    Buffer.BlockCopy(BitConverter.GetBytes(IPAddress.HostToNetworkOrder(count)), 0, data, 0, 2);
                    return data;
                }

                // The port moved into the high half first.
                static byte[] HighHalf(int port)
                {
                    var data = new byte[2];
                    Buffer.BlockCopy(BitConverter.GetBytes(IPAddress.HostToNetworkOrder(port << 16)), 0, data, 0, 2);
                    return data;
                }

                // The array goes elsewhere too: which bytes are the port is not known here.
                static byte[] PassedOn(int port, byte[] data)
                {
                    var b = BitConverter.GetBytes(IPAddress.HostToNetworkOrder(port));
                    data[0] = b[0];
                    data[1] = b[1];
                    Keep(b);
                    return data;
                }

                static void Keep(byte[] bytes) { }

                // A 32-bit value read off the wire, converted back to the host's order for a little-endian record.
                static void ToHostRecord(byte[] wire, byte[] record)
                {
                    int rawPort = BitConverter.ToInt32(wire, 4);
                    int port = IPAddress.NetworkToHostOrder(rawPort);
                    Buffer.BlockCopy(BitConverter.GetBytes(port), 0, record, 0, 2);
                }

                static void SpanOfTheLastTwo(int port, byte[] buf)
                {
                    var b = BitConverter.GetBytes(IPAddress.HostToNetworkOrder(port));
                    b.AsSpan(2, 2).CopyTo(buf.AsSpan(8));
                }

                // Four bytes sent: a 32-bit field.
                static void Whole(System.IO.Stream stream, int port)
                    => stream.Write(BitConverter.GetBytes(IPAddress.HostToNetworkOrder(port)), 0, 4);

                // A 32-bit host-order value: GetBytes takes its bytes as they are (not a byte-order question here).
                static byte[] Plain(int port)
                {
                    var data = new byte[2];
                    Buffer.BlockCopy(BitConverter.GetBytes(port), 0, data, 0, 2);
                    return data;
                }
            }
            """));

    [Fact]
    public Task Fix_converts_the_port_as_16_bits_for_the_first_two_bytes_of_GetBytes()
        => VerifyCS.VerifyCodeFixAsync(Code("""
            class Reply
            {
                public int Port;

                static byte[] Direct(int port)
                {
                    var data = new byte[10];
                    Buffer.BlockCopy(BitConverter.GetBytes({|KS0003:IPAddress.HostToNetworkOrder(port)|}), 0, data, 8, 2);
                    return data;
                }

                static byte[] Elements(int port)
                {
                    var b = BitConverter.GetBytes({|KS0003:IPAddress.NetworkToHostOrder(port)|});
                    return new[] { b[0], b[1] };
                }
            }
            """), Code($$"""
            class Reply
            {
                public int Port;

                static byte[] Direct(int port)
                {
                    var data = new byte[10];
                    Buffer.BlockCopy(BitConverter.GetBytes({{ToNetworkShort("port")}}), 0, data, 8, 2);
                    return data;
                }

                static byte[] Elements(int port)
                {
                    var b = BitConverter.GetBytes({{ToNetworkShort("port")}});
                    return new[] { b[0], b[1] };
                }
            }
            """));

    [Fact]
    public Task Port_converted_as_16_bits_or_an_int_that_is_not_a_port_field_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Bridge
            {
                public uint Address;

                static sockaddr_in Make(int port, uint address)
                {
                    sockaddr_in addr = default;
                    addr.sin_port = (ushort)IPAddress.HostToNetworkOrder((short)port);
                    addr.sin_addr = (uint)IPAddress.HostToNetworkOrder((int)address);
                    return addr;
                }

                static IPEndPoint Peer(sockaddr_in addr)
                    => new IPEndPoint(IPAddress.Loopback, (ushort)IPAddress.NetworkToHostOrder((short)addr.sin_port));

                static IPEndPoint PeerThroughA16BitLocal(sockaddr_in addr)
                {
                    ushort p = (ushort)IPAddress.NetworkToHostOrder((short)addr.sin_port);
                    return new IPEndPoint(IPAddress.Loopback, p);
                }

                static sockaddr_in HighHalf(int port)
                {
                    sockaddr_in addr = default;
                    // The port moved into the high half first: the swap brings it back down (on little-endian machines).
                    addr.sin_port = (ushort)IPAddress.HostToNetworkOrder(port << 16);
                    return addr;
                }
            }
            """));

    [Fact]
    public Task Fix_is_not_offered_for_a_wide_conversion_kept_in_a_local()
        => VerifyCS.VerifyCodeFixAsync(Code("""
            class Bridge
            {
                static IPEndPoint Peer(sockaddr_in addr)
                {
                    int p = IPAddress.NetworkToHostOrder(addr.sin_port);
                    return new IPEndPoint(IPAddress.Loopback, {|KS0003:p|});
                }
            }
            """), Code("""
            class Bridge
            {
                static IPEndPoint Peer(sockaddr_in addr)
                {
                    int p = IPAddress.NetworkToHostOrder(addr.sin_port);
                    return new IPEndPoint(IPAddress.Loopback, {|KS0003:p|});
                }
            }
            """));

    [Fact]
    public Task Fix_converts_the_port_as_16_bits_in_place_of_the_wide_overload()
        => VerifyCS.VerifyCodeFixAsync(Code("""
            class Bridge
            {
                static sockaddr_in Make(int port)
                {
                    sockaddr_in addr = default;
                    {|KS0003:addr.sin_port = (ushort)IPAddress.HostToNetworkOrder(port)|};
                    return addr;
                }

                static IPEndPoint Peer(sockaddr_in addr)
                    => new IPEndPoint(IPAddress.Loopback, {|KS0003:IPAddress.NetworkToHostOrder((int)addr.sin_port)|});

                static void Native(IntPtr sockaddr, int port)
                    => Marshal.WriteInt16(sockaddr, 2, {|KS0003:(short)IPAddress.HostToNetworkOrder(port)|});
            }
            """), Code($$"""
            class Bridge
            {
                static sockaddr_in Make(int port)
                {
                    sockaddr_in addr = default;
                    addr.sin_port = {{ToNetworkUShort("port")}};
                    return addr;
                }

                static IPEndPoint Peer(sockaddr_in addr)
                    => new IPEndPoint(IPAddress.Loopback, {{ToHostUShort("addr.sin_port")}});

                static void Native(IntPtr sockaddr, int port)
                    => Marshal.WriteInt16(sockaddr, 2, {{ToNetworkShort("port")}});
            }
            """));

    [Fact]
    public Task Parameter_cast_to_ushort_stored_in_sin_port_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Bridge
            {
                static sockaddr_in Make(int port)
                {
                    sockaddr_in addr = default;
                    {|KS0003:addr.sin_port = (ushort)port|};
                    return addr;
                }
            }
            """));

    [Fact]
    public Task Local_holding_a_literal_stored_in_sin_port_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Bridge
            {
                static sockaddr_in Make()
                {
                    ushort port = 8080;
                    var addr = new sockaddr_in();
                    {|KS0003:addr.sin_port = port|};
                    return addr;
                }
            }
            """));

    [Fact]
    public Task Object_initializer_member_is_flagged_on_the_member_assignment()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Bridge
            {
                static sockaddr_in Make(ushort port)
                    => new sockaddr_in { sin_family = 2, {|KS0003:sin_port = port|} };
            }
            """));

    [Fact]
    public Task Computed_port_from_a_base_port_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Bridge
            {
                private readonly int _basePort = 9000;

                sockaddr_in Make(int index)
                {
                    var addr = new sockaddr_in();
                    {|KS0003:addr.sin_port = (ushort)(_basePort + index)|};
                    return addr;
                }
            }
            """));

    [Fact]
    public Task Parsed_port_and_endpoint_port_are_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Bridge
            {
                static void Fill(ref sockaddr_in addr, string text, IPEndPoint endPoint, bool fromText)
                {
                    if (fromText)
                    {
                        {|KS0003:addr.sin_port = ushort.Parse(text)|};
                    }
                    else
                    {
                        {|KS0003:addr.sin_port = (ushort)endPoint.Port|};
                    }
                }
            }
            """));

    [Fact]
    public Task Runtime_style_host_order_property_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            readonly struct PortNumber
            {
                public PortNumber(ushort value) => HostOrder = value;
                public ushort HostOrder { get; }
            }

            class Bridge
            {
                static void Fill(ref sockaddr_in addr, PortNumber port)
                {
                    {|KS0003:addr.sin_port = port.HostOrder|};
                }
            }
            """));

    [Fact]
    public Task Sin6_port_through_a_pointer_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Usings + """
            unsafe struct sockaddr_in6
            {
                public ushort sin6_family;
                public short sin6_port;
                public uint sin6_flowinfo;
                public fixed byte sin6_addr[16];
                public uint sin6_scope_id;
            }

            unsafe class Bridge
            {
                static void Fill(sockaddr_in6* addr, short port)
                {
                    addr->sin6_family = 10;
                    {|KS0003:addr->sin6_port = port|};
                }
            }
            """);

    [Fact]
    public Task User_declared_NetworkByteOrder_field_property_and_parameter_are_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Usings + """
            namespace MyProtocol
            {
                [AttributeUsage(AttributeTargets.Field | AttributeTargets.Property | AttributeTargets.Parameter)]
                sealed class NetworkByteOrderAttribute : Attribute { }

                struct Header
                {
                    [NetworkByteOrder] public ushort DestinationPort;
                    [NetworkByteOrder] public ushort SourcePort { get; set; }
                }

                static class Wire
                {
                    public static void Announce([NetworkByteOrder] ushort port) { }

                    public static Header Make(ushort port)
                    {
                        var header = new Header();
                        {|KS0003:header.DestinationPort = port|};
                        {|KS0003:header.SourcePort = 5000|};
                        Announce({|KS0003:port|});
                        return header;
                    }
                }
            }
            """);

    [Fact]
    public Task NetworkByteOrder_member_declared_in_another_file_is_flagged_where_it_is_stored()
        => new VerifyCS.Test
        {
            // The storing file spells no port name: the marked member's own name (found in the declaring file) leads to it.
            TestState =
            {
                Sources =
                {
                    """
                    using System;

                    [AttributeUsage(AttributeTargets.Field | AttributeTargets.Property | AttributeTargets.Parameter)]
                    sealed class NetworkByteOrderAttribute : Attribute { }

                    struct Header
                    {
                        [NetworkByteOrder] public ushort Dst;
                    }
                    """,
                    """
                    static class Wire
                    {
                        public static Header Make(ushort p)
                        {
                            var header = new Header();
                            {|KS0003:header.Dst = p|};
                            return header;
                        }
                    }
                    """,
                },
            },
        }.RunAsync();

    [Fact]
    public Task Part_of_a_partial_type_is_analyzed_when_another_part_spells_a_destination()
        => new VerifyCS.Test
        {
            // The second part spells no port destination (its endpoint is made target-typed, and the source index
            // finds names per file): the type is looked at whole because its first part spells IPEndPoint.
            TestState =
            {
                Sources =
                {
                    """
                    using System.Net;

                    partial class Peer
                    {
                        private IPEndPoint? _endpoint;
                    }
                    """,
                    """
                    using System.Net;

                    partial class Peer
                    {
                        public void Open(int number) => _endpoint = new(IPAddress.Loopback, {|KS0003:IPAddress.HostToNetworkOrder((short)number)|});
                    }
                    """,
                },
            },
        }.RunAsync();

    [Fact]
    public Task Type_nested_in_a_part_is_analyzed_when_another_part_of_its_container_spells_a_destination()
        => new VerifyCS.Test
        {
            // Inner's own source spells no destination; its container's does. (Registered per type through symbol-start
            // actions, the container's actions did not run in Inner's members, and this was missed.)
            TestState =
            {
                Sources =
                {
                    """
                    using System.Net;

                    partial class Outer
                    {
                        private static IPEndPoint? s_endpoint;
                    }
                    """,
                    """
                    using System.Net;

                    partial class Outer
                    {
                        class Inner
                        {
                            public void Open(int number) => s_endpoint = new(IPAddress.Loopback, {|KS0003:IPAddress.HostToNetworkOrder((short)number)|});

                            // Looked at too, and correct: a port in host order.
                            public void Reopen(int number) => s_endpoint = new(IPAddress.Loopback, number);
                        }
                    }
                    """,
                },
            },
        }.RunAsync();

    [Fact]
    public Task NetworkByteOrder_member_of_a_referenced_assembly_is_flagged()
    {
        var test = new VerifyCS.Test
        {
            TestState =
            {
                Sources =
                {
                    """
                    static class Wire
                    {
                        public static Protocol.Header Make(ushort p)
                        {
                            var header = new Protocol.Header();
                            {|KS0003:header.Dst = p|};
                            Protocol.Header.Announce({|KS0003:p|});
                            return header;
                        }
                    }
                    """,
                },
                AdditionalProjectReferences = { "Protocol" },
            },
        };
        test.TestState.AdditionalProjects["Protocol"].Sources.Add("""
            using System;

            namespace Protocol
            {
                [AttributeUsage(AttributeTargets.Field | AttributeTargets.Property | AttributeTargets.Parameter)]
                public sealed class NetworkByteOrderAttribute : Attribute { }

                public struct Header
                {
                    [NetworkByteOrder] public ushort Dst;

                    public static void Announce([NetworkByteOrder] ushort port) { }
                }
            }
            """);
        return test.RunAsync();
    }

    [Fact]
    public Task Referenced_NetworkByteOrder_attribute_on_a_source_member_is_flagged_where_it_is_stored()
    {
        // The attribute comes from a referenced assembly (as KernelSafety.Runtime's does), the marked member is declared in
        // one file and stored in another that spells no port name.
        var test = new VerifyCS.Test
        {
            TestState =
            {
                Sources =
                {
                    """
                    struct Header
                    {
                        [Protocol.NetworkByteOrder] public ushort Dst;
                    }
                    """,
                    """
                    static class Wire
                    {
                        public static Header Make(ushort p)
                        {
                            var header = new Header();
                            {|KS0003:header.Dst = p|};
                            return header;
                        }
                    }
                    """,
                },
                AdditionalProjectReferences = { "Protocol" },
            },
        };
        test.TestState.AdditionalProjects["Protocol"].Sources.Add("""
            namespace Protocol
            {
                [System.AttributeUsage(System.AttributeTargets.Field | System.AttributeTargets.Property | System.AttributeTargets.Parameter)]
                public sealed class NetworkByteOrderAttribute : System.Attribute { }
            }
            """);
        return test.RunAsync();
    }

    private const string RuntimeLike = """

        namespace KernelSafety.Runtime
        {
            [AttributeUsage(AttributeTargets.Field | AttributeTargets.Property | AttributeTargets.Parameter | AttributeTargets.ReturnValue)]
            public sealed class NetworkByteOrderAttribute : Attribute { }

            public static class Ports
            {
                [return: NetworkByteOrder]
                public static ushort HostToNetwork(ushort hostOrder) =>
                    BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(hostOrder) : hostOrder;

                public static ushort NetworkToHost([NetworkByteOrder] ushort networkOrder) =>
                    BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(networkOrder) : networkOrder;
            }
        }
        """;

    [Fact]
    public Task Runtime_NetworkByteOrder_parameter_and_return_value_are_understood()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Bridge
            {
                static void Use(ref sockaddr_in addr, IPAddress address, ushort port)
                {
                    addr.sin_port = KernelSafety.Runtime.Ports.HostToNetwork(port);
                    var back = KernelSafety.Runtime.Ports.NetworkToHost(addr.sin_port);
                    var wrong = KernelSafety.Runtime.Ports.NetworkToHost({|KS0003:port|});
                    var endPoint = new IPEndPoint(address, {|KS0003:KernelSafety.Runtime.Ports.HostToNetwork(port)|});
                }
            }
            """) + RuntimeLike);

    [Fact]
    public Task Port_written_little_endian_into_a_big_endian_header_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Packet
            {
                static byte[] Build(ushort sourcePort, ushort length)
                {
                    var buffer = new byte[8];
                    BinaryPrimitives.WriteUInt16LittleEndian(buffer, {|KS0003:sourcePort|});
                    BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(4), length);
                    return buffer;
                }
            }
            """));

    [Fact]
    public Task Port_written_in_native_order_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Packet
            {
                static void Build(Span<byte> span, IPEndPoint endPoint, int port)
                {
                    byte[] bytes = BitConverter.GetBytes({|KS0003:(ushort)endPoint.Port|});
                    bytes.CopyTo(span);
                    ushort localPort = (ushort)port;
                    MemoryMarshal.Write(span.Slice(2), {|KS0003:in localPort|});
                }
            }
            """));

    [Fact]
    public Task Port_written_into_native_memory_or_with_WriteUnaligned_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Native
            {
                static IntPtr Sockaddr(ushort port, uint address)
                {
                    IntPtr sa = Marshal.AllocHGlobal(16);
                    Marshal.WriteInt16(sa, 0, 2);
                    Marshal.WriteInt16(sa, 2, {|KS0003:(short)port|});
                    Marshal.WriteInt32(sa, 4, (int)address);
                    return sa;
                }

                static void Header(byte[] packet, ushort destPort)
                {
                    System.Runtime.CompilerServices.Unsafe.WriteUnaligned(ref packet[2], {|KS0003:destPort|});
                }
            }
            """));

    [Fact]
    public Task Converted_ports_and_other_values_written_into_native_memory_are_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Native
            {
                static IntPtr Sockaddr(ushort port, short family, short flags)
                {
                    IntPtr sa = Marshal.AllocHGlobal(16);
                    Marshal.WriteInt16(sa, 0, family);
                    Marshal.WriteInt16(sa, 2, IPAddress.HostToNetworkOrder((short)port));
                    Marshal.WriteInt16(sa, 8, flags);
                    return sa;
                }

                static void Header(byte[] packet, ushort length)
                {
                    System.Runtime.CompilerServices.Unsafe.WriteUnaligned(ref packet[4], length);
                    System.Runtime.CompilerServices.Unsafe.WriteUnaligned(ref packet[2], BinaryPrimitives.ReverseEndianness((ushort)2001));
                }
            }
            """));

    [Fact]
    public Task Native_order_bytes_reversed_on_little_endian_machines_are_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            using System.Linq;

            class StunAttribute
            {
                private byte[] _portField = new byte[2];

                static byte[] PortBytes(ushort port)
                {
                    byte[] bytes = BitConverter.GetBytes(port);
                    if (BitConverter.IsLittleEndian)
                    {
                        Array.Reverse(bytes);
                    }

                    return bytes;
                }

                static byte[] PeerPort(IPEndPoint endPoint)
                {
                    var bytes = BitConverter.GetBytes((ushort)endPoint.Port);
                    if (BitConverter.IsLittleEndian) Array.Reverse(bytes, 0, 2);
                    return bytes;
                }

                static void Header(Span<byte> header, ushort port)
                {
                    BitConverter.TryWriteBytes(header.Slice(2), port);
                    if (BitConverter.IsLittleEndian) header.Slice(2, 2).Reverse();
                    ushort sourcePort = port;
                    byte[] raw = new byte[4];
                    MemoryMarshal.Write(raw.AsSpan(0, 2), in sourcePort);
                    if (BitConverter.IsLittleEndian) raw.AsSpan(0, 2).Reverse();
                }

                static byte[] Linq(ushort port) => BitConverter.GetBytes(port).Reverse().ToArray();

                void Remember(ushort port)
                {
                    _portField = BitConverter.GetBytes(port);
                    if (BitConverter.IsLittleEndian) Array.Reverse(_portField);
                }
            }
            """));

    [Fact]
    public Task Native_order_bytes_are_flagged_when_another_buffer_is_reversed()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Route
            {
                static byte[] Build(ushort port, byte[] hops, Span<byte> header)
                {
                    byte[] bytes = BitConverter.GetBytes({|KS0003:port|});
                    Array.Reverse(hops);
                    BitConverter.TryWriteBytes(header, {|KS0003:port|});
                    hops.AsSpan().Reverse();
                    return bytes;
                }
            }
            """));

    [Fact]
    public Task Field_holding_a_configured_port_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Bridge
            {
                private readonly ushort _port;

                public Bridge(ushort port) => _port = port;

                sockaddr_in Target()
                {
                    var addr = new sockaddr_in { sin_family = 2 };
                    {|KS0003:addr.sin_port = _port|};
                    return addr;
                }
            }
            """));

    [Fact]
    public Task Ports_from_a_loop_and_a_with_expression_are_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Scanner
            {
                static void Probe(int fd, ushort[] ports, sockaddr_in template, ushort fallbackPort)
                {
                    foreach (var port in ports)
                    {
                        var addr = template;
                        {|KS0003:addr.sin_port = port|};
                        Libc.connect(fd, ref addr, 16);
                    }

                    var fallback = template with { {|KS0003:sin_port = fallbackPort|} };
                    Libc.connect(fd, ref fallback, 16);
                }
            }
            """));

    // ---------------------------------------------------------------------------------------------
    // Flagged: network-order values in host-order destinations

    [Fact]
    public Task HostToNetworkOrder_passed_to_IPEndPoint_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Client
            {
                static IPEndPoint Target(IPAddress address, int port)
                    => new IPEndPoint(address, {|KS0003:IPAddress.HostToNetworkOrder((short)port)|});
            }
            """));

    [Fact]
    public Task Htons_P_Invoke_passed_to_managed_clients_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Client
            {
                static void Open(string host, ushort port, Socket socket, IPAddress address)
                {
                    using var tcp = new TcpClient(host, {|KS0003:Libc.htons(port)|});
                    tcp.Connect(host, {|KS0003:Libc.htons(port)|});
                    socket.Connect(address, {|KS0003:Libc.htons(port)|});
                    var dns = new DnsEndPoint(host, {|KS0003:Libc.htons(port)|});
                    using var udp = new UdpClient(host, {|KS0003:Libc.htons(port)|});
                }
            }
            """));

    [Fact]
    public Task Converted_ports_given_to_listeners_and_datagram_sends_are_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Server
            {
                static void Listen(IPAddress address, short port, UdpClient udp, byte[] datagram)
                {
                    var listener = new TcpListener(address, {|KS0003:IPAddress.HostToNetworkOrder(port)|});
                    udp.Send(datagram, datagram.Length, "peer", {|KS0003:IPAddress.HostToNetworkOrder(port)|});
                }
            }
            """));

    [Fact]
    public Task LibraryImport_htons_under_another_name_is_flagged()
    {
        var test = new VerifyCS.Test
        {
            TestCode = Code("""
                static partial class Native
                {
                    [LibraryImport("libc", EntryPoint = "htons")]
                    public static partial ushort ToNet(ushort value);
                }

                class Client
                {
                    static IPEndPoint Target(IPAddress address, ushort port)
                        => new IPEndPoint(address, {|KS0003:Native.ToNet(port)|});
                }
                """),
            CompilerDiagnostics = CompilerDiagnostics.None,
        };
        return test.RunAsync();
    }

    [Fact]
    public Task Sin_port_read_given_to_an_endpoint_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Server
            {
                static IPEndPoint Peer(sockaddr_in peer)
                    => new IPEndPoint(new IPAddress(peer.sin_addr), {|KS0003:peer.sin_port|});
            }
            """));

    [Fact]
    public Task Endpoint_port_setter_given_a_converted_port_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Client
            {
                static void Retarget(IPEndPoint endPoint, ushort port)
                {
                    {|KS0003:endPoint.Port = Libc.htons(port)|};
                }
            }
            """));

    [Fact]
    public Task Local_holding_a_converted_port_given_to_an_endpoint_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Client
            {
                static IPEndPoint Target(IPAddress address, int port)
                {
                    var swapped = BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness((ushort)port) : (ushort)port;
                    return new IPEndPoint(address, {|KS0003:swapped|});
                }
            }
            """));

    // ---------------------------------------------------------------------------------------------
    // Not flagged

    [Fact]
    public Task Zero_port_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Server
            {
                static sockaddr_in Any()
                {
                    var addr = new sockaddr_in { sin_family = 2, sin_port = 0 };
                    addr.sin_port = default;
                    return addr;
                }
            }
            """));

    [Fact]
    public Task Converted_ports_are_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Bridge
            {
                static void Fill(ref sockaddr_in addr, ushort port, int wide, int choice)
                {
                    switch (choice)
                    {
                        case 0: addr.sin_port = (ushort)IPAddress.HostToNetworkOrder((short)port); break;
                        case 1: addr.sin_port = unchecked((ushort)IPAddress.HostToNetworkOrder((short)wide)); break;
                        case 2: addr.sin_port = Libc.htons(port); break;
                        case 3: addr.sin_port = BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(port) : port; break;
                        case 4: addr.sin_port = !BitConverter.IsLittleEndian ? port : BinaryPrimitives.ReverseEndianness(port); break;
                        case 5: addr.sin_port = BinaryPrimitives.ReverseEndianness(port); break;
                        case 6: addr.sin_port = (ushort)((port << 8) | (port >> 8)); break;
                        case 7: addr.sin_port = (ushort)(((wide & 0xFF) << 8) | ((wide >> 8) & 0xFF)); break;
                        case 8: addr.sin_port = (ushort)(((wide >> 8) & 0xff) | ((wide & 0xff) << 8)); break;
                        case 9: addr.sin_port = Libc.ntohs(port); break;
                        case 10: addr.sin_port = (ushort)((51820 >> 8) | ((51820 & 0xFF) << 8)); break;
                        case 11: addr.sin_port = (ushort)(((Listen & 0xFF) << 8) | (Listen >> 8)); break;
                    }
                }

                const ushort Listen = 2001;
            }
            """));

    [Fact]
    public Task Local_swapped_in_place_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Bridge
            {
                static sockaddr_in ConditionalSwap(ushort port)
                {
                    ushort p = port;
                    if (BitConverter.IsLittleEndian) p = BinaryPrimitives.ReverseEndianness(p);
                    return new sockaddr_in { sin_family = 2, sin_port = p };
                }

                static IPEndPoint FromSockaddr(sockaddr_in sa)
                {
                    var p = sa.sin_port;
                    p = (ushort)((p >> 8) | (p << 8));
                    return new IPEndPoint(IPAddress.Any, p);
                }
            }
            """));

    [Fact]
    public Task Local_swapped_from_another_value_is_still_classified()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Bridge
            {
                // Swapped from the port into a second local: that local is network order, the first stays host order.
                static sockaddr_in Copy(ushort port)
                {
                    ushort p = port;
                    ushort q = BinaryPrimitives.ReverseEndianness(p);
                    var a = new sockaddr_in { sin_family = 2, {|KS0003:sin_port = p|} };
                    var b = new sockaddr_in { sin_family = 2, sin_port = q };
                    return q == 0 ? a : b;
                }

                // Assigned the swap of another value: network order, given to a host-order destination.
                static IPEndPoint Swapped(ushort port)
                {
                    ushort q = 0;
                    q = BinaryPrimitives.ReverseEndianness(port);
                    return new IPEndPoint(IPAddress.Any, {|KS0003:q|});
                }

                // Reassigned from another value, not swapped in place: still the literal's order.
                static sockaddr_in Reassigned(ushort other)
                {
                    ushort p = 2001;
                    p = (ushort)(other + 1);
                    return new sockaddr_in { sin_family = 2, {|KS0003:sin_port = p|} };
                }
            }
            """));

    [Fact]
    public Task Constant_folded_shifts_that_are_not_a_swap_are_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Bridge
            {
                static void Fill(ref sockaddr_in addr, int choice)
                {
                    switch (choice)
                    {
                        case 0: {|KS0003:addr.sin_port = (ushort)((7 << 8) | 209)|}; break;
                        case 1: {|KS0003:addr.sin_port = (ushort)(2001 >> 0)|}; break;
                        case 2: {|KS0003:addr.sin_port = (ushort)(((2001 & 0xFF) << 8) | (2002 >> 8))|}; break;
                    }
                }
            }
            """));

    [Fact]
    public Task LibraryImport_htons_into_sin_port_is_not_flagged()
    {
        var test = new VerifyCS.Test
        {
            TestCode = Code("""
                static partial class Native
                {
                    [LibraryImport("libc", EntryPoint = "htons")]
                    public static partial ushort ToNet(ushort value);

                    [DllImport("libc", EntryPoint = "htons")]
                    public static extern ushort HostToNet(ushort value);
                }

                class Bridge
                {
                    static void Fill(ref sockaddr_in a, ref sockaddr_in b, ushort port)
                    {
                        a.sin_port = Native.ToNet(port);
                        b.sin_port = Native.HostToNet(port);
                    }
                }
                """),
            CompilerDiagnostics = CompilerDiagnostics.None,
        };
        return test.RunAsync();
    }

    [Fact]
    public Task Users_own_htons_helper_counts_as_a_conversion()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Bridge
            {
                static ushort htons(ushort value) => BitConverter.IsLittleEndian ? (ushort)((value << 8) | (value >> 8)) : value;

                static sockaddr_in Make(ushort port)
                {
                    var addr = new sockaddr_in();
                    addr.sin_port = htons(port);
                    return addr;
                }
            }
            """));

    [Fact]
    public Task Copies_from_other_network_order_locations_are_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            sealed class NetworkByteOrderAttribute : Attribute { }

            class Bridge
            {
                [NetworkByteOrder] public ushort CachedPort;

                void Copy(ref sockaddr_in to, sockaddr_in from, [NetworkByteOrder] ushort announced)
                {
                    to.sin_port = from.sin_port;
                    to.sin_port = CachedPort;
                    to.sin_port = announced;
                    CachedPort = from.sin_port;
                }
            }
            """));

    [Fact]
    public Task Field_given_a_converted_value_by_its_type_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Bridge
            {
                private readonly ushort _port;
                private ushort _fallback = (ushort)IPAddress.HostToNetworkOrder((short)80);

                public Bridge(ushort port) => this._port = Libc.htons(port);

                sockaddr_in Target(bool fallback)
                {
                    var addr = new sockaddr_in { sin_family = 2 };
                    addr.sin_port = fallback ? _fallback : _port;
                    return addr;
                }
            }
            """));

    [Theory]
    [InlineData("_port = Libc.htons(port);")]
    [InlineData("this._port = Libc.htons(port);")]
    [InlineData("@_port = Libc.htons(port);")]
    [InlineData("(_port) = Libc.htons(port); _port = Libc.htons(port);")]
    [InlineData("_port = 0; _port = Libc.htons(port);")]
    [InlineData("\\u005Fport = Libc.htons(port);")]
    [InlineData("_p\\u006Frt = Libc.htons(port);")]
    [InlineData("_port *= 1;")]
    public Task Field_stored_converted_in_any_spelling_is_not_flagged(string store)
        => VerifyCS.VerifyAnalyzerAsync(Code($$"""
            class Bridge
            {
                // _port = port would be host order; "_port = port" in a string is not a store either.
                private ushort _port;

                public void Configure(ushort port)
                {
                    var note = "_port = port";
                    {{store}}
                }

                sockaddr_in Target()
                {
                    var addr = new sockaddr_in { sin_family = 2 };
                    addr.sin_port = _port;
                    return addr;
                }
            }
            """));

    [Theory]
    [InlineData("_port = port;")]
    [InlineData("var _portCopy = Libc.htons(port); _port = port;")]
    [InlineData("other._port2 = Libc.htons(port); _port = port;")]
    [InlineData("Use(_port = port);")]
    [InlineData("_port += 1;")]
    public Task Field_stored_in_host_order_beside_look_alikes_is_flagged(string store)
        => VerifyCS.VerifyAnalyzerAsync(Code($$"""
            class Bridge
            {
                // _port = Libc.htons(port) in a comment converts nothing.
                private ushort _port;
                private ushort _port2;

                public void Configure(ushort port, Bridge other)
                {
                    var note = "_port = Libc.htons(port)";
                    {{store}}
                }

                static void Use(ushort value)
                {
                }

                sockaddr_in Target()
                {
                    var addr = new sockaddr_in { sin_family = 2 };
                    {|KS0003:addr.sin_port = _port|};
                    return addr;
                }
            }
            """));

    [Fact]
    public Task Local_assigned_a_converted_value_is_network_order()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Bridge
            {
                static sockaddr_in Make(ushort port)
                {
                    ushort converted = Libc.htons(port);
                    var addr = new sockaddr_in();
                    addr.sin_port = converted;
                    return addr;
                }
            }
            """));

    [Fact]
    public Task Local_with_values_of_both_orders_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Bridge
            {
                static sockaddr_in Make(ushort port, bool alreadyConverted, out ushort echoed)
                {
                    ushort value = port;
                    if (!alreadyConverted)
                    {
                        value = Libc.htons(port);
                    }

                    ushort fromOut;
                    Read(out fromOut);
                    var addr = new sockaddr_in();
                    addr.sin_port = value;
                    addr.sin_port = fromOut;
                    echoed = addr.sin_port;
                    return addr;
                }

                static void Read(out ushort v) => v = 1;
            }
            """));

    [Fact]
    public Task Names_that_say_network_order_and_unknown_sources_are_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Bridge
            {
                private ushort _netPort;

                sockaddr_in Make(ushort portBE, ushort networkPort, Func<ushort> next)
                {
                    var addr = new sockaddr_in();
                    addr.sin_port = portBE;
                    addr.sin_port = networkPort;
                    addr.sin_port = _netPort;
                    addr.sin_port = next();
                    addr.sin_port = GetPort();
                    return addr;
                }

                static ushort GetPort() => 0;
            }
            """));

    [Fact]
    public Task Names_that_say_network_order_do_not_hide_a_converted_port_given_to_a_host_order_destination()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Client
            {
                static void Open(string host, int port, IPAddress address, Socket socket)
                {
                    short wire = IPAddress.HostToNetworkOrder((short)port);
                    using var tcp = new TcpClient(host, {|KS0003:wire|});
                    var netPort = Libc.htons((ushort)port);
                    socket.Connect(address, {|KS0003:netPort|});
                    var portBE = BinaryPrimitives.ReverseEndianness((ushort)port);
                    var endPoint = new IPEndPoint(address, {|KS0003:portBE|});
                }

                static void Named(IPAddress address, ushort networkPort, int port)
                {
                    // Only the name says network order, or the value was converted back: nothing to go on.
                    var endPoint = new IPEndPoint(address, networkPort);
                    var wire = IPAddress.NetworkToHostOrder(IPAddress.HostToNetworkOrder(port));
                    endPoint.Port = wire;
                }
            }
            """));

    [Fact]
    public Task Host_order_ports_given_to_managed_endpoints_are_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Client
            {
                static void Open(string host, int port, sockaddr_in peer, IPAddress address, Socket socket)
                {
                    var endPoint = new IPEndPoint(address, port);
                    endPoint.Port = 2001;
                    socket.Connect(address, port);
                    using var tcp = new TcpClient(host, 2001);
                    var fromPeer = new IPEndPoint(address, Libc.ntohs(peer.sin_port));
                    var fromPeer2 = new IPEndPoint(address, (ushort)IPAddress.NetworkToHostOrder((short)peer.sin_port));
                    var swappedBack = new IPEndPoint(address, BinaryPrimitives.ReverseEndianness(peer.sin_port));
                }
            }
            """));

    [Fact]
    public Task Look_alike_types_and_fields_are_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Usings + """
            struct Settings { public ushort port; public ushort sin_family; }

            sealed class EndPointSpec
            {
                public EndPointSpec(string host, int port) { }
                public int Port { get; set; }
            }

            static class Net
            {
                public static ushort HostToNetworkOrder(ushort value) => value;
            }

            class Config
            {
                static void Load(ushort port)
                {
                    var settings = new Settings { port = 2001 };
                    settings.port = port;
                    var spec = new EndPointSpec("db", Net.HostToNetworkOrder(port));
                    spec.Port = IPAddress.HostToNetworkOrder((short)port);
                }
            }
            """);

    [Fact]
    public Task Little_endian_writes_of_non_ports_and_little_endian_formats_are_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Packet
            {
                static void Header(Span<byte> buffer, ushort length, ushort checksum)
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(buffer, length);
                    BitConverter.GetBytes(checksum).CopyTo(buffer.Slice(2));
                }

                // A little-endian format by design: every field is little-endian, the port too.
                static void SaveState(Span<byte> buffer, ushort listenPort, int sessions)
                {
                    BinaryPrimitives.WriteInt32LittleEndian(buffer, sessions);
                    BinaryPrimitives.WriteUInt16LittleEndian(buffer.Slice(4), listenPort);
                }

                static void BigEndian(Span<byte> buffer, ushort port)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(buffer, port);
                    BitConverter.GetBytes(Libc.htons(port)).CopyTo(buffer.Slice(2));
                }
            }
            """));

    [Fact]
    public Task Indexer_arguments_are_not_destinations()
        => VerifyCS.VerifyAnalyzerAsync(Usings + """
            sealed class NetworkByteOrderAttribute : Attribute { }

            class Endpoint : IPEndPoint
            {
                public Endpoint() : base(0, 0) { }
                public int this[int port] { get => 0; set { } }
            }

            class Table
            {
                public int this[[NetworkByteOrder] ushort key] { get => 0; set { } }

                static void Use(Table table, Endpoint endPoint, ushort port)
                {
                    var read = table[port];
                    table[port] = 1;
                    var swapped = endPoint[IPAddress.HostToNetworkOrder(port)];
                }
            }
            """);

    [Fact]
    public Task NetworkByteOrder_members_wider_than_16_bits_are_not_treated_as_ports()
        => VerifyCS.VerifyAnalyzerAsync(Usings + """
            sealed class NetworkByteOrderAttribute : Attribute { }

            struct Ipv4Header
            {
                [NetworkByteOrder] public uint SourceAddress;
            }

            class Builder
            {
                static Ipv4Header Make(uint address) => new Ipv4Header { SourceAddress = address };
            }
            """);

    [Fact]
    public Task Incomplete_code_does_not_break_the_analyzer()
    {
        var test = new VerifyCS.Test
        {
            TestCode = Code("""
                class Broken
                {
                    static void Edit(sockaddr_in addr, IPAddress address, Missing thing)
                    {
                        addr.sin_port = ;
                        addr.sin_port = thing.Port;
                        addr.sin_port = Unknown(5);
                        var endPoint = new IPEndPoint(address, );
                        var other = new IPEndPoint(address, Libc.htons(thing));
                        addr.sin_port = (ushort)IPAddress.HostToNetworkOrder();
                    }
                }
                """),
            CompilerDiagnostics = CompilerDiagnostics.None,
        };
        return test.RunAsync();
    }

    // ---------------------------------------------------------------------------------------------
    // Fixes

    [Fact]
    public Task Convert_fix_converts_a_literal_into_sin_port()
        => VerifyCS.VerifyCodeFixAsync(
            Code("""
                class Bridge
                {
                    static void Open(int fd)
                    {
                        var server = new sockaddr_in();
                        {|KS0003:server.sin_port = 2001|};
                        Libc.connect(fd, ref server, 16);
                    }
                }
                """),
            Code($$"""
                class Bridge
                {
                    static void Open(int fd)
                    {
                        var server = new sockaddr_in();
                        server.sin_port = {{ToNetworkUShort("2001")}};
                        Libc.connect(fd, ref server, 16);
                    }
                }
                """),
            PortByteOrderFix.EquivalenceKey);

    [Fact]
    public Task Convert_fix_drops_the_narrowing_cast_and_works_in_a_checked_context()
        => VerifyCS.VerifyCodeFixAsync(
            Code("""
                class Bridge
                {
                    static sockaddr_in Make(int port)
                    {
                        checked
                        {
                            var addr = new sockaddr_in();
                            {|KS0003:addr.sin_port = (ushort)port|};
                            var high = new sockaddr_in { {|KS0003:sin_port = 40000|} };
                            return addr;
                        }
                    }
                }
                """),
            Code($$"""
                class Bridge
                {
                    static sockaddr_in Make(int port)
                    {
                        checked
                        {
                            var addr = new sockaddr_in();
                            addr.sin_port = {{ToNetworkUShort("port")}};
                            var high = new sockaddr_in { sin_port = {{ToNetworkUShort("40000")}} };
                            return addr;
                        }
                    }
                }
                """));

    [Fact]
    public Task Convert_fix_replaces_an_existing_unchecked_cast()
        => VerifyCS.VerifyCodeFixAsync(
            Code("""
                class Bridge
                {
                    static void Fill(ref sockaddr_in addr, int port) => {|KS0003:addr.sin_port = unchecked((ushort)port)|};
                }
                """),
            Code($$"""
                class Bridge
                {
                    static void Fill(ref sockaddr_in addr, int port) => addr.sin_port = {{ToNetworkUShort("port")}};
                }
                """));

    [Fact]
    public Task Convert_fix_keeps_short_and_widens_to_int_destinations()
        => VerifyCS.VerifyCodeFixAsync(
            Usings + """
                struct sockaddr_in6 { public ushort sin6_family; public short sin6_port; }
                struct legacy_sockaddr { public int sin_port; public uint sin6_port; }

                class Bridge
                {
                    static void Fill(ref sockaddr_in6 six, ref legacy_sockaddr legacy, int port)
                    {
                        {|KS0003:six.sin6_port = (short)port|};
                        {|KS0003:legacy.sin_port = port|};
                        {|KS0003:legacy.sin6_port = (uint)(port + 1)|};
                    }
                }
                """,
            Usings + $$"""
                struct sockaddr_in6 { public ushort sin6_family; public short sin6_port; }
                struct legacy_sockaddr { public int sin_port; public uint sin6_port; }

                class Bridge
                {
                    static void Fill(ref sockaddr_in6 six, ref legacy_sockaddr legacy, int port)
                    {
                        six.sin6_port = {{ToNetworkShort("port")}};
                        legacy.sin_port = {{ToNetworkUShort("port")}};
                        legacy.sin6_port = {{ToNetworkUShort("(port + 1)")}};
                    }
                }
                """);

    [Fact]
    public Task Convert_fix_adds_the_System_Net_using()
        => VerifyCS.VerifyCodeFixAsync(
            """
            using System.Runtime.InteropServices;

            struct sockaddr_in { public ushort sin_family; public ushort sin_port; public uint sin_addr; }

            class Bridge
            {
                static sockaddr_in Make(ushort port) => new sockaddr_in { sin_family = 2, {|KS0003:sin_port = port|} };
            }
            """,
            $$"""
            using System.Net;
            using System.Runtime.InteropServices;

            struct sockaddr_in { public ushort sin_family; public ushort sin_port; public uint sin_addr; }

            class Bridge
            {
                static sockaddr_in Make(ushort port) => new sockaddr_in { sin_family = 2, sin_port = {{ToNetworkUShort("port")}} };
            }
            """);

    [Fact]
    public Task Fix_all_adds_the_using_once_and_keeps_the_file_header()
        => VerifyCS.VerifyCodeFixAsync(
            """
            // Copyright header.
            using System.Runtime.InteropServices;

            struct sockaddr_in { public ushort sin_family; public ushort sin_port; public uint sin_addr; }

            class Bridge
            {
                static void Fill(ref sockaddr_in a, ref sockaddr_in b, ushort port)
                {
                    {|KS0003:a.sin_port = port|};
                    {|KS0003:b.sin_port = 2001|};
                }
            }
            """,
            $$"""
            // Copyright header.
            using System.Net;
            using System.Runtime.InteropServices;

            struct sockaddr_in { public ushort sin_family; public ushort sin_port; public uint sin_addr; }

            class Bridge
            {
                static void Fill(ref sockaddr_in a, ref sockaddr_in b, ushort port)
                {
                    a.sin_port = {{ToNetworkUShort("port")}};
                    b.sin_port = {{ToNetworkUShort("2001")}};
                }
            }
            """);

    [Fact]
    public Task Fix_qualifies_IPAddress_when_another_IPAddress_is_in_scope()
        => VerifyCS.VerifyCodeFixAsync(
            """
            struct sockaddr_in { public ushort sin_family; public ushort sin_port; public uint sin_addr; }

            class IPAddress { }

            class Bridge
            {
                static sockaddr_in Make(ushort port) => new sockaddr_in { {|KS0003:sin_port = port|} };
            }
            """,
            """
            struct sockaddr_in { public ushort sin_family; public ushort sin_port; public uint sin_addr; }

            class IPAddress { }

            class Bridge
            {
                static sockaddr_in Make(ushort port) => new sockaddr_in { sin_port = unchecked((ushort)System.Net.IPAddress.HostToNetworkOrder((short)port)) };
            }
            """);

    [Fact]
    public Task Convert_fix_drops_the_in_modifier_of_a_native_order_write()
        => VerifyCS.VerifyCodeFixAsync(
            Code("""
                class Packet
                {
                    static void Build(Span<byte> span, int port)
                    {
                        ushort localPort = (ushort)port;
                        MemoryMarshal.Write(span, {|KS0003:in localPort|});
                    }
                }
                """),
            Code($$"""
                class Packet
                {
                    static void Build(Span<byte> span, int port)
                    {
                        ushort localPort = (ushort)port;
                        MemoryMarshal.Write(span, {{ToNetworkUShort("localPort")}});
                    }
                }
                """));

    [Fact]
    public Task Convert_fix_switches_a_little_endian_writer_to_big_endian()
        => VerifyCS.VerifyCodeFixAsync(
            Code("""
                class Packet
                {
                    static void Build(Span<byte> buffer, ushort sourcePort, short destinationPort)
                    {
                        BinaryPrimitives.WriteUInt16LittleEndian(buffer, {|KS0003:sourcePort|});
                        BinaryPrimitives.WriteInt16LittleEndian(buffer.Slice(2), {|KS0003:destinationPort|});
                    }
                }
                """),
            Code("""
                class Packet
                {
                    static void Build(Span<byte> buffer, ushort sourcePort, short destinationPort)
                    {
                        BinaryPrimitives.WriteUInt16BigEndian(buffer, sourcePort);
                        BinaryPrimitives.WriteInt16BigEndian(buffer.Slice(2), destinationPort);
                    }
                }
                """));

    [Fact]
    public Task Convert_fix_switches_a_try_write_to_big_endian()
        => VerifyCS.VerifyCodeFixAsync(
            Code("""
                class Packet
                {
                    static bool Build(Span<byte> buffer, IPEndPoint peer)
                        => BinaryPrimitives.TryWriteUInt16LittleEndian(buffer, {|KS0003:(ushort)peer.Port|});
                }
                """),
            Code("""
                class Packet
                {
                    static bool Build(Span<byte> buffer, IPEndPoint peer)
                        => BinaryPrimitives.TryWriteUInt16BigEndian(buffer, (ushort)peer.Port);
                }
                """));

    [Fact]
    public Task Convert_fix_converts_the_value_given_to_a_native_order_writer()
        => VerifyCS.VerifyCodeFixAsync(
            Code("""
                class Packet
                {
                    static byte[] Build(int port) => BitConverter.GetBytes({|KS0003:(ushort)port|});
                }
                """),
            Code($$"""
                class Packet
                {
                    static byte[] Build(int port) => BitConverter.GetBytes({{ToNetworkUShort("port")}});
                }
                """));

    [Fact]
    public Task Convert_fix_converts_the_value_written_into_native_memory_or_unaligned()
        => VerifyCS.VerifyCodeFixAsync(
            Code("""
                class Native
                {
                    static void Fill(IntPtr sa, int port) => Marshal.WriteInt16(sa, 2, {|KS0003:(short)port|});

                    static void Header(byte[] packet, ushort destPort)
                        => System.Runtime.CompilerServices.Unsafe.WriteUnaligned(ref packet[2], {|KS0003:destPort|});
                }
                """),
            Code($$"""
                class Native
                {
                    static void Fill(IntPtr sa, int port) => Marshal.WriteInt16(sa, 2, {{ToNetworkShort("port")}});

                    static void Header(byte[] packet, ushort destPort)
                        => System.Runtime.CompilerServices.Unsafe.WriteUnaligned(ref packet[2], {{ToNetworkUShort("destPort")}});
                }
                """));

    [Fact]
    public Task Convert_fix_converts_a_sin_port_read_to_host_order()
        => VerifyCS.VerifyCodeFixAsync(
            Code("""
                class Server
                {
                    static IPEndPoint Peer(sockaddr_in peer)
                        => new IPEndPoint(new IPAddress(peer.sin_addr), {|KS0003:peer.sin_port|});
                }
                """),
            Code($$"""
                class Server
                {
                    static IPEndPoint Peer(sockaddr_in peer)
                        => new IPEndPoint(new IPAddress(peer.sin_addr), {{ToHostUShort("peer.sin_port")}});
                }
                """),
            PortByteOrderFix.EquivalenceKey);

    /// <summary>
    /// Both variants share one equivalence key, so one fix-all pass (and one <c>dotnet format analyzers</c> run)
    /// converts where a conversion is missing and removes it where it is extra. The test framework checks that
    /// fix-all reaches the fixed code in a single iteration.
    /// </summary>
    [Fact]
    public Task Fix_all_applies_convert_and_remove_conversion_in_one_pass()
        => VerifyCS.VerifyCodeFixAsync(
            Code("""
                class Bridge
                {
                    static IPEndPoint Open(int fd, IPAddress address, int port)
                    {
                        var server = new sockaddr_in();
                        {|KS0003:server.sin_port = 2001|};
                        Libc.connect(fd, ref server, 16);
                        return new IPEndPoint(address, {|KS0003:IPAddress.HostToNetworkOrder((short)port)|});
                    }
                }
                """),
            Code($$"""
                class Bridge
                {
                    static IPEndPoint Open(int fd, IPAddress address, int port)
                    {
                        var server = new sockaddr_in();
                        server.sin_port = {{ToNetworkUShort("2001")}};
                        Libc.connect(fd, ref server, 16);
                        return new IPEndPoint(address, port);
                    }
                }
                """),
            PortByteOrderFix.EquivalenceKey);

    [Fact]
    public Task RemoveConversion_fix_passes_the_host_order_port()
        => VerifyCS.VerifyCodeFixAsync(
            Code("""
                class Client
                {
                    static void Open(IPAddress address, int port, ushort shortPort, IPEndPoint endPoint, string host)
                    {
                        var a = new IPEndPoint(address, {|KS0003:IPAddress.HostToNetworkOrder((short)port)|});
                        var b = new IPEndPoint(address, {|KS0003:IPAddress.HostToNetworkOrder(port)|});
                        {|KS0003:endPoint.Port = Libc.htons(shortPort)|};
                        using var tcp = new TcpClient(host, {|KS0003:Libc.htons((ushort)port)|});
                        var c = new IPEndPoint(address, {|KS0003:BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(shortPort) : shortPort|});
                    }
                }
                """),
            Code("""
                class Client
                {
                    static void Open(IPAddress address, int port, ushort shortPort, IPEndPoint endPoint, string host)
                    {
                        var a = new IPEndPoint(address, port);
                        var b = new IPEndPoint(address, port);
                        endPoint.Port = shortPort;
                        using var tcp = new TcpClient(host, port);
                        var c = new IPEndPoint(address, shortPort);
                    }
                }
                """),
            PortByteOrderFix.EquivalenceKey);

    [Fact]
    public async Task Fix_all_converts_every_port_in_two_documents()
    {
        var first = Code("""
            class First
            {
                static void Fill(ref sockaddr_in a, ref sockaddr_in b, ushort port)
                {
                    {|KS0003:a.sin_port = port|};
                    {|KS0003:b.sin_port = 2001|};
                }
            }
            """);
        var second = Usings + """
            class Second
            {
                static sockaddr_in Make(int port) => new sockaddr_in { {|KS0003:sin_port = (ushort)port|} };
            }
            """;
        var firstFixed = Code($$"""
            class First
            {
                static void Fill(ref sockaddr_in a, ref sockaddr_in b, ushort port)
                {
                    a.sin_port = {{ToNetworkUShort("port")}};
                    b.sin_port = {{ToNetworkUShort("2001")}};
                }
            }
            """);
        var secondFixed = Usings + $$"""
            class Second
            {
                static sockaddr_in Make(int port) => new sockaddr_in { sin_port = {{ToNetworkUShort("port")}} };
            }
            """;

        var test = new VerifyCS.Test
        {
            CodeActionEquivalenceKey = PortByteOrderFix.EquivalenceKey,
        };
        test.TestState.Sources.Add(("First.cs", first));
        test.TestState.Sources.Add(("Second.cs", second));
        test.FixedState.Sources.Add(("First.cs", firstFixed));
        test.FixedState.Sources.Add(("Second.cs", secondFixed));
        await test.RunAsync();
    }

    [Fact]
    public void Diagnostic_message_names_the_value_the_destination_and_both_orders()
    {
        var descriptor = new PortByteOrderAnalyzer().SupportedDiagnostics.Single();
        var message = string.Format(
            descriptor.MessageFormat.ToString(),
            "2001", "host", "'server.sin_port'", "network", "convert it with 'IPAddress.HostToNetworkOrder' where it enters the destination");
        Assert.Equal(
            "'2001' is in host byte order but 'server.sin_port' takes network byte order; convert it with 'IPAddress.HostToNetworkOrder' where it enters the destination",
            message);
    }

    // ---------------------------------------------------------------------------------------------
    // The generated conversions are right for every port on both byte orders, in a checked context.

    private static readonly int[] Ports = [0, 1, 255, 256, 2001, 32767, 32768, 65535];

    public static TheoryData<bool, bool> Machines() => new()
    {
        { true, false },  // this machine's real IPAddress (little-endian test hosts)
        { true, true },   // simulated little-endian
        { false, true },  // simulated big-endian
    };

    [Theory]
    [MemberData(nameof(Machines))]
    public void Generated_conversions_put_the_port_in_network_order(bool littleEndian, bool simulated)
    {
        if (!simulated)
        {
            Assert.True(BitConverter.IsLittleEndian, "the real-runtime case assumes a little-endian test host");
        }

        var fixedCode = $$"""
            using System;
            {{(simulated ? "" : "using System.Net;")}}

            namespace Evaluation
            {
            {{(simulated ? SimulatedIPAddress(littleEndian) : "")}}
                public static class Fixed
                {
                    public static ushort UShortField(int port) { ushort sin_port = {{ToNetworkUShort("port")}}; return sin_port; }
                    public static ushort UShortFromUShort(ushort port) { ushort sin_port = {{ToNetworkUShort("port")}}; return sin_port; }
                    public static short ShortField(int port) { short sin6_port = {{ToNetworkShort("port")}}; return sin6_port; }
                    public static int IntField(int port) { int sin_port = {{ToNetworkUShort("port")}}; return sin_port; }
                    public static uint UIntField(int port) { uint sin_port = {{ToNetworkUShort("port")}}; return sin_port; }
                    public static int HostPort(ushort port) { int endPointPort = {{ToHostUShort("port")}}; return endPointPort; }
                    public static ushort Literal40000() => {{ToNetworkUShort("40000")}};
                    public static ushort Literal65535() => {{ToNetworkUShort("65535")}};
                }
            }
            """;

        var type = CompileChecked(fixedCode).GetType("Evaluation.Fixed")!;
        object? Invoke(string name, params object[] args) => type.GetMethod(name)!.Invoke(null, args);
        ushort Bits(object? value) => unchecked((ushort)Convert.ToInt64(value));

        // What a 16-bit value looks like in memory on the (simulated) machine.
        byte[] Memory(ushort value) => littleEndian
            ? [(byte)value, (byte)(value >> 8)]
            : [(byte)(value >> 8), (byte)value];

        foreach (var port in Ports)
        {
            byte[] network = [(byte)(port >> 8), (byte)port];
            Assert.Equal(network, Memory(Bits(Invoke("UShortField", port))));
            Assert.Equal(network, Memory(Bits(Invoke("UShortFromUShort", (ushort)port))));
            Assert.Equal(network, Memory(Bits(Invoke("ShortField", port))));
            Assert.Equal(network, Memory(Bits(Invoke("IntField", port))));
            Assert.Equal(network, Memory(Bits(Invoke("UIntField", port))));
            Assert.InRange((int)Invoke("IntField", port)!, 0, 65535);
            Assert.InRange((uint)Invoke("UIntField", port)!, 0u, 65535u);

            // A network-order 16-bit value as the machine holds it, converted back for an endpoint.
            var held = littleEndian ? (ushort)((port >> 8) | ((port & 0xFF) << 8)) : (ushort)port;
            Assert.Equal(port, (int)Invoke("HostPort", held)!);
        }

        Assert.Equal(new byte[] { 0x9C, 0x40 }, Memory(Bits(Invoke("Literal40000"))));
        Assert.Equal(new byte[] { 0xFF, 0xFF }, Memory(Bits(Invoke("Literal65535"))));
    }

    // ---------------------------------------------------------------------------------------------
    // Review: look-alikes and more shapes

    [Fact]
    public Task Sin_port_of_a_wire_struct_serialized_big_endian_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Usings + """
            // Mirrors a big-endian wire record; the fields hold host values and are written big-endian.
            struct PeerRecord
            {
                public ushort sin_family;
                public ushort sin_port;
                public uint sin_addr;

                public void WriteTo(Span<byte> destination)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(destination, sin_family);
                    BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(2), sin_port);
                    BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(4), sin_addr);
                }
            }

            static class Peers
            {
                public static PeerRecord From(IPEndPoint endPoint)
                {
                    var record = new PeerRecord { sin_family = 2, sin_port = (ushort)endPoint.Port };
                    record.sin_port = (ushort)endPoint.Port;
                    return record;
                }

                public static IPEndPoint ToEndPoint(PeerRecord record)
                    => new IPEndPoint(new IPAddress(record.sin_addr), record.sin_port);
            }
            """);

    [Fact]
    public Task Sin_port_of_a_wire_struct_parsed_big_endian_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Usings + """
            struct ProxyHeader
            {
                public uint sin_addr;
                public ushort sin_port;
            }

            static class ProxyProtocol
            {
                public static ProxyHeader Parse(ReadOnlySpan<byte> header)
                {
                    var parsed = new ProxyHeader();
                    parsed.sin_addr = BinaryPrimitives.ReadUInt32BigEndian(header);
                    parsed.sin_port = BinaryPrimitives.ReadUInt16BigEndian(header.Slice(4));
                    return parsed;
                }

                public static IPEndPoint Source(ReadOnlySpan<byte> header)
                {
                    var parsed = Parse(header);
                    return new IPEndPoint(new IPAddress(parsed.sin_addr), parsed.sin_port);
                }
            }
            """);

    [Fact]
    public Task Port_read_from_configuration_given_to_endpoints_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Usings + """
            using System.Collections.Generic;

            sealed class ServerOptions
            {
                public int ListenPort { get; set; } = 2001;
            }

            static class Startup
            {
                public static IPEndPoint Listen(IDictionary<string, string> config, ServerOptions options)
                {
                    var port = int.Parse(config["port"]);
                    if (!ushort.TryParse(config["fallback"], out var fallback))
                    {
                        fallback = 2002;
                    }

                    var listener = new TcpListener(IPAddress.Any, options.ListenPort);
                    var backup = new IPEndPoint(IPAddress.Any, fallback);
                    var client = new TcpClient("db", Convert.ToInt32(config["dbPort"]));
                    return new IPEndPoint(IPAddress.Any, port);
                }
            }
            """);

    [Fact]
    public Task Port_read_big_endian_from_a_packet_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Usings + """
            static class Socks5
            {
                public static IPEndPoint ParseReply(ReadOnlySpan<byte> reply)
                {
                    var address = new IPAddress(reply.Slice(4, 4));
                    var port = BinaryPrimitives.ReadUInt16BigEndian(reply.Slice(8));
                    return new IPEndPoint(address, port);
                }

                public static DnsEndPoint ParseDomain(ReadOnlySpan<byte> reply, string host)
                    => new DnsEndPoint(host, (reply[0] << 8) | reply[1]);
            }
            """);

    [Fact]
    public Task Property_exposing_a_raw_sin_port_is_network_order()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            sealed class NativeAddress
            {
                private sockaddr_in _address;

                public NativeAddress(sockaddr_in address) => _address = address;

                public ushort RawPort => _address.sin_port;

                public ushort Port { get; }

                public NativeAddress(sockaddr_in address, bool copy) : this(address) => Port = address.sin_port;

                public sockaddr_in CopyTo(sockaddr_in other)
                {
                    other.sin_port = RawPort;
                    other.sin_port = Port;
                    return other;
                }
            }
            """));

    [Fact]
    public Task Property_exposing_a_raw_sin_port_given_to_an_endpoint_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            sealed class NativeAddress
            {
                private sockaddr_in _address;

                public NativeAddress(sockaddr_in address) => _address = address;

                public ushort RawPort => _address.sin_port;

                public IPEndPoint ToEndPoint() => new IPEndPoint(IPAddress.Loopback, {|KS0003:RawPort|});
            }
            """));

    [Fact]
    public Task Sin_port_of_a_struct_that_is_not_serialized_big_endian_is_still_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            static class Wire
            {
                static void Fill(Span<byte> header, ref sockaddr_in sa, ushort port, ushort length)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(header, length);
                    {|KS0003:sa.sin_port = port|};
                }
            }
            """));

    [Fact]
    public Task Port_stored_as_is_on_the_big_endian_branch_of_an_endianness_test_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            static class Wire
            {
                static void Fill(ref sockaddr_in sa, ushort port)
                {
                    if (BitConverter.IsLittleEndian)
                        sa.sin_port = BinaryPrimitives.ReverseEndianness(port);
                    else
                        sa.sin_port = port;
                }

                static void FillNegated(ref sockaddr_in sa, ushort port)
                {
                    if (!BitConverter.IsLittleEndian)
                    {
                        sa.sin_port = port;
                    }
                    else
                    {
                        sa.sin_port = BinaryPrimitives.ReverseEndianness(port);
                    }
                }

                private static readonly bool Little = BitConverter.IsLittleEndian;

                static void FillFromCopies(ref sockaddr_in sa, ushort port)
                {
                    var le = BitConverter.IsLittleEndian;
                    if (le)
                        sa.sin_port = BinaryPrimitives.ReverseEndianness(port);
                    else
                        sa.sin_port = port;

                    if (!Little)
                        sa.sin_port = port;
                }

                static void FillAfterReturn(ref sockaddr_in sa, ushort port)
                {
                    if (BitConverter.IsLittleEndian)
                    {
                        sa.sin_port = BinaryPrimitives.ReverseEndianness(port);
                        return;
                    }

                    sa.sin_port = port;
                }

                static void Write(Span<byte> header, ushort port)
                {
                    if (!BitConverter.IsLittleEndian)
                    {
                        MemoryMarshal.Write(header, in port);
                    }
                    else
                    {
                        BinaryPrimitives.WriteUInt16BigEndian(header, port);
                    }
                }
            }
            """));

    [Fact]
    public Task Port_stored_as_is_on_the_little_endian_branch_or_under_another_test_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            static class Wire
            {
                static void Fill(ref sockaddr_in sa, ushort port)
                {
                    if (BitConverter.IsLittleEndian)
                        {|KS0003:sa.sin_port = port|};
                    else
                        sa.sin_port = BinaryPrimitives.ReverseEndianness(port);
                }

                static void FillNegated(ref sockaddr_in sa, ushort port)
                {
                    if (!BitConverter.IsLittleEndian)
                    {
                        sa.sin_port = BinaryPrimitives.ReverseEndianness(port);
                    }
                    else
                    {
                        {|KS0003:sa.sin_port = port|};
                    }
                }

                static void Other(ref sockaddr_in sa, ushort port, bool swap)
                {
                    if (swap)
                        sa.sin_port = BinaryPrimitives.ReverseEndianness(port);
                    else
                        {|KS0003:sa.sin_port = port|};
                }

                // An explicit little-endian writer writes little-endian on every machine, and a swapped port is
                // wrong for an endpoint on a big-endian one too.
                static void Explicit(Span<byte> header, IPAddress address, ushort port)
                {
                    if (!BitConverter.IsLittleEndian)
                    {
                        BinaryPrimitives.WriteUInt16LittleEndian(header, {|KS0003:port|});
                        var endPoint = new IPEndPoint(address, {|KS0003:BinaryPrimitives.ReverseEndianness(port)|});
                    }
                }

                // A local that no longer holds the machine's order.
                static void ReassignedCopy(ref sockaddr_in sa, ushort port, bool swap)
                {
                    var le = BitConverter.IsLittleEndian;
                    le = swap;
                    if (le)
                        sa.sin_port = BinaryPrimitives.ReverseEndianness(port);
                    else
                        {|KS0003:sa.sin_port = port|};
                }

                static void AfterNonLeavingTest(ref sockaddr_in sa, ushort port)
                {
                    if (BitConverter.IsLittleEndian)
                    {
                        Console.WriteLine("little-endian");
                    }

                    {|KS0003:sa.sin_port = port|};
                }
            }
            """));

    [Fact]
    public Task Little_endian_writes_of_names_that_only_contain_the_letters_port_are_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Header
            {
                public ushort transportVersion = 3;
                public ushort ReportId;
                public ushort supportFlags;
                public ushort importCount;
                public ushort Portion;
                public ushort viewportWidth;
                public ushort opportunityCount;
                public ushort teleportCharges;
                public ushort portCount;

                // One write a method: a method that writes several values little-endian is a little-endian format.
                void Transport(Span<byte> buffer) => BinaryPrimitives.WriteUInt16LittleEndian(buffer, transportVersion);
                void Report(Span<byte> buffer) => BinaryPrimitives.WriteUInt16LittleEndian(buffer, ReportId);
                void Support(Span<byte> buffer) => BinaryPrimitives.WriteUInt16LittleEndian(buffer, supportFlags);
                void Import(Span<byte> buffer) => BinaryPrimitives.WriteUInt16LittleEndian(buffer, importCount);
                void Part(Span<byte> buffer) => BinaryPrimitives.WriteUInt16LittleEndian(buffer, Portion);
                void View(Span<byte> buffer) => BinaryPrimitives.WriteUInt16LittleEndian(buffer, viewportWidth);
                void Chance(Span<byte> buffer) => BinaryPrimitives.WriteUInt16LittleEndian(buffer, opportunityCount);
                void Jump(Span<byte> buffer) => BinaryPrimitives.WriteUInt16LittleEndian(buffer, teleportCharges);
                void Ports(Span<byte> buffer) => BinaryPrimitives.WriteUInt16LittleEndian(buffer, portCount);
            }
            """));

    [Fact]
    public Task Little_endian_writes_of_names_with_port_as_a_word_are_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Header
            {
                public ushort localPort;
                public ushort dport;
                public ushort LISTEN_PORT;
                public ushort portno;
                public ushort Port;
                public ushort nodeport;
                public ushort sideport;

                void Local(Span<byte> buffer) => BinaryPrimitives.WriteUInt16LittleEndian(buffer, {|KS0003:localPort|});
                void Destination(Span<byte> buffer) => BinaryPrimitives.WriteUInt16LittleEndian(buffer, {|KS0003:dport|});
                void Listen(Span<byte> buffer) => BinaryPrimitives.WriteUInt16LittleEndian(buffer, {|KS0003:LISTEN_PORT|});
                void Number(Span<byte> buffer) => BinaryPrimitives.WriteUInt16LittleEndian(buffer, {|KS0003:portno|});
                void Plain(Span<byte> buffer) => BinaryPrimitives.WriteUInt16LittleEndian(buffer, {|KS0003:Port|});
                void Node(Span<byte> buffer) => BinaryPrimitives.WriteUInt16LittleEndian(buffer, {|KS0003:nodeport|});
                void Side(Span<byte> buffer) => BinaryPrimitives.WriteUInt16LittleEndian(buffer, {|KS0003:sideport|});
            }
            """));

    [Fact]
    public Task Checked_cast_and_named_arguments_are_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Dialer
            {
                static void Dial(int port)
                {
                    var addr = new sockaddr_in();
                    {|KS0003:addr.sin_port = checked((ushort)port)|};
                    var ep = new IPEndPoint({|KS0003:port: IPAddress.HostToNetworkOrder((short)port)|}, address: IPAddress.Loopback);
                    var dns = new DnsEndPoint("example.org", {|KS0003:Libc.htons((ushort)port)|});
                }
            }
            """));

    [Fact]
    public Task Network_order_field_given_to_Socket_Connect_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync(Code("""
            class Client
            {
                static void Reconnect(Socket socket, sockaddr_in peer)
                {
                    socket.Connect(IPAddress.Loopback, {|KS0003:peer.sin_port|});
                }
            }
            """));

    [Fact]
    public Task Convert_fix_in_top_level_statements()
        => new VerifyCS.Test
            {
                TestState =
                {
                    OutputKind = OutputKind.ConsoleApplication,
                    Sources =
                    {
                        """
                        using System;
                        using System.Net;

                        var port = args.Length > 0 ? int.Parse(args[0]) : 2001;
                        var addr = new sockaddr_in();
                        {|KS0003:addr.sin_port = (ushort)port|};
                        Console.WriteLine(addr.sin_port);

                        struct sockaddr_in { public ushort sin_family; public ushort sin_port; }
                        """,
                    },
                },
                FixedState =
                {
                    Sources =
                    {
                        $$"""
                        using System;
                        using System.Net;

                        var port = args.Length > 0 ? int.Parse(args[0]) : 2001;
                        var addr = new sockaddr_in();
                        addr.sin_port = {{ToNetworkUShort("port")}};
                        Console.WriteLine(addr.sin_port);

                        struct sockaddr_in { public ushort sin_family; public ushort sin_port; }
                        """,
                    },
                },
                CodeActionEquivalenceKey = PortByteOrderFix.EquivalenceKey,
            }.RunAsync();

    [Fact]
    public Task BigEndian_fix_keeps_an_unqualified_writer_from_using_static()
        => VerifyCS.VerifyCodeFixAsync(
            """
            using System;
            using static System.Buffers.Binary.BinaryPrimitives;

            static class Frame
            {
                public static void Write(Span<byte> header, ushort port, ushort length)
                {
                    WriteUInt16BigEndian(header, length);
                    WriteUInt16LittleEndian(header.Slice(2), {|KS0003:port|});
                }
            }
            """,
            """
            using System;
            using static System.Buffers.Binary.BinaryPrimitives;

            static class Frame
            {
                public static void Write(Span<byte> header, ushort port, ushort length)
                {
                    WriteUInt16BigEndian(header, length);
                    WriteUInt16BigEndian(header.Slice(2), port);
                }
            }
            """,
            PortByteOrderFix.EquivalenceKey);

    [Fact]
    public Task ToHost_fix_in_an_expression_bodied_generic_method()
        => VerifyCS.VerifyCodeFixAsync(
            Code("""
                static class EndPoints
                {
                    public static IPEndPoint Of<TAddress>(TAddress tag, sockaddr_in sa) where TAddress : class
                        => new IPEndPoint(IPAddress.Loopback, {|KS0003:sa.sin_port|});
                }
                """),
            Code($$"""
                static class EndPoints
                {
                    public static IPEndPoint Of<TAddress>(TAddress tag, sockaddr_in sa) where TAddress : class
                        => new IPEndPoint(IPAddress.Loopback, {{ToHostUShort("sa.sin_port")}});
                }
                """),
            PortByteOrderFix.EquivalenceKey);

    private static string SimulatedIPAddress(bool littleEndian) => $$"""
            static class IPAddress
            {
                public static short HostToNetworkOrder(short host) => {{(littleEndian ? "System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(host)" : "host")}};
                public static short NetworkToHostOrder(short network) => HostToNetworkOrder(network);
            }
        """;

    private static Assembly CompileChecked(string source)
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Select(path => MetadataReference.CreateFromFile(path));
        var compilation = CSharpCompilation.Create(
            "KS0003Evaluation" + Guid.NewGuid().ToString("N"),
            [CSharpSyntaxTree.ParseText(source)],
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, checkOverflow: true));
        using var stream = new MemoryStream();
        var result = compilation.Emit(stream);
        Assert.True(result.Success, string.Join(Environment.NewLine, result.Diagnostics));
        return Assembly.Load(stream.ToArray());
    }

    [Fact]
    public async Task Fix_all_adds_missing_usings_once_for_several_fixes_in_a_document()
    {
        // The only namespace the fix imports is System.Net; the two fixes sit in different members.
        var test = new VerifyCS.Test
        {
            TestState =
            {
                Sources =
                {
                    """
                    using System;

                    class Bridge
                    {
                        static void Fill(ref sockaddr_in address, ushort port)
                        {
                            Console.WriteLine(port);
                            {|KS0003:address.sin_port = port|};
                        }

                        static sockaddr_in Make(ushort port) => new sockaddr_in { sin_family = 2, {|KS0003:sin_port = port|} };
                    }
                    """,
                    """
                    struct sockaddr_in { public ushort sin_family; public ushort sin_port; public uint sin_addr; }
                    """,
                },
            },
            FixedState =
            {
                Sources =
                {
                    $$"""
                    using System;
                    using System.Net;

                    class Bridge
                    {
                        static void Fill(ref sockaddr_in address, ushort port)
                        {
                            Console.WriteLine(port);
                            address.sin_port = {{ToNetworkUShort("port")}};
                        }

                        static sockaddr_in Make(ushort port) => new sockaddr_in { sin_family = 2, sin_port = {{ToNetworkUShort("port")}} };
                    }
                    """,
                    """
                    struct sockaddr_in { public ushort sin_family; public ushort sin_port; public uint sin_addr; }
                    """,
                },
            },
            CodeActionEquivalenceKey = PortByteOrderFix.EquivalenceKey,
        };
        await test.RunAsync();
    }
}
