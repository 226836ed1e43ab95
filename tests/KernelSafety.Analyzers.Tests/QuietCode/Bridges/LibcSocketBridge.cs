using System;
using System.Net;
using Quiet.Bridges.Interop;

namespace Quiet.Bridges
{
    /// <summary>
    /// Forwards writes to 127.0.0.1:<c>port</c> through raw libc sockets, the way the original driver
    /// meant to: one connection, opened on first use and kept; every call checked; exactly the bytes
    /// the caller wrote go out.
    /// </summary>
    /// <remarks>
    /// <see cref="Write"/> has character-device semantics: it takes at most <see cref="MessageSize"/>
    /// bytes per call and returns how many it took, so a caller with more data calls again.
    /// All members are thread-safe; writers are serialized so messages never interleave on the wire.
    /// </remarks>
    public sealed unsafe class LibcSocketBridge : IByteSink, IDisposable
    {
        public const int DefaultPort = 2001;
        public const int MessageSize = 80;

        private static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(5);

        private readonly object _gate = new object();
        private readonly byte[] _message = new byte[MessageSize]; // per instance, guarded by _gate
        private readonly ushort _port;
        private SafeFileDescriptor? _socket; // guarded by _gate
        private bool _disposed;              // guarded by _gate

        public LibcSocketBridge(int port = DefaultPort)
        {
            if (port < 1 || port > ushort.MaxValue)
            {
                throw new ArgumentOutOfRangeException(nameof(port), port, "A TCP port is 1..65535.");
            }

            _port = (ushort)port;
        }

        /// <summary>Number of connections opened so far (the first one included).</summary>
        public int ConnectionCount { get; private set; }

        /// <summary>The local end of the current connection, or null when not connected.</summary>
        public IPEndPoint? LocalEndPoint
        {
            get
            {
                lock (_gate)
                {
                    return _socket is null ? null : QueryLocalEndPoint(_socket);
                }
            }
        }

        /// <summary>
        /// Takes up to <see cref="MessageSize"/> bytes from <paramref name="buffer"/>, forwards exactly
        /// those bytes and returns their number.
        /// </summary>
        public int Write(byte[] buffer, int offset, int count)
        {
            ArgumentNullException.ThrowIfNull(buffer);
            if ((uint)offset > (uint)buffer.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(offset));
            }

            if ((uint)count > (uint)(buffer.Length - offset))
            {
                throw new ArgumentOutOfRangeException(nameof(count));
            }

            int length = Math.Min(count, MessageSize);
            if (length == 0)
            {
                return 0;
            }

            lock (_gate)
            {
                ThrowIfDisposed();

                // Snapshot the caller's bytes first, as copy_from_user does: the caller may change its
                // buffer while a slow send is in progress.
                Buffer.BlockCopy(buffer, offset, _message, 0, length);
                try
                {
                    Forward(new ReadOnlySpan<byte>(_message, 0, length));
                }
                finally
                {
                    Array.Clear(_message, 0, length);
                }
            }

            return length;
        }

        /// <summary>Sends all of <paramref name="data"/> (no size limit) over the shared connection.</summary>
        public void Send(ReadOnlySpan<byte> data)
        {
            if (data.IsEmpty)
            {
                return;
            }

            lock (_gate)
            {
                ThrowIfDisposed();
                Forward(data);
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _disposed = true;
                CloseSocket();
            }
        }

        private void Forward(ReadOnlySpan<byte> data)
        {
            if (_socket is not null && PeerHasHungUp(_socket))
            {
                CloseSocket();
            }

            bool reused = _socket is not null;
            _socket ??= Connect();

            int errno = SendAll(_socket, data, out int sent);
            if (errno == 0)
            {
                return;
            }

            // The connection is unusable either way. If it was an old one and the kernel refused the very
            // first byte, the peer most likely dropped it while we were idle: retry once on a fresh one.
            // After a partial send, resending would duplicate bytes, so the failure goes to the caller
            // and the next write reconnects.
            CloseSocket();
            if (!reused || sent != 0 || !LibC.IsConnectionLost(errno))
            {
                throw LibC.Failure("send", errno);
            }

            _socket = Connect();
            errno = SendAll(_socket, data, out _);
            if (errno != 0)
            {
                CloseSocket();
                throw LibC.Failure("send", errno);
            }
        }

        private SafeFileDescriptor Connect()
        {
            int fd = LibC.socket(LibC.AF_INET, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, LibC.IPPROTO_TCP);
            if (fd < 0)
            {
                throw LibC.Failure("socket", LibC.LastErrno);
            }

            var socket = new SafeFileDescriptor(fd, ownsHandle: true);
            try
            {
                LibC.sockaddr_in address = LibC.LoopbackAddress(_port);
                if (LibC.connect(fd, &address, (uint)sizeof(LibC.sockaddr_in)) != 0)
                {
                    // Read errno now: closing the socket in the catch below would overwrite it.
                    throw LibC.Failure("connect", LibC.LastErrno);
                }

                int noDelay = 1;
                if (LibC.setsockopt(fd, LibC.IPPROTO_TCP, LibC.TCP_NODELAY, &noDelay, sizeof(int)) != 0)
                {
                    throw LibC.Failure("setsockopt(TCP_NODELAY)", LibC.LastErrno);
                }

                // Without a send timeout a peer that stops reading would block every writer forever.
                var timeout = new LibC.timeval
                {
                    tv_sec = (nint)SendTimeout.TotalSeconds,
                    tv_usec = 0,
                };
                if (LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_SNDTIMEO, &timeout, (uint)sizeof(LibC.timeval)) != 0)
                {
                    throw LibC.Failure("setsockopt(SO_SNDTIMEO)", LibC.LastErrno);
                }

                ConnectionCount++;
                return socket;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        /// <summary>
        /// Sends every byte of <paramref name="data"/>, looping over partial sends. Returns 0 on success or
        /// the errno of the failure; <paramref name="sent"/> says how far it got either way.
        /// </summary>
        private static int SendAll(SafeFileDescriptor socket, ReadOnlySpan<byte> data, out int sent)
        {
            sent = 0;
            using SafeFileDescriptor.Lease lease = socket.Acquire();
            fixed (byte* start = data)
            {
                while (sent < data.Length)
                {
                    nint result = LibC.send(lease.Descriptor, start + sent, (nuint)(data.Length - sent), LibC.MSG_NOSIGNAL);
                    if (result < 0)
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
                        // A blocking stream socket never accepts zero bytes of a non-empty buffer;
                        // treat it as an I/O error rather than spin.
                        return LibC.EIO;
                    }

                    sent += (int)result;
                }
            }

            return 0;
        }

        /// <summary>True when the peer has closed or reset an idle connection.</summary>
        private static bool PeerHasHungUp(SafeFileDescriptor socket)
        {
            using SafeFileDescriptor.Lease lease = socket.Acquire();
            var entry = new LibC.pollfd { fd = lease.Descriptor, events = LibC.POLLRDHUP };
            int ready = LibC.poll(&entry, 1, 0);
            if (ready < 0)
            {
                // Interrupted: assume healthy and let the send decide. Anything else: start over.
                return LibC.LastErrno != LibC.EINTR;
            }

            const short hangUp = LibC.POLLRDHUP | LibC.POLLHUP | LibC.POLLERR | LibC.POLLNVAL;
            return ready > 0 && (entry.revents & hangUp) != 0;
        }

        private static IPEndPoint QueryLocalEndPoint(SafeFileDescriptor socket)
        {
            using SafeFileDescriptor.Lease lease = socket.Acquire();
            LibC.sockaddr_in address;
            uint length = (uint)sizeof(LibC.sockaddr_in);
            if (LibC.getsockname(lease.Descriptor, &address, &length) != 0)
            {
                throw LibC.Failure("getsockname", LibC.LastErrno);
            }

            // sin_addr holds the four octets in wire order; sin_port is network order, IPEndPoint wants host order.
            var ip = new IPAddress(new ReadOnlySpan<byte>(&address.sin_addr, sizeof(uint)));
            return new IPEndPoint(ip, LibC.ntohs(address.sin_port));
        }

        private void CloseSocket()
        {
            _socket?.Dispose();
            _socket = null;
        }

        private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
    }
}
