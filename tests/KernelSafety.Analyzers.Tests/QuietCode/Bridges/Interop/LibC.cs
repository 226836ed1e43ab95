using System;
using System.Buffers.Binary;
using System.ComponentModel;
using System.Runtime.InteropServices;

// The structure names follow the C headers on purpose.
#pragma warning disable CS8981

namespace Quiet.Bridges.Interop
{
    /// <summary>
    /// The slice of Linux libc that the native bridges need. Constants are the Linux values shared by
    /// x86-64 and arm64 (the generic syscall ABI); structure layouts are those of glibc and musl on 64-bit.
    /// </summary>
    internal static unsafe class LibC
    {
        private const string Library = "libc";

        public const int AF_INET = 2;
        public const int SOCK_STREAM = 1;
        public const int SOCK_CLOEXEC = 0x80000;
        public const int IPPROTO_TCP = 6;
        public const int SOL_SOCKET = 1;
        public const int SO_SNDTIMEO = 21;
        public const int TCP_NODELAY = 1;
        public const int MSG_NOSIGNAL = 0x4000;

        public const int O_RDONLY = 0x0;
        public const int O_WRONLY = 0x1;
        public const int O_RDWR = 0x2;
        public const int O_NOCTTY = 0x100;
        public const int O_CLOEXEC = 0x80000;

        public const short POLLIN = 0x001;
        public const short POLLERR = 0x008;
        public const short POLLHUP = 0x010;
        public const short POLLNVAL = 0x020;
        public const short POLLRDHUP = 0x2000;

        public const int EINTR = 4;
        public const int EIO = 5;
        public const int EBADF = 9;
        public const int EAGAIN = 11;
        public const int EFAULT = 14;
        public const int EINVAL = 22;
        public const int EPIPE = 32;
        public const int ECONNRESET = 104;
        public const int ENOTCONN = 107;
        public const int ETIMEDOUT = 110;
        public const int ECONNREFUSED = 111;

        /// <summary>127.0.0.1 as a host-order integer; convert with <see cref="htonl"/> before storing it.</summary>
        public const uint INADDR_LOOPBACK = 0x7F000001;

        /// <summary>struct sockaddr_in: 16 bytes. sin_port and sin_addr hold network byte order.</summary>
        [StructLayout(LayoutKind.Sequential)]
        public unsafe struct sockaddr_in
        {
            public ushort sin_family;
            public ushort sin_port;
            public uint sin_addr;
            public fixed byte sin_zero[8];
        }

        /// <summary>struct pollfd.</summary>
        [StructLayout(LayoutKind.Sequential)]
        public struct pollfd
        {
            public int fd;
            public short events;
            public short revents;
        }

        /// <summary>struct timeval on 64-bit Linux (two longs).</summary>
        [StructLayout(LayoutKind.Sequential)]
        public struct timeval
        {
            public nint tv_sec;
            public nint tv_usec;
        }

        [DllImport(Library, SetLastError = true)]
        public static extern int socket(int domain, int type, int protocol);

        [DllImport(Library, SetLastError = true)]
        public static extern int connect(int sockfd, sockaddr_in* addr, uint addrlen);

        /// <summary>connect() over an address that was serialized into a byte buffer.</summary>
        [DllImport(Library, EntryPoint = "connect", SetLastError = true)]
        public static extern int connect(int sockfd, byte* addr, uint addrlen);

        [DllImport(Library, SetLastError = true)]
        public static extern int getsockname(int sockfd, sockaddr_in* addr, uint* addrlen);

        [DllImport(Library, SetLastError = true)]
        public static extern int setsockopt(int sockfd, int level, int optname, void* optval, uint optlen);

        [DllImport(Library, SetLastError = true)]
        public static extern nint send(int sockfd, byte* buf, nuint len, int flags);

        [DllImport(Library, SetLastError = true)]
        public static extern nint recv(int sockfd, byte* buf, nuint len, int flags);

        [DllImport(Library, SetLastError = true)]
        public static extern int poll(pollfd* fds, nuint nfds, int timeout);

        [DllImport(Library, SetLastError = true)]
        public static extern nint read(int fd, byte* buf, nuint count);

        [DllImport(Library, SetLastError = true)]
        public static extern nint write(int fd, byte* buf, nuint count);

        /// <summary>open(2). The mode argument is only read with O_CREAT; pass 0 otherwise.</summary>
        [DllImport(Library, SetLastError = true)]
        public static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string pathname, int flags, uint mode);

        [DllImport(Library, SetLastError = true)]
        public static extern int close(int fd);

        public static ushort htons(ushort hostshort) =>
            BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(hostshort) : hostshort;

        public static ushort ntohs(ushort netshort) =>
            BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(netshort) : netshort;

        public static uint htonl(uint hostlong) =>
            BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(hostlong) : hostlong;

        /// <summary>errno of the last P/Invoke on this thread that was declared with SetLastError.</summary>
        public static int LastErrno => Marshal.GetLastPInvokeError();

        /// <summary>Builds 127.0.0.1:<paramref name="port"/> with every field in the byte order the kernel expects.</summary>
        public static sockaddr_in LoopbackAddress(ushort port)
        {
            sockaddr_in address = default; // also zeroes sin_zero
            address.sin_family = AF_INET;
            address.sin_port = htons(port);
            address.sin_addr = htonl(INADDR_LOOPBACK);
            return address;
        }

        public static Win32Exception Failure(string call, int errno, string? subject = null) =>
            new Win32Exception(
                errno,
                subject is null
                    ? $"{call}() failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})."
                    : $"{call}() failed for {subject}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");

        /// <summary>Errors after which the connection is unusable but a fresh one may work.</summary>
        public static bool IsConnectionLost(int errno) =>
            errno == EPIPE || errno == ECONNRESET || errno == ENOTCONN || errno == ETIMEDOUT;
    }
}
