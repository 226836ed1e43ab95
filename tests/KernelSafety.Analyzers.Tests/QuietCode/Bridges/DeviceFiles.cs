using System;
using System.Buffers.Binary;
using System.IO;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using Quiet.Bridges.Interop;

namespace Quiet.Bridges
{
    /// <summary>
    /// Reads a character device through <see cref="FileStream"/> and forwards every read to a sink:
    /// exactly the bytes each read returned, nothing from earlier reads.
    /// </summary>
    public static class DeviceStreamPump
    {
        public const int ReadSize = 80;

        /// <returns>Total bytes forwarded when the device reports end of file or cancellation is requested.</returns>
        public static long Run(string devicePath, IByteSink sink, CancellationToken cancellationToken = default)
        {
            ArgumentException.ThrowIfNullOrEmpty(devicePath);
            ArgumentNullException.ThrowIfNull(sink);

            var options = new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.ReadWrite,
                BufferSize = 0, // devices return records per read(); do not let a buffer merge them
            };

            using var device = new FileStream(devicePath, options);
            byte[] buffer = new byte[ReadSize];
            long total = 0;
            while (!cancellationToken.IsCancellationRequested)
            {
                int read = device.Read(buffer, 0, buffer.Length);
                if (read == 0)
                {
                    break;
                }

                sink.Send(buffer.AsSpan(0, read));
                total += read;
            }

            return total;
        }
    }

    /// <summary>
    /// A device node opened once for writing, e.g. /dev/ttyS0 or the bridge's own /dev node. Text lines
    /// are encoded into a reusable buffer and written with the encoded length.
    /// </summary>
    public sealed class CharDeviceFile : IDisposable
    {
        private readonly object _gate = new object();
        private readonly FileStream _device;
        private byte[] _line = new byte[256]; // guarded by _gate, grows on demand

        public CharDeviceFile(string devicePath)
        {
            ArgumentException.ThrowIfNullOrEmpty(devicePath);
            _device = new FileStream(devicePath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
        }

        public void WriteLine(string text)
        {
            ArgumentNullException.ThrowIfNull(text);
            lock (_gate)
            {
                int needed = Encoding.UTF8.GetMaxByteCount(text.Length) + 1;
                if (_line.Length < needed)
                {
                    _line = new byte[needed];
                }

                int length = Encoding.UTF8.GetBytes(text, 0, text.Length, _line, 0);
                _line[length++] = (byte)'\n';
                _device.Write(_line, 0, length);
            }
        }

        public void Write(ReadOnlySpan<byte> data)
        {
            lock (_gate)
            {
                _device.Write(data);
            }
        }

        public void Dispose() => _device.Dispose();
    }

    /// <summary>
    /// A device node driven directly through libc open/read/write, with every result checked:
    /// negative means errno (EINTR retried), read() == 0 means end of file, and a write() that takes
    /// fewer bytes than asked is continued.
    /// </summary>
    public sealed unsafe class NativeCharDevice : IDisposable
    {
        public const int MessageSize = 80;

        private readonly object _gate = new object();
        private readonly SafeFileDescriptor _fd;
        private byte* _native; // MessageSize bytes of unmanaged memory, guarded by _gate

        private NativeCharDevice(SafeFileDescriptor fd)
        {
            _fd = fd;
            _native = (byte*)NativeMemory.AllocZeroed(MessageSize);
        }

        public static NativeCharDevice Open(string path, FileAccess access)
        {
            ArgumentException.ThrowIfNullOrEmpty(path);
            int flags = access switch
            {
                FileAccess.Read => LibC.O_RDONLY,
                FileAccess.Write => LibC.O_WRONLY,
                FileAccess.ReadWrite => LibC.O_RDWR,
                _ => throw new ArgumentOutOfRangeException(nameof(access)),
            };

            int fd;
            int errno;
            do
            {
                fd = LibC.open(path, flags | LibC.O_CLOEXEC | LibC.O_NOCTTY, 0);
                errno = fd < 0 ? LibC.LastErrno : 0;
            }
            while (fd < 0 && errno == LibC.EINTR);

            if (fd < 0)
            {
                throw LibC.Failure("open", errno, path);
            }

            var handle = new SafeFileDescriptor(fd, ownsHandle: true);
            try
            {
                return new NativeCharDevice(handle);
            }
            catch
            {
                handle.Dispose();
                throw;
            }
        }

        /// <summary>One read(2). Returns the bytes read, 0 at end of file.</summary>
        public int Read(Span<byte> buffer)
        {
            if (buffer.IsEmpty)
            {
                return 0;
            }

            using SafeFileDescriptor.Lease lease = _fd.Acquire();
            fixed (byte* destination = buffer)
            {
                while (true)
                {
                    nint read = LibC.read(lease.Descriptor, destination, (nuint)buffer.Length);
                    if (read >= 0)
                    {
                        return (int)read;
                    }

                    int errno = LibC.LastErrno;
                    if (errno != LibC.EINTR)
                    {
                        throw LibC.Failure("read", errno);
                    }
                }
            }
        }

        /// <summary>
        /// Reads one message (at most 80 bytes) into the device's unmanaged staging buffer and copies it
        /// into <paramref name="destination"/>, which must have room for a whole message.
        /// </summary>
        public int ReadMessage(byte[] destination)
        {
            ArgumentNullException.ThrowIfNull(destination);
            if (destination.Length < MessageSize)
            {
                throw new ArgumentException($"The destination must hold {MessageSize} bytes.", nameof(destination));
            }

            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_native == null, this);
                using SafeFileDescriptor.Lease lease = _fd.Acquire();
                nint read;
                int errno;
                do
                {
                    read = LibC.read(lease.Descriptor, _native, MessageSize);
                    errno = read < 0 ? LibC.LastErrno : 0;
                }
                while (read < 0 && errno == LibC.EINTR);

                if (read < 0)
                {
                    throw LibC.Failure("read", errno);
                }

                int count = (int)read; // 0..MessageSize, and destination holds at least MessageSize
                Marshal.Copy((IntPtr)_native, destination, 0, count);
                return count;
            }
        }

        /// <summary>Writes all of <paramref name="data"/>, continuing after short writes.</summary>
        public void WriteAll(ReadOnlySpan<byte> data)
        {
            using SafeFileDescriptor.Lease lease = _fd.Acquire();
            fixed (byte* source = data)
            {
                int written = 0;
                while (written < data.Length)
                {
                    nint result = LibC.write(lease.Descriptor, source + written, (nuint)(data.Length - written));
                    if (result < 0)
                    {
                        int errno = LibC.LastErrno;
                        if (errno == LibC.EINTR)
                        {
                            continue;
                        }

                        throw LibC.Failure("write", errno);
                    }

                    if (result == 0)
                    {
                        throw new IOException($"write() made no progress after {written} of {data.Length} bytes.");
                    }

                    written += (int)result;
                }
            }
        }

        /// <summary>
        /// Stages up to 80 bytes of a managed buffer in unmanaged memory and writes exactly those bytes
        /// with one write(2) call. Returns what write() took: a device may accept less, like any file.
        /// </summary>
        public int WriteMessage(byte[] buffer, int offset, int count)
        {
            ArgumentNullException.ThrowIfNull(buffer);
            if ((uint)offset > (uint)buffer.Length || (uint)count > (uint)(buffer.Length - offset))
            {
                throw new ArgumentOutOfRangeException(nameof(count));
            }

            int length = Math.Min(count, MessageSize);
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_native == null, this);
                Marshal.Copy(buffer, offset, (IntPtr)_native, length);

                using SafeFileDescriptor.Lease lease = _fd.Acquire();
                while (true)
                {
                    nint result = LibC.write(lease.Descriptor, _native, (nuint)length);
                    if (result >= 0)
                    {
                        return (int)result;
                    }

                    int errno = LibC.LastErrno;
                    if (errno != LibC.EINTR)
                    {
                        throw LibC.Failure("write", errno);
                    }
                }
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                if (_native != null)
                {
                    NativeMemory.Free(_native);
                    _native = null;
                }
            }

            _fd.Dispose();
        }
    }

    /// <summary>
    /// The user-space daemon that replaces the driver: reads messages from a device node with libc and
    /// forwards each one to 127.0.0.1:2001 over a native socket that stays connected across messages.
    /// The socket address is serialized into bytes here, the way it is laid out in the kernel's struct.
    /// </summary>
    public sealed unsafe class NativeDeviceToSocketDaemon : IDisposable
    {
        private const int SockaddrInSize = 16;

        private readonly NativeCharDevice _device;
        private readonly ushort _port;
        private SafeFileDescriptor? _socket;

        public NativeDeviceToSocketDaemon(string devicePath, int port = LibcSocketBridge.DefaultPort)
        {
            if (port < 1 || port > ushort.MaxValue)
            {
                throw new ArgumentOutOfRangeException(nameof(port));
            }

            _port = (ushort)port;
            _device = NativeCharDevice.Open(devicePath, FileAccess.Read);
        }

        /// <summary>Pumps until end of file or cancellation; returns the number of messages forwarded.</summary>
        public long Run(CancellationToken cancellationToken = default)
        {
            byte[] message = new byte[NativeCharDevice.MessageSize];
            long forwarded = 0;
            while (!cancellationToken.IsCancellationRequested)
            {
                int length = _device.ReadMessage(message);
                if (length == 0)
                {
                    break;
                }

                Forward(message.AsSpan(0, length));
                forwarded++;
            }

            return forwarded;
        }

        public void Dispose()
        {
            _socket?.Dispose();
            _device.Dispose();
        }

        private void Forward(ReadOnlySpan<byte> message)
        {
            _socket ??= Connect();
            int errno = SendAll(_socket, message);
            if (errno != 0)
            {
                // Reconnect on the next message; this one is reported, not silently dropped.
                _socket.Dispose();
                _socket = null;
                throw LibC.Failure("send", errno);
            }
        }

        /// <summary>Sends the whole message; returns 0, or the errno that stopped it.</summary>
        private static int SendAll(SafeFileDescriptor socket, ReadOnlySpan<byte> message)
        {
            using SafeFileDescriptor.Lease lease = socket.Acquire();
            fixed (byte* start = message)
            {
                int sent = 0;
                while (sent < message.Length)
                {
                    nint result = LibC.send(lease.Descriptor, start + sent, (nuint)(message.Length - sent), LibC.MSG_NOSIGNAL);
                    if (result == -1)
                    {
                        int errno = LibC.LastErrno;
                        if (errno == LibC.EINTR)
                        {
                            continue;
                        }

                        return errno;
                    }

                    if (result == 0)
                    {
                        return LibC.EIO;
                    }

                    sent += (int)result;
                }
            }

            return 0;
        }

        private SafeFileDescriptor Connect()
        {
            // struct sockaddr_in: sin_family in host order, sin_port and sin_addr in network order.
            Span<byte> address = stackalloc byte[SockaddrInSize];
            address.Clear();
            ushort family = LibC.AF_INET;
            MemoryMarshal.Write(address, in family);
            BinaryPrimitives.WriteUInt16BigEndian(address.Slice(2, 2), _port);
            BinaryPrimitives.WriteUInt32BigEndian(address.Slice(4, 4), LibC.INADDR_LOOPBACK);

            int fd = LibC.socket(LibC.AF_INET, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0);
            if (fd == -1)
            {
                throw LibC.Failure("socket", LibC.LastErrno);
            }

            var socket = new SafeFileDescriptor(fd, ownsHandle: true);
            fixed (byte* raw = address)
            {
                if (LibC.connect(fd, raw, SockaddrInSize) == -1)
                {
                    int errno = LibC.LastErrno;
                    socket.Dispose();
                    throw LibC.Failure("connect", errno);
                }
            }

            return socket;
        }
    }

    /// <summary>
    /// The opposite direction: whatever arrives on a connected socket is written to a device node,
    /// each receive written in full with the length it returned.
    /// </summary>
    public static class SocketToDeviceRelay
    {
        public static long Run(Socket source, NativeCharDevice device, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(source);
            ArgumentNullException.ThrowIfNull(device);

            byte[] buffer = new byte[4096];
            long total = 0;
            while (!cancellationToken.IsCancellationRequested)
            {
                int received = source.Receive(buffer, 0, buffer.Length, SocketFlags.None);
                if (received == 0)
                {
                    break; // orderly shutdown by the peer
                }

                device.WriteAll(buffer.AsSpan(0, received));
                total += received;
            }

            return total;
        }
    }
}
