using System;
using System.Net;
using System.Net.Sockets;

namespace Quiet.Bridges
{
    /// <summary>
    /// Forwards every write to 127.0.0.1:2001 (or another endpoint) over one blocking
    /// <see cref="Socket"/>. The socket is connected on first use, reused for every later write, and
    /// replaced after a failure or when the peer has closed it.
    /// </summary>
    public sealed class SocketForwarder : IByteSink, IDisposable
    {
        public const int DefaultPort = 2001;

        private readonly object _gate = new object();
        private readonly IPEndPoint _endPoint;
        private Socket? _socket;  // guarded by _gate
        private bool _disposed;   // guarded by _gate

        public SocketForwarder(int port = DefaultPort)
            : this(new IPEndPoint(IPAddress.Loopback, port))
        {
        }

        public SocketForwarder(IPEndPoint endPoint)
        {
            _endPoint = endPoint ?? throw new ArgumentNullException(nameof(endPoint));
        }

        public int ConnectionCount { get; private set; }

        /// <summary>Sends <paramref name="count"/> bytes of <paramref name="buffer"/> starting at <paramref name="offset"/>.</summary>
        public void Write(byte[] buffer, int offset, int count)
        {
            ArgumentNullException.ThrowIfNull(buffer);
            if (offset < 0 || count < 0 || offset > buffer.Length - count)
            {
                throw new ArgumentOutOfRangeException(nameof(count), "offset and count must describe a range inside buffer.");
            }

            Send(new ReadOnlySpan<byte>(buffer, offset, count));
        }

        public void Send(ReadOnlySpan<byte> data)
        {
            if (data.IsEmpty)
            {
                return;
            }

            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                Socket socket = GetConnectedSocket();
                try
                {
                    // A blocking Send either takes everything or throws; the loop only makes that
                    // independent of the platform's implementation.
                    while (!data.IsEmpty)
                    {
                        int sent = socket.Send(data, SocketFlags.None);
                        data = data.Slice(sent);
                    }
                }
                catch (SocketException)
                {
                    // We cannot tell how much reached the peer; drop the connection so the next
                    // write starts on a clean stream, and let the caller decide about this one.
                    DropSocket();
                    throw;
                }
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _disposed = true;
                DropSocket();
            }
        }

        private Socket GetConnectedSocket()
        {
            if (_socket is not null && !SocketHealth.PeerClosed(_socket))
            {
                return _socket;
            }

            DropSocket();
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
            {
                NoDelay = true,
                SendTimeout = 5000,
            };

            try
            {
                socket.Connect(_endPoint);
            }
            catch
            {
                socket.Dispose();
                throw;
            }

            ConnectionCount++;
            _socket = socket;
            return socket;
        }

        private void DropSocket()
        {
            _socket?.Dispose();
            _socket = null;
        }
    }

    /// <summary>
    /// The same bridge over a non-blocking socket, for hosts that must never block inside the kernel
    /// for longer than a bounded wait. Partial sends are normal here and are continued.
    /// </summary>
    public sealed class NonBlockingSocketForwarder : IByteSink, IDisposable
    {
        private readonly object _gate = new object();
        private readonly IPEndPoint _endPoint;
        private readonly int _writeWaitMicroseconds;
        private Socket? _socket; // guarded by _gate
        private bool _disposed;  // guarded by _gate

        public NonBlockingSocketForwarder(int port = SocketForwarder.DefaultPort, TimeSpan? writeWait = null)
        {
            _endPoint = new IPEndPoint(IPAddress.Loopback, port);
            TimeSpan wait = writeWait ?? TimeSpan.FromSeconds(5);
            if (wait <= TimeSpan.Zero || wait.TotalMilliseconds * 1000 > int.MaxValue)
            {
                throw new ArgumentOutOfRangeException(nameof(writeWait));
            }

            _writeWaitMicroseconds = (int)(wait.Ticks / TimeSpan.TicksPerMicrosecond);
        }

        /// <summary>Number of times a send stopped early and had to be continued (diagnostics).</summary>
        public long PartialSends { get; private set; }

        public void Send(ReadOnlySpan<byte> data)
        {
            if (data.IsEmpty)
            {
                return;
            }

            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                Socket socket = GetConnectedSocket();

                int offset = 0;
                while (offset < data.Length)
                {
                    int sent = socket.Send(data.Slice(offset), SocketFlags.None, out SocketError error);
                    offset += sent;

                    if (error == SocketError.Success)
                    {
                        if (offset < data.Length)
                        {
                            PartialSends++;
                        }

                        continue;
                    }

                    if (error == SocketError.WouldBlock || error == SocketError.Interrupted)
                    {
                        // The send buffer is full: wait until the kernel can take more, but not forever.
                        if (!socket.Poll(_writeWaitMicroseconds, SelectMode.SelectWrite))
                        {
                            DropSocket();
                            throw new TimeoutException(
                                $"127.0.0.1:{_endPoint.Port} accepted {offset} of {data.Length} bytes and then stopped reading.");
                        }

                        continue;
                    }

                    DropSocket();
                    throw new SocketException((int)error);
                }
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _disposed = true;
                DropSocket();
            }
        }

        private Socket GetConnectedSocket()
        {
            if (_socket is not null && !SocketHealth.PeerClosed(_socket))
            {
                return _socket;
            }

            DropSocket();
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                // Connect while blocking (it throws on failure), then switch the socket to non-blocking mode.
                socket.Connect(_endPoint);
                socket.Blocking = false;
            }
            catch
            {
                socket.Dispose();
                throw;
            }

            _socket = socket;
            return socket;
        }

        private void DropSocket()
        {
            _socket?.Dispose();
            _socket = null;
        }
    }

    internal static class SocketHealth
    {
        /// <summary>
        /// True when an idle connection has been closed by the peer: the socket polls readable but has
        /// nothing to read (end of stream), or polling itself fails. The bridges' peers never send data,
        /// so pending bytes do not occur in normal operation.
        /// </summary>
        public static bool PeerClosed(Socket socket)
        {
            try
            {
                return socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0;
            }
            catch (SocketException)
            {
                return true;
            }
            catch (ObjectDisposedException)
            {
                return true;
            }
        }
    }
}
