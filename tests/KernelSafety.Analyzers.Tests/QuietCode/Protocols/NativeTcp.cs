using System;
using System.Buffers.Binary;
using System.ComponentModel;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Quiet.Protocols.Common;

namespace Quiet.Protocols.Native
{
    /// <summary>Linux <c>struct sockaddr_in</c>: family in host order, port and address in network order.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct SockAddrIn
    {
        public ushort sin_family;
        public ushort sin_port;
        public uint sin_addr;
        public ulong sin_zero;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct PollFd
    {
        public int fd;
        public short events;
        public short revents;
    }

    internal static unsafe class LibC
    {
        public const int AF_INET = 2;
        public const int SOCK_STREAM = 1;
        public const int SOCK_CLOEXEC = 0x80000;
        public const int IPPROTO_TCP = 6;
        public const int MSG_DONTWAIT = 0x40;
        public const int MSG_NOSIGNAL = 0x4000;
        public const int EINTR = 4;
        public const int EAGAIN = 11;
        public const short POLLOUT = 0x004;

        [DllImport("libc", SetLastError = true)]
        public static extern int socket(int domain, int type, int protocol);

        [DllImport("libc", SetLastError = true)]
        public static extern int connect(int fd, SockAddrIn* address, uint addressLength);

        [DllImport("libc", SetLastError = true)]
        public static extern nint send(int fd, byte* buffer, nuint length, int flags);

        [DllImport("libc", SetLastError = true)]
        public static extern nint recv(int fd, byte* buffer, nuint length, int flags);

        [DllImport("libc", SetLastError = true)]
        public static extern int poll(PollFd* fds, nuint count, int timeoutMilliseconds);

        [DllImport("libc", SetLastError = true)]
        public static extern int getsockname(int fd, SockAddrIn* address, uint* addressLength);

        [DllImport("libc", SetLastError = true)]
        public static extern int close(int fd);

        public static ushort htons(ushort value) => BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(value) : value;

        public static ushort ntohs(ushort value) => BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(value) : value;
    }

    internal sealed class FileDescriptorHandle : SafeHandle
    {
        public FileDescriptorHandle(int fd) : base(new IntPtr(-1), ownsHandle: true) => SetHandle(new IntPtr(fd));

        public override bool IsInvalid => handle == new IntPtr(-1);

        protected override bool ReleaseHandle() => LibC.close((int)handle) == 0;
    }

    /// <summary>
    /// A TCP connection made directly with libc (Linux), for hosts that need raw descriptor control.
    /// Every libc result is checked; failures surface as <see cref="Win32Exception"/> with errno.
    /// </summary>
    public sealed unsafe class NativeTcpConnection : IDisposable
    {
        private readonly FileDescriptorHandle _fd;

        private NativeTcpConnection(FileDescriptorHandle fd) => _fd = fd;

        public static NativeTcpConnection Connect(IPAddress address, int port)
        {
            if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("NativeTcpConnection uses Linux libc.");
            if (address.AddressFamily != AddressFamily.InterNetwork) throw new ArgumentException("IPv4 only.", nameof(address));
            ushort hostPort = NetOrder.CheckedPort(port);

            int fd = LibC.socket(LibC.AF_INET, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, LibC.IPPROTO_TCP);
            if (fd < 0)
            {
                throw new Win32Exception(Marshal.GetLastPInvokeError(), "socket() failed");
            }
            var handle = new FileDescriptorHandle(fd);
            try
            {
                SockAddrIn sockaddr = default;
                sockaddr.sin_family = LibC.AF_INET;
                sockaddr.sin_port = LibC.htons(hostPort);
                // GetAddressBytes order is network order; write the four bytes into the field byte by byte.
                if (!address.TryWriteBytes(new Span<byte>(&sockaddr.sin_addr, sizeof(uint)), out _))
                {
                    throw new ArgumentException("Could not encode the IPv4 address.", nameof(address));
                }

                int rc = LibC.connect(fd, &sockaddr, (uint)sizeof(SockAddrIn));
                if (rc < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    throw new Win32Exception(errno, $"connect() to {address}:{hostPort} failed");
                }
                return new NativeTcpConnection(handle);
            }
            catch
            {
                handle.Dispose();
                throw;
            }
        }

        public IPEndPoint LocalEndPoint
        {
            get
            {
                using var lease = new Lease(_fd);
                SockAddrIn sockaddr = default;
                uint length = (uint)sizeof(SockAddrIn);
                if (LibC.getsockname(lease.Fd, &sockaddr, &length) < 0)
                {
                    throw new Win32Exception(Marshal.GetLastPInvokeError(), "getsockname() failed");
                }
                var ip = new IPAddress(new ReadOnlySpan<byte>(&sockaddr.sin_addr, sizeof(uint)));
                // sin_port is network order; IPEndPoint wants the host-order number.
                return new IPEndPoint(ip, LibC.ntohs(sockaddr.sin_port));
            }
        }

        /// <summary>Blocking send of the whole span; short writes continue from where the kernel stopped.</summary>
        public void Send(ReadOnlySpan<byte> data)
        {
            using var lease = new Lease(_fd);
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
                        if (errno == LibC.EINTR) continue;
                        throw new Win32Exception(errno, "send() failed");
                    }
                    offset += (nuint)sent;
                }
            }
        }

        /// <summary>
        /// Non-blocking send: <c>MSG_DONTWAIT</c> per call, waiting in <c>poll</c> for room when the kernel buffer is
        /// full. Returns only when every byte is queued, or throws.
        /// </summary>
        public void SendWithDeadline(ReadOnlySpan<byte> data, int timeoutMilliseconds)
        {
            if (timeoutMilliseconds < 0) throw new ArgumentOutOfRangeException(nameof(timeoutMilliseconds));
            using var lease = new Lease(_fd);
            long deadline = Environment.TickCount64 + timeoutMilliseconds;
            fixed (byte* start = data)
            {
                nuint total = (nuint)data.Length;
                nuint offset = 0;
                while (offset < total)
                {
                    nint sent = LibC.send(lease.Fd, start + offset, total - offset, LibC.MSG_DONTWAIT | LibC.MSG_NOSIGNAL);
                    if (sent >= 0)
                    {
                        offset += (nuint)sent;
                        continue;
                    }

                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == LibC.EINTR) continue;
                    if (errno != LibC.EAGAIN) throw new Win32Exception(errno, "send() failed");

                    long remaining = deadline - Environment.TickCount64;
                    if (remaining <= 0) throw new TimeoutException($"Sent {offset} of {total} bytes before the deadline.");
                    var pollFd = new PollFd { fd = lease.Fd, events = LibC.POLLOUT };
                    int ready = LibC.poll(&pollFd, 1, (int)Math.Min(remaining, int.MaxValue));
                    if (ready < 0)
                    {
                        int pollErrno = Marshal.GetLastPInvokeError();
                        if (pollErrno != LibC.EINTR) throw new Win32Exception(pollErrno, "poll() failed");
                    }
                }
            }
        }

        /// <summary>Receives into <paramref name="buffer"/>; returns the byte count (0 at end of stream).</summary>
        public int Receive(Span<byte> buffer)
        {
            using var lease = new Lease(_fd);
            fixed (byte* start = buffer)
            {
                while (true)
                {
                    nint received = LibC.recv(lease.Fd, start, (nuint)buffer.Length, 0);
                    if (received >= 0) return (int)received;
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno != LibC.EINTR) throw new Win32Exception(errno, "recv() failed");
                }
            }
        }

        public void Dispose() => _fd.Dispose();

        /// <summary>Keeps the descriptor alive (and unreused) for the duration of one native call sequence.</summary>
        private readonly ref struct Lease
        {
            private readonly FileDescriptorHandle _handle;
            private readonly bool _added;

            public Lease(FileDescriptorHandle handle)
            {
                _handle = handle;
                _added = false;
                handle.DangerousAddRef(ref _added);
                Fd = (int)handle.DangerousGetHandle();
            }

            public int Fd { get; }

            public void Dispose()
            {
                if (_added) _handle.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// An unmanaged staging buffer that coalesces small records before one native send. All copies are checked
    /// against both the source and the remaining capacity.
    /// </summary>
    public sealed unsafe class NativeSendBuffer : IDisposable
    {
        private byte* _memory;
        private readonly int _capacity;
        private int _length;

        public NativeSendBuffer(int capacity)
        {
            if (capacity <= 0) throw new ArgumentOutOfRangeException(nameof(capacity));
            _capacity = capacity;
            _memory = (byte*)NativeMemory.Alloc((nuint)capacity);
        }

        public int Length => _length;
        public int Available => _capacity - _length;

        /// <summary>Appends a segment of a managed array; returns false (and copies nothing) if it does not fit.</summary>
        public bool TryAppend(byte[] source, int offset, int count)
        {
            ArgumentNullException.ThrowIfNull(source);
            if ((uint)offset > (uint)source.Length || (uint)count > (uint)(source.Length - offset))
                throw new ArgumentOutOfRangeException(nameof(count), "The segment lies outside the source array.");
            ThrowIfDisposed();
            if (count > Available) return false;

            fixed (byte* src = source)
            {
                Buffer.MemoryCopy(src + offset, _memory + _length, Available, count);
            }
            _length += count;
            return true;
        }

        public bool TryAppend(ReadOnlySpan<byte> record)
        {
            ThrowIfDisposed();
            if (record.Length > Available) return false;
            fixed (byte* src = record)
            {
                NativeMemory.Copy(src, _memory + _length, (nuint)record.Length);
            }
            _length += record.Length;
            return true;
        }

        /// <summary>Copies the buffered bytes out for tracing; never more than the destination holds.</summary>
        public int CopyTo(byte[] destination)
        {
            ThrowIfDisposed();
            int count = Math.Min(_length, destination.Length);
            Marshal.Copy((IntPtr)_memory, destination, 0, count);
            return count;
        }

        /// <summary>Sends exactly the buffered bytes (not the whole capacity), then empties the buffer.</summary>
        public void FlushTo(NativeTcpConnection connection)
        {
            ThrowIfDisposed();
            if (_length == 0) return;
            connection.Send(new ReadOnlySpan<byte>(_memory, _length));
            _length = 0;
        }

        private void ThrowIfDisposed()
        {
            if (_memory == null) throw new ObjectDisposedException(nameof(NativeSendBuffer));
        }

        public void Dispose()
        {
            if (_memory != null)
            {
                NativeMemory.Free(_memory);
                _memory = null;
            }
        }
    }
}
