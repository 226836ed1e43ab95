using System;
using System.Buffers.Binary;
using System.ComponentModel;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Quiet.Sockets.Native;

/// <summary>Marks a field whose value is stored in network (big-endian) byte order.</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class NetworkByteOrderAttribute : Attribute
{
}

public static class ByteOrder
{
    /// <summary>Host to network order for a 16-bit value; correct on either endianness and in a checked context.</summary>
    public static ushort htons(ushort host) =>
        BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(host) : host;

    public static ushort ntohs(ushort network) => htons(network);

    public static uint htonl(uint host) =>
        BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(host) : host;
}

/// <summary>Linux <c>struct sockaddr_in</c> (16 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct SockaddrIn
{
    public const int Size = 16;
    public const ushort AF_INET = 2;

    public ushort sin_family;
    public ushort sin_port;  // network byte order
    public uint sin_addr;    // network byte order (bytes exactly as IPAddress.GetAddressBytes returns them)
    public ulong sin_zero;

    public static SockaddrIn From(IPEndPoint endPoint)
    {
        if (endPoint.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException("Only IPv4 endpoints fit in sockaddr_in.", nameof(endPoint));
        }

        Span<byte> address = stackalloc byte[4];
        if (!endPoint.Address.TryWriteBytes(address, out int written) || written != 4)
        {
            throw new ArgumentException("Could not read the IPv4 address.", nameof(endPoint));
        }

        var sa = default(SockaddrIn);
        sa.sin_family = AF_INET;
        // IPEndPoint.Port is host order and already validated to 0..65535.
        sa.sin_port = unchecked((ushort)IPAddress.HostToNetworkOrder(unchecked((short)endPoint.Port)));
        // The address bytes are already in network order; reading them in native order keeps them that way in memory.
        sa.sin_addr = MemoryMarshal.Read<uint>(address);
        return sa;
    }

    public readonly IPEndPoint ToIPEndPoint()
    {
        Span<byte> address = stackalloc byte[4];
        uint raw = sin_addr;
        MemoryMarshal.Write(address, in raw);
        int port = ByteOrder.ntohs(sin_port);
        return new IPEndPoint(new IPAddress(address), port);
    }
}

/// <summary>
/// Service announcement datagram, laid out byte for byte as it travels. A fresh struct is
/// zero-initialized, so the unused tail of <see cref="Name"/> always goes out as zeros.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public unsafe struct AnnouncePacket
{
    public const int NameCapacity = 32;

    public byte Version;
    public byte NameLength;
    [NetworkByteOrder] public ushort Port;
    [NetworkByteOrder] public uint Sequence;
    public fixed byte Name[NameCapacity];

    public static AnnouncePacket Create(string serviceName, ushort port, uint sequence)
    {
        var packet = new AnnouncePacket
        {
            Version = 1,
            Port = ByteOrder.htons(port),
            Sequence = ByteOrder.htonl(sequence),
        };

        byte[] name = Encoding.ASCII.GetBytes(serviceName);
        int length = Math.Min(name.Length, NameCapacity);
        fixed (byte* source = name)
        {
            Buffer.MemoryCopy(source, packet.Name, NameCapacity, length);
        }

        packet.NameLength = (byte)length;
        return packet;
    }

    /// <summary>Writes the packet's exact wire image; returns the number of bytes written.</summary>
    public readonly int WriteTo(Span<byte> destination)
    {
        if (destination.Length < sizeof(AnnouncePacket))
        {
            throw new ArgumentException("Destination too small.", nameof(destination));
        }

        MemoryMarshal.Write(destination, in this);
        return sizeof(AnnouncePacket);
    }

    public static bool TryParse(ReadOnlySpan<byte> datagram, out string name, out int port, out uint sequence)
    {
        name = string.Empty;
        port = 0;
        sequence = 0;
        if (datagram.Length != sizeof(AnnouncePacket) || datagram[0] != 1)
        {
            return false;
        }

        AnnouncePacket packet = MemoryMarshal.Read<AnnouncePacket>(datagram);
        if (packet.NameLength > NameCapacity)
        {
            return false;
        }

        port = ByteOrder.ntohs(packet.Port);
        sequence = BinaryPrimitives.ReadUInt32BigEndian(datagram.Slice(4));
        name = Encoding.ASCII.GetString(datagram.Slice(8, packet.NameLength));
        return true;
    }
}

/// <summary>Writes endpoints into wire buffers in network order.</summary>
public static class EndpointEncoding
{
    /// <summary>Writes <c>[4-byte IPv4][2-byte port]</c>. The port is pre-swapped, so a native-order write yields big-endian bytes.</summary>
    public static int WriteCompact(Span<byte> destination, IPEndPoint endPoint)
    {
        if (destination.Length < 6)
        {
            throw new ArgumentException("Need 6 bytes.", nameof(destination));
        }

        if (!endPoint.Address.TryWriteBytes(destination.Slice(0, 4), out int written) || written != 4)
        {
            throw new ArgumentException("IPv4 only.", nameof(endPoint));
        }

        ushort networkPort = ByteOrder.htons((ushort)endPoint.Port);
        MemoryMarshal.Write(destination.Slice(4), in networkPort);
        return 6;
    }

    /// <summary>Builds a SocketAddress by hand: family in native order, port big-endian at offset 2.</summary>
    public static SocketAddress ToSocketAddress(IPEndPoint endPoint)
    {
        var socketAddress = new SocketAddress(endPoint.AddressFamily);
        Span<byte> raw = socketAddress.Buffer.Span;
        int port = endPoint.Port;
        raw[2] = (byte)(port >> 8);
        raw[3] = (byte)port;
        bool ok;
        if (endPoint.AddressFamily == AddressFamily.InterNetwork)
        {
            ok = endPoint.Address.TryWriteBytes(raw.Slice(4, 4), out _);
        }
        else if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
        {
            // sockaddr_in6: flowinfo at 4, address at 8, scope id (host order) at 24.
            ok = endPoint.Address.TryWriteBytes(raw.Slice(8, 16), out _);
            uint scopeId = (uint)endPoint.Address.ScopeId;
            MemoryMarshal.Write(raw.Slice(24, 4), in scopeId);
        }
        else
        {
            throw new ArgumentException("Only IPv4 and IPv6 endpoints are supported.", nameof(endPoint));
        }

        if (!ok)
        {
            throw new ArgumentException("Address does not match its family.", nameof(endPoint));
        }

        return socketAddress;
    }
}

/// <summary>
/// Minimal libc socket wrapper for Linux, used where the managed stack cannot be (e.g. a
/// pre-opened descriptor handed over by a supervisor). Every libc result is checked.
/// </summary>
public sealed unsafe class LinuxUdpSocket : IDisposable
{
    private const int SOCK_DGRAM = 2;
    private const int IPPROTO_UDP = 17;
    private const int MSG_NOSIGNAL = 0x4000;
    private const int EINTR = 4;
    private const int EMSGSIZE = 90;

    private int _fd;

    public LinuxUdpSocket()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException();
        }

        _fd = socket(SockaddrIn.AF_INET, SOCK_DGRAM, IPPROTO_UDP);
        if (_fd == -1)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError());
        }
    }

    public void Connect(IPEndPoint remote)
    {
        SockaddrIn sa = SockaddrIn.From(remote);
        if (connect(_fd, &sa, SockaddrIn.Size) < 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>Sends one datagram to the connected peer. Returns the errno on failure, 0 on success.</summary>
    public int TrySend(ReadOnlySpan<byte> datagram)
    {
        while (true)
        {
            nint sent;
            fixed (byte* p = datagram)
            {
                sent = send(_fd, p, (nuint)datagram.Length, MSG_NOSIGNAL);
            }

            if (sent == -1)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == EINTR)
                {
                    continue;
                }

                return errno;
            }

            // UDP is all or nothing, but a short count would still mean a truncated datagram.
            return sent == datagram.Length ? 0 : EMSGSIZE;
        }
    }

    /// <summary>Sends the bytes written so far, not the buffer's capacity.</summary>
    public int TrySend(NativePacketBuffer packet) => TrySend(packet.Written);

    public void SendTo(ReadOnlySpan<byte> datagram, IPEndPoint remote)
    {
        SockaddrIn sa = SockaddrIn.From(remote);
        nint sent;
        do
        {
            fixed (byte* p = datagram)
            {
                sent = sendto(_fd, p, (nuint)datagram.Length, MSG_NOSIGNAL, &sa, SockaddrIn.Size);
            }
        }
        while (sent == -1 && Marshal.GetLastPInvokeError() == EINTR);

        if (sent < 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError());
        }

        if (sent != datagram.Length)
        {
            throw new InvalidOperationException($"Datagram truncated: {sent} of {datagram.Length} bytes sent.");
        }
    }

    public void Dispose()
    {
        int fd = _fd;
        _fd = -1;
        if (fd >= 0)
        {
            close(fd);
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int socket(int domain, int type, int protocol);

    [DllImport("libc", SetLastError = true)]
    private static extern int connect(int fd, SockaddrIn* address, uint addressLength);

    [DllImport("libc", SetLastError = true)]
    private static extern nint send(int fd, byte* buffer, nuint length, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern nint sendto(int fd, byte* buffer, nuint length, int flags, SockaddrIn* address, uint addressLength);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
}

/// <summary>
/// Periodically broadcasts an <see cref="AnnouncePacket"/> from one long-lived socket, addressed
/// through a hand-built <see cref="SocketAddress"/>.
/// </summary>
public sealed unsafe class ServiceAnnouncer : IDisposable
{
    private readonly Socket _socket;
    private readonly SocketAddress _target;
    private readonly string _serviceName;
    private readonly ushort _servicePort;
    private uint _sequence;

    public ServiceAnnouncer(IPEndPoint broadcastTarget, string serviceName, ushort servicePort)
    {
        _socket = new Socket(broadcastTarget.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { EnableBroadcast = true };
        _target = EndpointEncoding.ToSocketAddress(broadcastTarget);
        _serviceName = serviceName;
        _servicePort = servicePort;
    }

    public void AnnounceOnce()
    {
        AnnouncePacket packet = AnnouncePacket.Create(_serviceName, _servicePort, unchecked(++_sequence));
        Span<byte> datagram = stackalloc byte[sizeof(AnnouncePacket)];
        int length = packet.WriteTo(datagram);
        int sent = _socket.SendTo(datagram.Slice(0, length), SocketFlags.None, _target);
        if (sent != length)
        {
            throw new InvalidOperationException($"Announcement truncated: {sent} of {length} bytes.");
        }
    }

    public void Dispose() => _socket.Dispose();
}

/// <summary>
/// A datagram staged in native memory (so it never moves while libc reads it). Tracks how many
/// of its bytes are valid; only those are ever sent or copied out.
/// </summary>
public sealed unsafe class NativePacketBuffer : IDisposable
{
    private byte* _data;

    public NativePacketBuffer(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _data = (byte*)NativeMemory.AllocZeroed((nuint)capacity);
        Capacity = capacity;
    }

    public int Capacity { get; }

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Written
    {
        get
        {
            ObjectDisposedException.ThrowIf(_data == null, this);
            return new ReadOnlySpan<byte>(_data, Length);
        }
    }

    public bool TryAppend(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_data == null, this);
        if (data.Length > Capacity - Length)
        {
            return false;
        }

        fixed (byte* source = data)
        {
            NativeMemory.Copy(source, _data + Length, (nuint)data.Length);
        }

        Length += data.Length;
        return true;
    }

    /// <summary>Replaces the contents with the first <paramref name="count"/> bytes of <paramref name="source"/>.</summary>
    public void Load(byte[] source, int count)
    {
        ArgumentNullException.ThrowIfNull(source);
        ObjectDisposedException.ThrowIf(_data == null, this);
        if (count < 0 || count > source.Length || count > Capacity)
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        fixed (byte* from = source)
        {
            Unsafe.CopyBlockUnaligned(_data, from, (uint)count);
        }

        Length = count;
    }

    public int CopyTo(byte[] destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ObjectDisposedException.ThrowIf(_data == null, this);
        if (destination.Length < Length)
        {
            throw new ArgumentException($"Destination holds {destination.Length} bytes; {Length} are needed.", nameof(destination));
        }

        Marshal.Copy((IntPtr)_data, destination, 0, Length);
        return Length;
    }

    public void Reset() => Length = 0;

    public void Dispose()
    {
        if (_data != null)
        {
            NativeMemory.Free(_data);
            _data = null;
        }
    }
}
