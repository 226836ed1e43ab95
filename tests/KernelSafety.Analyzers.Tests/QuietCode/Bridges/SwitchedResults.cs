using System;
using System.ComponentModel;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using Quiet.Bridges.Interop;

namespace Quiet.Bridges
{
    /// <summary>
    /// Bridge code that reads results with <c>switch</c>, keeps connection state in atomics, writes text through
    /// writers kept with the connection, and converts ports and sizes the long way round, all correctly: the shapes
    /// that the rules read since stop 32 (see MANIFEST.md, "Switches, atomics, writers and widths").
    /// </summary>
    public sealed unsafe class SwitchedResults : IDisposable
    {
        private readonly object _gate = new();
        private int _connected;
        private Socket? _socket;
        private StreamWriter? _writer;
        private TcpClient? _client;

        /// <summary>Opens a libc socket to 127.0.0.1:<paramref name="port"/>; every failure leaves the method.</summary>
        public static int OpenNative(int port)
        {
            var fd = LibC.socket(LibC.AF_INET, LibC.SOCK_STREAM, 0);
            switch (fd)
            {
                case < 0:
                    throw new Win32Exception(Marshal.GetLastPInvokeError());
            }

            var address = new LibC.sockaddr_in
            {
                sin_family = LibC.AF_INET,
                sin_port = unchecked((ushort)IPAddress.HostToNetworkOrder((short)port)),
                sin_addr = unchecked((uint)IPAddress.HostToNetworkOrder((int)LibC.INADDR_LOOPBACK)),
            };

            switch (LibC.connect(fd, &address, (uint)sizeof(LibC.sockaddr_in)))
            {
                case 0:
                    return fd;
                default:
                {
                    var error = Marshal.GetLastPInvokeError();
                    LibC.close(fd);
                    throw new Win32Exception(error);
                }
            }
        }

        /// <summary>Sends all of <paramref name="data"/>; a switch on each result sorts errors from progress.</summary>
        public static void SendAll(int fd, ReadOnlySpan<byte> data)
        {
            fixed (byte* start = data)
            {
                var sent = 0;
                while (sent < data.Length)
                {
                    var n = (int)LibC.send(fd, start + sent, (nuint)(data.Length - sent), 0);
                    switch (n)
                    {
                        case < 0 when Marshal.GetLastPInvokeError() == LibC.EINTR:
                            continue;
                        case < 0:
                            throw new Win32Exception(Marshal.GetLastPInvokeError());
                        case 0:
                            throw new IOException("the peer closed the connection");
                        default:
                            sent += n;
                            break;
                    }
                }
            }
        }

        /// <summary>The peer's port from a native address: a 16-bit conversion of a 16-bit field.</summary>
        internal static IPEndPoint PeerOf(in LibC.sockaddr_in address)
            => new(IPAddress.Loopback, unchecked((ushort)IPAddress.NetworkToHostOrder((short)address.sin_port)));

        /// <summary>Connects once; the flag, set atomically after the connect, decides whether anything is sent.</summary>
        public void Connect(EndPoint endPoint)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Connect(endPoint);
                Interlocked.CompareExchange(ref _connected, 1, 0);
            }
            catch (SocketException e)
            {
                Console.Error.WriteLine("bridge: cannot connect: " + e.SocketErrorCode);
            }

            var up = Volatile.Read(ref _connected) == 1;
            if (!up)
            {
                socket.Dispose();
                return;
            }

            lock (_gate)
            {
                _socket = socket;
            }

            socket.Send("HELLO\n"u8.ToArray());
        }

        /// <summary>A line to the log server, over a connection and writer kept between calls.</summary>
        public void WriteLine(string line)
        {
            lock (_gate)
            {
                if (_writer is null)
                {
                    _client = new TcpClient("127.0.0.1", 2001);
                    _writer = new StreamWriter(_client.GetStream(), new UTF8Encoding(false)) { AutoFlush = true };
                }

                _writer.WriteLine(line);
            }
        }

        /// <summary>Encodes into a buffer sized for the worst case and sends only what the encoder wrote.</summary>
        public void SendText(string text)
        {
            var socket = _socket ?? throw new InvalidOperationException("not connected");
            var buffer = new byte[Encoding.UTF8.GetMaxByteCount(text.Length)];
            var written = Encoding.UTF8.GetBytes(text, 0, text.Length, buffer, 0);
            socket.Send(buffer, 0, written, SocketFlags.None);
        }

        /// <summary>Copies into a caller's array through pointers, passing the array's real size to MemoryCopy.</summary>
        public static void CopyOut(ReadOnlySpan<byte> source, byte[] destination, int count)
        {
            if ((uint)count > (uint)source.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(count));
            }

            fixed (byte* from = source)
            fixed (byte* to = destination)
            {
                Buffer.MemoryCopy(from, to, destination.Length, count);
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _writer?.Dispose();
                _client?.Dispose();
                _socket?.Dispose();
            }
        }
    }
}
