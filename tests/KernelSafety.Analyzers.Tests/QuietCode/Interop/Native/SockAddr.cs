using System;
using System.Buffers.Binary;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Quiet.Interop.Native;

/// <summary>Marks a field or parameter whose value is stored in network (big-endian) byte order.</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property | AttributeTargets.Parameter)]
internal sealed class NetworkByteOrderAttribute : Attribute
{
}

/// <summary>Host/network conversions that are correct on both little- and big-endian hosts.</summary>
internal static class ByteOrder
{
    public static ushort htons(ushort host) =>
        BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(host) : host;

    public static ushort ntohs(ushort network) =>
        BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(network) : network;

    public static uint htonl(uint host) =>
        BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(host) : host;

    public static uint ntohl(uint network) =>
        BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(network) : network;

    /// <summary>Validates a port supplied as an int and narrows it without a checked-context overflow.</summary>
    public static ushort CheckedPort(int port)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(port, IPEndPoint.MinPort);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        return (ushort)port;
    }
}

internal static class AddressFamilies
{
    // Linux values. AddressFamily.InterNetworkV6 is 23 (the Windows value), so it must not be passed to libc.
    public const ushort AF_INET = 2;
    public const ushort AF_INET6 = 10;
}

/// <summary>struct sockaddr_in from netinet/in.h (16 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct SockAddrIn
{
    public ushort sin_family;
    public ushort sin_port;     // network byte order
    public uint sin_addr;       // network byte order, stored exactly as the four address bytes
    public fixed byte sin_zero[8];

    public static SockAddrIn Create(IPAddress address, int port)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException("An IPv4 address is required.", nameof(address));
        }

        SockAddrIn sa = default;
        sa.sin_family = AddressFamilies.AF_INET;
        sa.sin_port = ByteOrder.htons(ByteOrder.CheckedPort(port));

        Span<byte> bytes = stackalloc byte[4];
        if (!address.TryWriteBytes(bytes, out int written) || written != bytes.Length)
        {
            throw new ArgumentException("Could not serialize the IPv4 address.", nameof(address));
        }

        // The bytes are already in network order; reading them as-is keeps that memory layout.
        sa.sin_addr = MemoryMarshal.Read<uint>(bytes);
        return sa;
    }

    public readonly IPEndPoint ToEndPoint()
    {
        Debug.Assert(sin_family == AddressFamilies.AF_INET);

        Span<byte> bytes = stackalloc byte[4];
        uint address = sin_addr;
        MemoryMarshal.Write(bytes, in address);
        return new IPEndPoint(new IPAddress(bytes), ByteOrder.ntohs(sin_port));
    }
}

/// <summary>struct sockaddr_in6 from netinet/in.h (28 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct SockAddrIn6
{
    public ushort sin6_family;
    public ushort sin6_port;        // network byte order
    public uint sin6_flowinfo;      // network byte order
    public fixed byte sin6_addr[16];
    public uint sin6_scope_id;      // host byte order (interface index)

    public static SockAddrIn6 Create(IPAddress address, int port)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            address = address.MapToIPv6();
        }

        SockAddrIn6 sa = default;
        sa.sin6_family = AddressFamilies.AF_INET6;

        // Byte swap written out by hand; the masks keep every intermediate inside ushort range.
        ushort hostPort = ByteOrder.CheckedPort(port);
        sa.sin6_port = BitConverter.IsLittleEndian
            ? (ushort)(((hostPort >> 8) & 0xFF) | ((hostPort & 0xFF) << 8))
            : hostPort;

        if (!address.TryWriteBytes(new Span<byte>(sa.sin6_addr, 16), out int written) || written != 16)
        {
            throw new ArgumentException("Could not serialize the IPv6 address.", nameof(address));
        }

        if (address.ScopeId is < 0 or > uint.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(address), "Scope id does not fit sin6_scope_id.");
        }

        sa.sin6_scope_id = (uint)address.ScopeId;
        return sa;
    }

    public readonly IPEndPoint ToEndPoint()
    {
        Span<byte> bytes = stackalloc byte[16];
        fixed (byte* source = sin6_addr)
        {
            new ReadOnlySpan<byte>(source, 16).CopyTo(bytes);
        }

        var address = new IPAddress(bytes, sin6_scope_id);
        return new IPEndPoint(address, ByteOrder.ntohs(sin6_port));
    }
}

/// <summary>
/// Fixed 8-byte routing header used between the tunnel bridge and its relay:
/// family(2) | port(2) | IPv4 address(4), all big-endian on the wire.
/// </summary>
internal struct RouteHeader
{
    public const int Size = 8;

    public ushort Family;

    [NetworkByteOrder]
    public ushort PortNetworkOrder;

    [NetworkByteOrder]
    public uint AddressNetworkOrder;

    public static RouteHeader For(SockAddrIn target) => new()
    {
        Family = target.sin_family,
        PortNetworkOrder = target.sin_port,          // both sides are network order: copied as-is
        AddressNetworkOrder = target.sin_addr,
    };

    public static RouteHeader For(IPEndPoint endPoint)
    {
        SockAddrIn sa = SockAddrIn.Create(endPoint.Address, endPoint.Port);
        return For(sa);
    }

    public readonly void WriteTo(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException($"At least {Size} bytes are required.", nameof(destination));
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination, Family);

        // The port and address are already network order in memory, so they go out as raw bytes.
        ushort port = PortNetworkOrder;
        uint address = AddressNetworkOrder;
        MemoryMarshal.Write(destination.Slice(2, 2), in port);
        MemoryMarshal.Write(destination.Slice(4, 4), in address);
    }

    public static IPEndPoint ReadEndPoint(ReadOnlySpan<byte> source)
    {
        if (source.Length < Size)
        {
            throw new ArgumentException($"At least {Size} bytes are required.", nameof(source));
        }

        ushort family = BinaryPrimitives.ReadUInt16BigEndian(source);
        if (family != AddressFamilies.AF_INET)
        {
            throw new InvalidDataException($"Unsupported address family {family}.");
        }

        int hostPort = BinaryPrimitives.ReadUInt16BigEndian(source.Slice(2, 2));
        return new IPEndPoint(new IPAddress(source.Slice(4, 4)), hostPort);
    }
}
