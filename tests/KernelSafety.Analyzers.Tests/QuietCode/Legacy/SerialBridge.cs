using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;

namespace Quiet.Legacy
{
    /// <summary>
    /// Exposes a serial device (any Stream: SerialPort.BaseStream, a tty opened as a FileStream) to one TCP client
    /// at a time. The network side is a Select loop over non-blocking sockets; the device side is a blocking
    /// reader thread.
    /// </summary>
    public sealed class SerialTcpBridge : IDisposable
    {
        private static readonly byte[] s_busyMessage = Encoding.ASCII.GetBytes("BUSY another client is attached\r\n");

        private readonly Stream _serial;
        private readonly string _deviceName;
        private readonly int _sendTimeoutMs;
        private readonly object _serialWriteLock = new object();
        private readonly object _clientLock = new object();
        private Socket _listener;
        private Socket _client;
        private Thread _networkThread;
        private Thread _serialThread;
        private volatile bool _stop;
        private long _bytesToSerial;
        private long _bytesToNetwork;

        public SerialTcpBridge(Stream serial, int sendTimeoutMs)
            : this(serial, "serial", sendTimeoutMs)
        {
        }

        public SerialTcpBridge(Stream serial, string deviceName, int sendTimeoutMs)
        {
            if (deviceName == null) throw new ArgumentNullException("deviceName");
            if (deviceName.Length == 0 || deviceName.Length > 64) throw new ArgumentOutOfRangeException("deviceName");
            _deviceName = deviceName;
            if (serial == null) throw new ArgumentNullException("serial");
            if (!serial.CanRead || !serial.CanWrite) throw new ArgumentException("The device stream must be readable and writable.", "serial");
            if (sendTimeoutMs <= 0) throw new ArgumentOutOfRangeException("sendTimeoutMs");
            _serial = serial;
            _sendTimeoutMs = sendTimeoutMs;
        }

        public long BytesToSerial
        {
            get { return Interlocked.Read(ref _bytesToSerial); }
        }

        public long BytesToNetwork
        {
            get { return Interlocked.Read(ref _bytesToNetwork); }
        }

        public IPEndPoint Start(int port)
        {
            _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            _listener.Bind(new IPEndPoint(IPAddress.Any, port));
            _listener.Listen(4);

            _networkThread = new Thread(NetworkLoop) { IsBackground = true, Name = "bridge-net" };
            _serialThread = new Thread(SerialLoop) { IsBackground = true, Name = "bridge-serial" };
            _networkThread.Start();
            _serialThread.Start();
            return (IPEndPoint)_listener.LocalEndPoint;
        }

        private Socket CurrentClient
        {
            get { lock (_clientLock) return _client; }
        }

        private void NetworkLoop()
        {
            byte[] buffer = new byte[4096];
            var readable = new List<Socket>(2);

            while (!_stop)
            {
                readable.Clear();
                readable.Add(_listener);
                Socket client = CurrentClient;
                if (client != null)
                    readable.Add(client);

                try
                {
                    Socket.Select(readable, null, null, 250 * 1000);
                }
                catch (ObjectDisposedException)
                {
                    if (_stop) return;
                    continue; // the client was dropped by the serial thread while we waited
                }
                catch (SocketException)
                {
                    if (_stop) return;
                    continue;
                }

                foreach (Socket socket in readable)
                {
                    if (socket == _listener)
                        AcceptClient();
                    else
                        PumpToSerial(socket, buffer);
                }
            }
        }

        private void AcceptClient()
        {
            Socket incoming;
            try
            {
                incoming = _listener.Accept();
            }
            catch (SocketException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            // Only this thread attaches clients, so a free slot seen here stays free until we take it.
            bool busy;
            lock (_clientLock)
                busy = _client != null;

            if (busy)
            {
                // Still blocking here, and the message is the whole array: Send either takes all of it or throws.
                try
                {
                    incoming.SendTimeout = 1000;
                    incoming.Send(s_busyMessage);
                }
                catch (SocketException)
                {
                }
                SocketHelpers.CloseQuietly(incoming);
                return;
            }

            incoming.NoDelay = true;
            incoming.Blocking = false;

            // Greeting on the now non-blocking socket: every partial send and WouldBlock is handled.
            byte[] banner = Encoding.ASCII.GetBytes("CONNECTED " + _deviceName + "\r\n");
            int offset = 0;
            while (offset < banner.Length)
            {
                SocketError error;
                int sent = incoming.Send(banner, offset, banner.Length - offset, SocketFlags.None, out error);
                if (error == SocketError.WouldBlock)
                {
                    if (!incoming.Poll(1000 * 1000, SelectMode.SelectWrite))
                    {
                        SocketHelpers.CloseQuietly(incoming);
                        return;
                    }
                    continue;
                }
                if (error != SocketError.Success || sent <= 0)
                {
                    SocketHelpers.CloseQuietly(incoming);
                    return;
                }
                offset += sent;
            }

            lock (_clientLock)
                _client = incoming;
        }

        private void PumpToSerial(Socket client, byte[] buffer)
        {
            SocketError error;
            int received;
            try
            {
                received = client.Receive(buffer, 0, buffer.Length, SocketFlags.None, out error);
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            if (error == SocketError.WouldBlock)
                return;

            if (error != SocketError.Success || received == 0)
            {
                DropClient(client);
                return;
            }

            try
            {
                lock (_serialWriteLock)
                {
                    _serial.Write(buffer, 0, received);
                    _serial.Flush();
                }
                Interlocked.Add(ref _bytesToSerial, received);
            }
            catch (IOException)
            {
                // The device went away; the client has nothing to talk to.
                DropClient(client);
            }
        }

        private void SerialLoop()
        {
            byte[] buffer = new byte[1024];
            while (!_stop)
            {
                int read;
                try
                {
                    read = _serial.Read(buffer, 0, buffer.Length);
                }
                catch (IOException)
                {
                    if (_stop) return;
                    Thread.Sleep(250);
                    continue;
                }
                catch (ObjectDisposedException)
                {
                    return;
                }

                if (read <= 0)
                {
                    // End of stream from a tty usually means the adapter was unplugged; poll until it returns.
                    Thread.Sleep(100);
                    continue;
                }

                Socket client = CurrentClient;
                if (client == null)
                    continue; // nobody attached: device output is discarded, as on a real terminal server

                SocketError error;
                bool sent;
                try
                {
                    sent = SocketHelpers.TrySendAll(client, buffer, 0, read, _sendTimeoutMs, out error);
                }
                catch (ObjectDisposedException)
                {
                    continue; // dropped by the network thread meanwhile
                }
                catch (SocketException)
                {
                    sent = false;
                }

                if (sent)
                    Interlocked.Add(ref _bytesToNetwork, read);
                else
                    DropClient(client);
            }
        }

        private void DropClient(Socket client)
        {
            lock (_clientLock)
            {
                if (!ReferenceEquals(_client, client))
                    return;
                _client = null;
            }
            SocketHelpers.CloseQuietly(client);
        }

        public void Dispose()
        {
            _stop = true;
            if (_listener != null)
                _listener.Close();

            Socket client;
            lock (_clientLock)
            {
                client = _client;
                _client = null;
            }
            SocketHelpers.CloseQuietly(client);

            if (_networkThread != null)
                _networkThread.Join(1000);
            // The serial thread may be blocked in Read; it exits when the owner closes the device stream.
        }
    }

    /// <summary>
    /// Forwards device output to a collector over one long-lived connection, reconnecting with back-off.
    /// Delivery is at-least-once: a block whose send failed is sent again in full on the new connection.
    /// </summary>
    public sealed class SerialUplink : IDisposable
    {
        private readonly Stream _serial;
        private readonly IPEndPoint _collector;
        private Socket _socket;
        private Thread _thread;
        private volatile bool _stop;

        public SerialUplink(Stream serial, IPEndPoint collector)
        {
            if (serial == null) throw new ArgumentNullException("serial");
            if (collector == null) throw new ArgumentNullException("collector");
            _serial = serial;
            _collector = collector;
        }

        public void Start()
        {
            _thread = new Thread(Run) { IsBackground = true, Name = "serial-uplink" };
            _thread.Start();
        }

        private void Run()
        {
            byte[] block = new byte[2048];
            while (!_stop)
            {
                int read;
                try
                {
                    read = _serial.Read(block, 0, block.Length);
                }
                catch (IOException)
                {
                    Thread.Sleep(250);
                    continue;
                }
                catch (ObjectDisposedException)
                {
                    break;
                }

                if (read <= 0)
                {
                    Thread.Sleep(100);
                    continue;
                }

                Forward(block, read);
            }

            SocketHelpers.CloseQuietly(_socket);
            _socket = null;
        }

        /// <summary>Sends one block; connects only when there is no live connection.</summary>
        private void Forward(byte[] block, int count)
        {
            for (int attempt = 0; !_stop; attempt++)
            {
                if (_socket == null)
                {
                    try
                    {
                        _socket = SocketHelpers.ConnectWithTimeout(_collector, 5000);
                    }
                    catch (Exception ex) when (ex is SocketException || ex is TimeoutException)
                    {
                        // No socket was stored; wait and try again.
                        Thread.Sleep(Backoff(attempt));
                        continue;
                    }
                }

                try
                {
                    SocketHelpers.SendAll(_socket, block, 0, count);
                    return;
                }
                catch (SocketException)
                {
                    SocketHelpers.CloseQuietly(_socket);
                    _socket = null;
                    Thread.Sleep(Backoff(attempt));
                }
            }
        }

        private static int Backoff(int attempt)
        {
            int shift = Math.Min(attempt, 6);
            return 250 << shift; // 250 ms .. 16 s
        }

        public void Dispose()
        {
            _stop = true;
            if (_thread != null)
                _thread.Join(1000);
        }
    }

    /// <summary>
    /// Thin libc TCP client for Linux appliances where the bridge runs on an old Mono-era runtime. One
    /// connection per instance, kept open for many writes. Every native result is checked before use.
    /// </summary>
    public sealed unsafe class NativeTcpConnection : IDisposable
    {
        private const int AF_INET = 2;
        private const int SOCK_STREAM = 1;
        private const int IPPROTO_TCP = 6;
        private const int EINTR = 4;
        private const int MSG_NOSIGNAL = 0x4000;

        [StructLayout(LayoutKind.Sequential)]
        private struct sockaddr_in
        {
            public ushort sin_family;
            public ushort sin_port;   // network byte order
            public uint sin_addr;     // network byte order (bytes as on the wire)
            public ulong sin_zero;
        }

        [DllImport("libc", SetLastError = true)]
        private static extern int socket(int domain, int type, int protocol);

        [DllImport("libc", SetLastError = true)]
        private static extern int connect(int sockfd, ref sockaddr_in addr, uint addrlen);

        [DllImport("libc", SetLastError = true)]
        private static extern IntPtr send(int sockfd, byte* buf, UIntPtr len, int flags);

        [DllImport("libc", SetLastError = true)]
        private static extern int close(int fd);

        private int _fd = -1;
        private sockaddr_in _peer;
        private readonly object _sync = new object();

        private static ushort htons(ushort value)
        {
            return BitConverter.IsLittleEndian ? (ushort)(((value & 0xFF) << 8) | (value >> 8)) : value;
        }

        private static ushort ntohs(ushort value)
        {
            return htons(value);
        }

        public bool IsConnected
        {
            get { lock (_sync) return _fd >= 0; }
        }

        public IPEndPoint RemoteEndPoint
        {
            get
            {
                lock (_sync)
                {
                    if (_fd < 0) return null;
                    var address = new IPAddress(BitConverter.GetBytes(_peer.sin_addr));
                    return new IPEndPoint(address, ntohs(_peer.sin_port));
                }
            }
        }

        public void Connect(IPAddress address, int port)
        {
            if (address == null) throw new ArgumentNullException("address");
            if (address.AddressFamily != AddressFamily.InterNetwork) throw new ArgumentException("IPv4 only.", "address");
            if (port <= 0 || port > IPEndPoint.MaxPort) throw new ArgumentOutOfRangeException("port");

            lock (_sync)
            {
                if (_fd >= 0) throw new InvalidOperationException("Already connected.");

                int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
                if (fd < 0)
                    throw new Win32Exception(Marshal.GetLastWin32Error());

                var peer = new sockaddr_in();
                peer.sin_family = AF_INET;
                peer.sin_port = htons((ushort)port);
                peer.sin_addr = BitConverter.ToUInt32(address.GetAddressBytes(), 0);

                if (connect(fd, ref peer, (uint)sizeof(sockaddr_in)) != 0)
                {
                    int error = Marshal.GetLastWin32Error();
                    close(fd);
                    throw new Win32Exception(error);
                }

                _fd = fd;
                _peer = peer;
            }
        }

        /// <summary>Writes the whole range, continuing after partial sends and EINTR.</summary>
        public void Send(byte[] buffer, int offset, int count)
        {
            Wire.CheckRange(buffer, offset, count);
            lock (_sync)
            {
                if (_fd < 0) throw new InvalidOperationException("Not connected.");
                if (count == 0) return;

                fixed (byte* start = buffer)
                {
                    while (count > 0)
                    {
                        long result = (long)send(_fd, start + offset, (UIntPtr)(uint)count, MSG_NOSIGNAL);
                        if (result < 0)
                        {
                            int error = Marshal.GetLastWin32Error();
                            if (error == EINTR)
                                continue;
                            throw new Win32Exception(error);
                        }
                        if (result == 0)
                            throw new IOException("send() made no progress.");

                        offset += (int)result;
                        count -= (int)result;
                    }
                }
            }
        }

        public void Dispose()
        {
            lock (_sync)
            {
                if (_fd >= 0)
                {
                    close(_fd);
                    _fd = -1;
                }
            }
        }
    }
}
