using System;
using System.Buffers.Binary;
using System.ComponentModel;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Quiet.Net.Interop
{
    /// <summary>Marks a field, property or parameter whose value is stored in network (big-endian) byte order.</summary>
    [AttributeUsage(AttributeTargets.Field | AttributeTargets.Property | AttributeTargets.Parameter)]
    public sealed class NetworkByteOrderAttribute : Attribute
    {
    }

    /// <summary>Host/network byte order conversions with the BSD names.</summary>
    public static class ByteOrder
    {
#pragma warning disable IDE1006 // the BSD spelling is the point
        public static ushort htons(ushort host) =>
            BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(host) : host;

        public static ushort ntohs(ushort network) =>
            BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(network) : network;

        public static uint htonl(uint host) =>
            BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(host) : host;

        public static uint ntohl(uint network) =>
            BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(network) : network;
#pragma warning restore IDE1006

        /// <summary>Validates a port number and returns it as a 16-bit host-order value.</summary>
        public static ushort ToPort(int port)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(port, IPEndPoint.MinPort, nameof(port));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort, nameof(port));
            return (ushort)port;
        }
    }

    /// <summary>The fixed 8-byte header of a probe datagram; every field is big-endian on the wire.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    public struct ProbeHeader
    {
        [NetworkByteOrder]
        public ushort SourcePort;

        [NetworkByteOrder]
        public ushort DestinationPort;

        [NetworkByteOrder]
        public uint Sequence;

        public static ProbeHeader Create(int sourcePort, int destinationPort, uint sequence) => new ProbeHeader
        {
            SourcePort = ByteOrder.htons(ByteOrder.ToPort(sourcePort)),
            DestinationPort = ByteOrder.htons(ByteOrder.ToPort(destinationPort)),
            Sequence = ByteOrder.htonl(sequence),
        };

        /// <summary>The destination port in host order, ready for an <see cref="IPEndPoint"/>.</summary>
        public readonly int HostDestinationPort => ByteOrder.ntohs(DestinationPort);

        public readonly int HostSourcePort => ByteOrder.ntohs(SourcePort);

        public readonly uint HostSequence => ByteOrder.ntohl(Sequence);
    }

    /// <summary>Owns a Linux socket file descriptor.</summary>
    public sealed class NativeSocketHandle : SafeHandle
    {
        public NativeSocketHandle()
            : base(new IntPtr(-1), ownsHandle: true)
        {
        }

        internal NativeSocketHandle(int fd)
            : base(new IntPtr(-1), ownsHandle: true)
        {
            SetHandle(new IntPtr(fd));
        }

        public override bool IsInvalid => handle.ToInt64() < 0;

        protected override bool ReleaseHandle() => LibC.close((int)handle.ToInt64()) == 0;
    }

    internal static unsafe class LibC
    {
        public const int AF_INET = 2;
        public const int AF_INET6 = 10;
        public const int SOCK_STREAM = 1;
        public const int SOCK_CLOEXEC = 0x80000;
        public const int IPPROTO_TCP = 6;
        public const int TCP_NODELAY = 1;
        public const int MSG_NOSIGNAL = 0x4000;
        public const int SHUT_WR = 1;
        public const int EINTR = 4;
        public const int SockaddrStorageSize = 128;

        [DllImport("libc", SetLastError = true)]
        public static extern int socket(int domain, int type, int protocol);

        [DllImport("libc", SetLastError = true)]
        public static extern int connect(int fd, void* address, uint addressLength);

        [DllImport("libc", SetLastError = true)]
        public static extern nint send(int fd, void* buffer, nuint length, int flags);

        [DllImport("libc", SetLastError = true)]
        public static extern nint recv(int fd, void* buffer, nuint length, int flags);

        [DllImport("libc", SetLastError = true)]
        public static extern int setsockopt(int fd, int level, int name, void* value, uint valueLength);

        [DllImport("libc", SetLastError = true)]
        public static extern int getsockname(int fd, void* address, uint* addressLength);

        [DllImport("libc", SetLastError = true)]
        public static extern int shutdown(int fd, int how);

        [DllImport("libc", SetLastError = true)]
        public static extern int close(int fd);
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct SockaddrIn
    {
        public ushort sin_family;
        public ushort sin_port;
        public uint sin_addr;
        public ulong sin_zero;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct SockaddrIn6
    {
        public ushort sin6_family;
        public ushort sin6_port;
        public uint sin6_flowinfo;
        public fixed byte sin6_addr[16];
        public uint sin6_scope_id;
    }

    /// <summary>
    /// A blocking TCP client socket driven directly through libc, for environments that need control over
    /// the exact system calls. Every native result is tested in this class; callers only see exceptions.
    /// </summary>
    public sealed unsafe class NativeTcpSocket : IDisposable
    {
        private readonly NativeSocketHandle _handle;

        private NativeTcpSocket(NativeSocketHandle handle)
        {
            _handle = handle;
        }

        public static bool IsSupported => OperatingSystem.IsLinux();

        /// <summary>Creates a socket and connects it to <paramref name="remote"/>.</summary>
        public static NativeTcpSocket Connect(IPEndPoint remote)
        {
            ArgumentNullException.ThrowIfNull(remote);
            if (!IsSupported)
            {
                throw new PlatformNotSupportedException("NativeTcpSocket uses Linux system call constants.");
            }

            int domain = remote.AddressFamily switch
            {
                AddressFamily.InterNetwork => LibC.AF_INET,
                AddressFamily.InterNetworkV6 => LibC.AF_INET6,
                _ => throw new ArgumentException("Only IPv4 and IPv6 endpoints are supported.", nameof(remote)),
            };

            int fd = LibC.socket(domain, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, LibC.IPPROTO_TCP);
            if (fd < 0)
            {
                throw Failure("socket", Marshal.GetLastPInvokeError());
            }

            var socket = new NativeTcpSocket(new NativeSocketHandle(fd));
            try
            {
                socket.ConnectCore(remote);
                return socket;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        public bool NoDelay
        {
            set
            {
                int flag = value ? 1 : 0;
                using var lease = new Lease(_handle);
                Check(LibC.setsockopt(lease.Fd, LibC.IPPROTO_TCP, LibC.TCP_NODELAY, &flag, sizeof(int)), "setsockopt(TCP_NODELAY)");
            }
        }

        /// <summary>The address the kernel bound locally, port converted back to host order.</summary>
        public IPEndPoint LocalEndPoint
        {
            get
            {
                byte* storage = stackalloc byte[LibC.SockaddrStorageSize];
                uint length = LibC.SockaddrStorageSize;
                using (var lease = new Lease(_handle))
                {
                    Check(LibC.getsockname(lease.Fd, storage, &length), "getsockname");
                }

                ushort family = *(ushort*)storage;
                if (family == LibC.AF_INET && length >= (uint)sizeof(SockaddrIn))
                {
                    SockaddrIn v4 = *(SockaddrIn*)storage;
                    var address = new IPAddress(new ReadOnlySpan<byte>(&v4.sin_addr, sizeof(uint)));
                    return new IPEndPoint(address, ByteOrder.ntohs(v4.sin_port));
                }

                if (family == LibC.AF_INET6 && length >= (uint)sizeof(SockaddrIn6))
                {
                    SockaddrIn6 v6 = *(SockaddrIn6*)storage;
                    var address = new IPAddress(new ReadOnlySpan<byte>(v6.sin6_addr, 16), v6.sin6_scope_id);
                    return new IPEndPoint(address, ByteOrder.ntohs(v6.sin6_port));
                }

                throw new IOException($"getsockname returned unexpected address family {family}.");
            }
        }

        /// <summary>Sends all of <paramref name="data"/>, retrying after partial sends and interruptions.</summary>
        public void Send(ReadOnlySpan<byte> data)
        {
            using var lease = new Lease(_handle);
            fixed (byte* start = data)
            {
                nuint total = (nuint)data.Length;
                nuint offset = 0;
                while (offset < total)
                {
                    nint sent = LibC.send(lease.Fd, start + offset, total - offset, LibC.MSG_NOSIGNAL);
                    if (sent < 0)
                    {
                        int errno = Marshal.GetLastPInvokeError();
                        if (errno == LibC.EINTR)
                        {
                            continue;
                        }

                        throw Failure("send", errno);
                    }

                    offset += (nuint)sent;
                }
            }
        }

        /// <summary>
        /// Receives up to <c>buffer.Length</c> bytes. Returns 0 when the peer has closed its side
        /// (or when <paramref name="buffer"/> is empty).
        /// </summary>
        public int Receive(Span<byte> buffer)
        {
            if (buffer.IsEmpty)
            {
                return 0;
            }

            using var lease = new Lease(_handle);
            fixed (byte* start = buffer)
            {
                while (true)
                {
                    nint received = LibC.recv(lease.Fd, start, (nuint)buffer.Length, 0);
                    if (received >= 0)
                    {
                        return (int)received;
                    }

                    int errno = Marshal.GetLastPInvokeError();
                    if (errno != LibC.EINTR)
                    {
                        throw Failure("recv", errno);
                    }
                }
            }
        }

        /// <summary>Signals end of data to the peer; receiving still works.</summary>
        public void ShutdownSend()
        {
            using var lease = new Lease(_handle);
            Check(LibC.shutdown(lease.Fd, LibC.SHUT_WR), "shutdown");
        }

        public void Dispose() => _handle.Dispose();

        private void ConnectCore(IPEndPoint remote)
        {
            using var lease = new Lease(_handle);
            int result;
            if (remote.AddressFamily == AddressFamily.InterNetwork)
            {
                SockaddrIn address = default;
                address.sin_family = LibC.AF_INET;
                address.sin_port = ByteOrder.htons(ByteOrder.ToPort(remote.Port));

                // IPAddress writes its bytes in network order, which is the in-memory order sin_addr expects.
                Span<byte> bytes = new Span<byte>(&address.sin_addr, sizeof(uint));
                if (!remote.Address.TryWriteBytes(bytes, out int written) || written != sizeof(uint))
                {
                    throw new ArgumentException($"Cannot encode {remote.Address}.", nameof(remote));
                }

                result = LibC.connect(lease.Fd, &address, (uint)sizeof(SockaddrIn));
            }
            else
            {
                SockaddrIn6 address = default;
                address.sin6_family = LibC.AF_INET6;
                address.sin6_port = ByteOrder.htons(ByteOrder.ToPort(remote.Port));
                address.sin6_scope_id = (uint)remote.Address.ScopeId;

                Span<byte> bytes = new Span<byte>(address.sin6_addr, 16);
                if (!remote.Address.TryWriteBytes(bytes, out int written) || written != 16)
                {
                    throw new ArgumentException($"Cannot encode {remote.Address}.", nameof(remote));
                }

                result = LibC.connect(lease.Fd, &address, (uint)sizeof(SockaddrIn6));
            }

            if (result < 0)
            {
                // EINTR is not retried: the kernel continues the attempt asynchronously and a second connect
                // would fail with EALREADY. Reporting the failure is the safe answer for a blocking API.
                throw Failure("connect", Marshal.GetLastPInvokeError());
            }
        }

        private static void Check(int result, string operation)
        {
            if (result < 0)
            {
                throw Failure(operation, Marshal.GetLastPInvokeError());
            }
        }

        private static IOException Failure(string operation, int errno) =>
            new IOException($"{operation} failed with errno {errno}: {Marshal.GetPInvokeErrorMessage(errno)}",
                new Win32Exception(errno));

        /// <summary>Keeps the handle alive (and its descriptor number from being reused) for one system call.</summary>
        private readonly ref struct Lease
        {
            private readonly SafeHandle _handle;

            public Lease(SafeHandle handle)
            {
                bool added = false;
                handle.DangerousAddRef(ref added);
                _handle = handle;
                Fd = (int)handle.DangerousGetHandle().ToInt64();
            }

            public int Fd { get; }

            public void Dispose() => _handle.DangerousRelease();
        }
    }
}
