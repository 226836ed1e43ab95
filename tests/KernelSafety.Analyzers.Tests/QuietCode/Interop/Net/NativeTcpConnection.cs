using System;
using System.Buffers;
using System.Buffers.Binary;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Quiet.Interop.Native;

namespace Quiet.Interop.Net;

/// <summary>Source-generated (LibraryImport) bindings for the BSD socket calls in libc.</summary>
internal static unsafe partial class SocketNative
{
    private const string LibC = "libc";

    public const int SOCK_STREAM = 1;
    public const int SOCK_DGRAM = 2;
    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;

    public const int IPPROTO_TCP = 6;
    public const int IPPROTO_UDP = 17;

    public const int SOL_SOCKET = 1;
    public const int SO_ERROR = 4;
    public const int SO_KEEPALIVE = 9;
    public const int TCP_NODELAY = 1;

    public const int MSG_DONTWAIT = 0x40;
    public const int MSG_NOSIGNAL = 0x4000;

    public const int SHUT_WR = 1;

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int socket(int domain, int type, int protocol);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int connect(int sockfd, void* address, uint addressLength);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial nint send(int sockfd, byte* buffer, nuint length, int flags);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial nint recv(int sockfd, byte* buffer, nuint length, int flags);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int getsockopt(int sockfd, int level, int name, void* value, uint* valueLength);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int setsockopt(int sockfd, int level, int name, void* value, uint valueLength);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int shutdown(int sockfd, int how);
}

/// <summary>
/// A long-lived TCP connection driven through libc. The socket is non-blocking; every call waits with
/// poll() so that timeouts apply to connect, send and receive alike.
/// </summary>
public sealed unsafe class NativeTcpConnection : IDisposable
{
    private readonly IPEndPoint _remote;
    private readonly int _connectTimeoutMs;
    private readonly int _ioTimeoutMs;
    private readonly object _stateLock = new();   // guards _socket and _disposed only
    private readonly object _sendLock = new();
    private readonly object _receiveLock = new();
    private FileDescriptorHandle? _socket;
    private bool _disposed;

    public NativeTcpConnection(IPEndPoint remote, int connectTimeoutMs = 5_000, int ioTimeoutMs = 15_000)
    {
        ArgumentNullException.ThrowIfNull(remote);
        _remote = remote;
        _connectTimeoutMs = connectTimeoutMs;
        _ioTimeoutMs = ioTimeoutMs;
    }

    public IPEndPoint RemoteEndPoint => _remote;

    public bool IsConnected
    {
        get
        {
            lock (_stateLock)
            {
                return _socket is { IsInvalid: false, IsClosed: false };
            }
        }
    }

    /// <summary>Opens the connection if it is not open yet; a no-op otherwise.</summary>
    public void Connect()
    {
        lock (_stateLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_socket is { IsClosed: false })
            {
                return;
            }

            _socket = OpenAndConnect(_remote, _connectTimeoutMs);
        }
    }

    /// <summary>Drops the current connection (if any); the next <see cref="Connect"/> opens a new one.</summary>
    public void Reset()
    {
        lock (_stateLock)
        {
            _socket?.Dispose();
            _socket = null;
        }
    }

    private static FileDescriptorHandle OpenAndConnect(IPEndPoint remote, int timeoutMs)
    {
        bool v4 = remote.AddressFamily == AddressFamily.InterNetwork;
        int family = v4 ? AddressFamilies.AF_INET : AddressFamilies.AF_INET6;

        int fd = SocketNative.socket(
            family,
            SocketNative.SOCK_STREAM | SocketNative.SOCK_NONBLOCK | SocketNative.SOCK_CLOEXEC,
            SocketNative.IPPROTO_TCP);
        if (fd == -1)
        {
            throw NativeIOException.FromLastError("socket");
        }

        // From here on the handle owns the descriptor; nobody else can see it until we return it.
        var handle = new FileDescriptorHandle(fd, ownsHandle: true);
        try
        {
            int rc;
            if (v4)
            {
                SockAddrIn sa = SockAddrIn.Create(remote.Address, remote.Port);
                rc = SocketNative.connect(fd, &sa, (uint)sizeof(SockAddrIn));
            }
            else
            {
                SockAddrIn6 sa6 = SockAddrIn6.Create(remote.Address, remote.Port);
                rc = SocketNative.connect(fd, &sa6, (uint)sizeof(SockAddrIn6));
            }

            if (rc < 0)
            {
                int errno = Marshal.GetLastPInvokeError();

                // EINPROGRESS is the normal answer for a non-blocking socket; after EINTR the
                // handshake also continues in the background. Anything else is a hard failure.
                if (errno != Errno.EINPROGRESS && errno != Errno.EINTR)
                {
                    throw new NativeIOException($"connect({remote})", errno);
                }

                if (!FdIO.WaitReady(fd, LibC.POLLOUT, timeoutMs))
                {
                    throw new TimeoutException($"connect({remote}) timed out after {timeoutMs} ms");
                }

                int pending = GetPendingError(fd);
                if (pending != 0)
                {
                    throw new NativeIOException($"connect({remote})", pending);
                }
            }

            SetIntOption(fd, SocketNative.IPPROTO_TCP, SocketNative.TCP_NODELAY, 1);
            SetIntOption(fd, SocketNative.SOL_SOCKET, SocketNative.SO_KEEPALIVE, 1);
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static int GetPendingError(int fd)
    {
        int value = 0;
        uint length = sizeof(int);
        if (SocketNative.getsockopt(fd, SocketNative.SOL_SOCKET, SocketNative.SO_ERROR, &value, &length) != 0)
        {
            throw NativeIOException.FromLastError("getsockopt(SO_ERROR)");
        }

        return value;
    }

    private static void SetIntOption(int fd, int level, int name, int value)
    {
        if (SocketNative.setsockopt(fd, level, name, &value, sizeof(int)) == -1)
        {
            throw NativeIOException.FromLastError($"setsockopt({level}, {name})");
        }
    }

    /// <summary>Sends all of <paramref name="data"/>; partial sends are continued until done or an error/timeout occurs.</summary>
    public void SendAll(ReadOnlySpan<byte> data)
    {
        // Sending and receiving use separate locks so a slow send never holds up the reader.
        FileDescriptorHandle socket = CurrentSocket();
        lock (_sendLock)
        {
            bool added = false;
            socket.DangerousAddRef(ref added);
            try
            {
                SendAllCore(socket.RawDescriptor, data, _ioTimeoutMs);
            }
            finally
            {
                if (added)
                {
                    socket.DangerousRelease();
                }
            }
        }
    }

    private FileDescriptorHandle CurrentSocket()
    {
        lock (_stateLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _socket ?? throw new InvalidOperationException("Not connected.");
        }
    }

    private static void SendAllCore(int fd, ReadOnlySpan<byte> data, int timeoutMs)
    {
        fixed (byte* start = data)
        {
            int offset = 0;
            while (offset < data.Length)
            {
                // MSG_NOSIGNAL: a closed peer must surface as EPIPE, not kill the process with SIGPIPE.
                nint sent = SocketNative.send(fd, start + offset, (nuint)(data.Length - offset), SocketNative.MSG_NOSIGNAL);
                if (sent > 0)
                {
                    offset += (int)sent;
                    continue;
                }

                int errno = sent == 0 ? Errno.EAGAIN : Marshal.GetLastPInvokeError();
                switch (errno)
                {
                    case Errno.EINTR:
                        continue;
                    case Errno.EAGAIN:
                        if (!FdIO.WaitReady(fd, LibC.POLLOUT, timeoutMs))
                        {
                            throw new TimeoutException($"send stalled after {offset} of {data.Length} bytes");
                        }

                        continue;
                    default:
                        throw new NativeIOException("send", errno);
                }
            }
        }
    }

    /// <summary>Receives up to <c>buffer.Length</c> bytes. Returns 0 when the peer has closed its side.</summary>
    public int Receive(Span<byte> buffer)
    {
        FileDescriptorHandle socket = CurrentSocket();
        lock (_receiveLock)
        {
            bool added = false;
            socket.DangerousAddRef(ref added);
            try
            {
                int fd = socket.RawDescriptor;
                fixed (byte* start = buffer)
                {
                    while (true)
                    {
                        nint received = SocketNative.recv(fd, start, (nuint)buffer.Length, 0);
                        if (received >= 0)
                        {
                            return (int)received;
                        }

                        int errno = Marshal.GetLastPInvokeError();
                        if (errno == Errno.EINTR)
                        {
                            continue;
                        }

                        if (errno != Errno.EAGAIN)
                        {
                            throw new NativeIOException("recv", errno);
                        }

                        if (!FdIO.WaitReady(fd, LibC.POLLIN, _ioTimeoutMs))
                        {
                            throw new TimeoutException($"recv timed out after {_ioTimeoutMs} ms");
                        }
                    }
                }
            }
            finally
            {
                if (added)
                {
                    socket.DangerousRelease();
                }
            }
        }
    }

    /// <summary>Waits until data (or end of stream) can be received; false on timeout.</summary>
    public bool WaitReadable(int timeoutMs)
    {
        FileDescriptorHandle socket = CurrentSocket();
        return FdIO.WaitReady(socket, LibC.POLLIN, timeoutMs);
    }

    /// <summary>Fills <paramref name="buffer"/> completely or throws if the stream ends first.</summary>
    public void ReceiveExactly(Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = Receive(buffer.Slice(total));
            if (n == 0)
            {
                throw new EndOfStreamException($"Peer closed after {total} of {buffer.Length} bytes.");
            }

            total += n;
        }
    }

    public void Dispose()
    {
        lock (_stateLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_socket is { IsClosed: false } socket)
            {
                bool added = false;
                socket.DangerousAddRef(ref added);
                try
                {
                    // Best effort FIN before close; the descriptor is released below either way.
                    _ = SocketNative.shutdown(socket.RawDescriptor, SocketNative.SHUT_WR);
                }
                finally
                {
                    if (added)
                    {
                        socket.DangerousRelease();
                    }
                }
            }

            _socket?.Dispose();
            _socket = null;
        }
    }
}

/// <summary>
/// Sends length-prefixed frames (4-byte big-endian length, then payload) over one persistent
/// <see cref="NativeTcpConnection"/>. The connection is opened on first use and kept for later frames.
/// </summary>
public sealed class FramedForwarder : IDisposable
{
    public const int HeaderSize = 4;
    public const int MaxPayload = 1 << 20;

    private readonly NativeTcpConnection _connection;
    private readonly object _gate = new();

    public FramedForwarder(IPEndPoint relay)
    {
        _connection = new NativeTcpConnection(relay);
    }

    public void Forward(ReadOnlySpan<byte> payload)
    {
        if (payload.Length > MaxPayload)
        {
            throw new ArgumentOutOfRangeException(nameof(payload), $"Frames carry at most {MaxPayload} bytes.");
        }

        int frameLength = HeaderSize + payload.Length;
        byte[] frame = ArrayPool<byte>.Shared.Rent(frameLength);
        try
        {
            BinaryPrimitives.WriteInt32BigEndian(frame, payload.Length);
            payload.CopyTo(frame.AsSpan(HeaderSize, payload.Length));

            // The rented array may be longer than the frame: only frameLength bytes are valid.
            ReadOnlySpan<byte> wire = frame.AsSpan(0, frameLength);

            lock (_gate)
            {
                _connection.Connect();
                try
                {
                    _connection.SendAll(wire);
                }
                catch (NativeIOException ex) when (ex.Errno is Errno.EPIPE or Errno.ECONNRESET)
                {
                    // The relay restarted. Any prefix of this frame died with the old stream, so the
                    // complete frame is sent once more on a fresh connection, which is then kept.
                    _connection.Reset();
                    _connection.Connect();
                    _connection.SendAll(wire);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    public void Dispose() => _connection.Dispose();
}
