using System;
using System.Buffers.Binary;
using System.ComponentModel;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Threading;

namespace GameNet.Native
{
    /// <summary>struct sockaddr_in as laid out by Linux: sin_port and sin_addr hold network byte order.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct SockAddrIn
    {
        public ushort sin_family;
        public ushort sin_port;
        public uint sin_addr;
        public ulong sin_zero;
    }

    internal static class ByteOrder
    {
        public static ushort htons(ushort host) => BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(host) : host;

        public static ushort ntohs(ushort network) => BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(network) : network;
    }

    /// <summary>
    /// Thin IPv4 UDP socket over libc for the dedicated-server build, where the managed Socket's per-call
    /// endpoint allocation shows up in profiles. Blocking mode only.
    /// </summary>
    [SupportedOSPlatform("linux")]
    public sealed unsafe class NativeUdpSocket : IDisposable
    {
        private const int AF_INET = 2;
        private const int SOCK_DGRAM = 2;
        private const int IPPROTO_UDP = 17;
        private const int EINTR = 4;

        [DllImport("libc", SetLastError = true)]
        private static extern int socket(int domain, int type, int protocol);

        [DllImport("libc", SetLastError = true)]
        private static extern int bind(int fd, ref SockAddrIn address, uint addressLength);

        [DllImport("libc", SetLastError = true)]
        private static extern int getsockname(int fd, ref SockAddrIn address, ref uint addressLength);

        [DllImport("libc", SetLastError = true)]
        private static extern nint sendto(int fd, byte* buffer, nuint length, int flags, ref SockAddrIn address, uint addressLength);

        [DllImport("libc", SetLastError = true)]
        private static extern nint recvfrom(int fd, byte* buffer, nuint length, int flags, ref SockAddrIn address, ref uint addressLength);

        [DllImport("libc", SetLastError = true)]
        private static extern int close(int fd);

        private int _fd = -1;

        public NativeUdpSocket(IPEndPoint bindTo)
        {
            if (!OperatingSystem.IsLinux())
            {
                throw new PlatformNotSupportedException("NativeUdpSocket uses the Linux sockaddr_in layout.");
            }

            SockAddrIn local = ToSockAddr(bindTo);
            int fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
            if (fd < 0)
            {
                throw new Win32Exception(Marshal.GetLastPInvokeError());
            }

            if (bind(fd, ref local, (uint)sizeof(SockAddrIn)) != 0)
            {
                int error = Marshal.GetLastPInvokeError();
                close(fd);
                throw new Win32Exception(error);
            }

            _fd = fd;
        }

        public IPEndPoint LocalEndPoint
        {
            get
            {
                SockAddrIn address = default;
                uint length = (uint)sizeof(SockAddrIn);
                if (getsockname(Descriptor, ref address, ref length) != 0)
                {
                    throw new Win32Exception(Marshal.GetLastPInvokeError());
                }

                return FromSockAddr(address);
            }
        }

        private int Descriptor
        {
            get
            {
                int fd = Volatile.Read(ref _fd);
                if (fd < 0)
                {
                    throw new ObjectDisposedException(nameof(NativeUdpSocket));
                }

                return fd;
            }
        }

        internal static SockAddrIn ToSockAddr(IPEndPoint endPoint)
        {
            if (endPoint.AddressFamily != AddressFamily.InterNetwork)
            {
                throw new ArgumentException("Only IPv4 endpoints are supported.", nameof(endPoint));
            }

            Span<byte> address = stackalloc byte[4];
            if (!endPoint.Address.TryWriteBytes(address, out int written) || written != 4)
            {
                throw new ArgumentException("Could not serialize the IPv4 address.", nameof(endPoint));
            }

            return new SockAddrIn
            {
                sin_family = AF_INET,
                sin_port = ByteOrder.htons((ushort)endPoint.Port),
                // The address bytes are already in network order; keep them byte-for-byte.
                sin_addr = MemoryMarshal.Read<uint>(address),
                sin_zero = 0,
            };
        }

        internal static IPEndPoint FromSockAddr(in SockAddrIn address)
        {
            Span<byte> bytes = stackalloc byte[4];
            MemoryMarshal.Write(bytes, in address.sin_addr);
            return new IPEndPoint(new IPAddress(bytes), ByteOrder.ntohs(address.sin_port));
        }

        /// <summary>Sends one datagram; throws unless the kernel accepted all of it.</summary>
        public void SendTo(ReadOnlySpan<byte> datagram, IPEndPoint remote)
        {
            SockAddrIn target = ToSockAddr(remote);
            int fd = Descriptor;
            fixed (byte* data = datagram)
            {
                nint result;
                do
                {
                    result = sendto(fd, data, (nuint)datagram.Length, 0, ref target, (uint)sizeof(SockAddrIn));
                }
                while (result < 0 && Marshal.GetLastPInvokeError() == EINTR);

                if (result < 0)
                {
                    throw new Win32Exception(Marshal.GetLastPInvokeError());
                }

                if (result != datagram.Length)
                {
                    throw new IOException($"Kernel accepted {result} of {datagram.Length} datagram bytes.");
                }
            }
        }

        /// <summary>Blocks for one datagram; returns its length (bytes beyond the buffer are discarded by the kernel).</summary>
        public int ReceiveFrom(Span<byte> buffer, out IPEndPoint remote)
        {
            SockAddrIn source = default;
            uint sourceLength = (uint)sizeof(SockAddrIn);
            int fd = Descriptor;
            fixed (byte* data = buffer)
            {
                nint result;
                do
                {
                    sourceLength = (uint)sizeof(SockAddrIn);
                    result = recvfrom(fd, data, (nuint)buffer.Length, 0, ref source, ref sourceLength);
                }
                while (result < 0 && Marshal.GetLastPInvokeError() == EINTR);

                if (result < 0)
                {
                    throw new Win32Exception(Marshal.GetLastPInvokeError());
                }

                remote = FromSockAddr(source);
                return (int)result;
            }
        }

        public void Dispose()
        {
            int fd = Interlocked.Exchange(ref _fd, -1);
            if (fd >= 0)
            {
                close(fd);
            }
        }
    }
}
