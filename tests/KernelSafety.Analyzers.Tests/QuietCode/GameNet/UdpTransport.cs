using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using GameNet.Memory;

namespace GameNet.Transport
{
    /// <summary>
    /// Non-blocking UDP socket connected once to a single peer (a client talking to its server).
    /// Datagrams that hit a full send buffer are copied to a bounded backlog and flushed first on the next call.
    /// </summary>
    public sealed class ConnectedUdpPeer : IDisposable
    {
        public const int MaxBacklog = 64;

        private readonly Socket _socket;
        private readonly object _gate = new object();
        private readonly Queue<PacketBuffer> _backlog = new Queue<PacketBuffer>();

        public ConnectedUdpPeer(IPEndPoint remote, int localPort = 0)
        {
            _socket = new Socket(remote.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                IPAddress any = remote.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
                _socket.Bind(new IPEndPoint(any, localPort));
                _socket.Connect(remote); // fixes the default destination; no handshake for UDP
                _socket.Blocking = false;
            }
            catch
            {
                _socket.Dispose();
                throw;
            }
        }

        /// <summary>Set when the OS reported ICMP port-unreachable for an earlier datagram.</summary>
        public bool PeerUnreachable { get; private set; }

        public long DroppedDatagrams { get; private set; }

        /// <summary>Sends or queues the datagram. Returns false only when the backlog was full and it was dropped.</summary>
        public bool Send(ReadOnlySpan<byte> datagram)
        {
            if (datagram.Length > PacketBuffer.Capacity)
            {
                throw new ArgumentException($"Datagrams are limited to {PacketBuffer.Capacity} bytes.", nameof(datagram));
            }

            lock (_gate)
            {
                FlushBacklogLocked();
                if (_backlog.Count == 0 && TrySendOnceLocked(datagram))
                {
                    return true;
                }

                if (_backlog.Count >= MaxBacklog)
                {
                    DroppedDatagrams++;
                    return false;
                }

                PacketBuffer copy = PacketBuffers.Shared.Rent();
                copy.SetContents(datagram);
                _backlog.Enqueue(copy);
                return true;
            }
        }

        public void Flush()
        {
            lock (_gate)
            {
                FlushBacklogLocked();
            }
        }

        private void FlushBacklogLocked()
        {
            while (_backlog.Count > 0)
            {
                PacketBuffer head = _backlog.Peek();
                if (!TrySendOnceLocked(head.Valid))
                {
                    return;
                }

                _backlog.Dequeue();
                PacketBuffers.Shared.Return(head);
            }
        }

        /// <summary>True when the datagram is done with (sent, or dropped because the peer is unreachable); false on WouldBlock.</summary>
        private bool TrySendOnceLocked(ReadOnlySpan<byte> datagram)
        {
            int sent = _socket.Send(datagram, SocketFlags.None, out SocketError error);
            switch (error)
            {
                case SocketError.Success:
                    if (sent != datagram.Length)
                    {
                        throw new SocketException((int)SocketError.MessageSize);
                    }

                    return true;
                case SocketError.WouldBlock:
                case SocketError.NoBufferSpaceAvailable:
                    return false;
                case SocketError.ConnectionRefused:
                case SocketError.ConnectionReset:
                    PeerUnreachable = true;
                    DroppedDatagrams++;
                    return true;
                default:
                    throw new SocketException((int)error);
            }
        }

        /// <summary>Receives one queued datagram into buffer. Returns false when nothing is waiting.</summary>
        public bool TryReceive(Span<byte> buffer, out int length)
        {
            while (true)
            {
                length = _socket.Receive(buffer, SocketFlags.None, out SocketError error);
                switch (error)
                {
                    case SocketError.Success:
                        return true;
                    case SocketError.WouldBlock:
                        length = 0;
                        return false;
                    case SocketError.MessageSize:
                        continue; // larger than buffer: discarded by the OS, try the next one
                    case SocketError.ConnectionRefused:
                    case SocketError.ConnectionReset:
                        PeerUnreachable = true;
                        continue;
                    default:
                        throw new SocketException((int)error);
                }
            }
        }

        public void Dispose()
        {
            _socket.Dispose();
            lock (_gate)
            {
                while (_backlog.Count > 0)
                {
                    PacketBuffers.Shared.Return(_backlog.Dequeue());
                }
            }
        }
    }

    /// <summary>Dual-stack server socket using the Memory-based async APIs.</summary>
    public sealed class AsyncUdpServer : IDisposable
    {
        public const int MaxDatagramSize = 1500;

        public delegate ValueTask DatagramHandler(IPEndPoint from, ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken);

        private readonly Socket _socket;

        public AsyncUdpServer(int port)
        {
            _socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                _socket.DualMode = true;
                _socket.Bind(new IPEndPoint(IPAddress.IPv6Any, port));
            }
            catch
            {
                _socket.Dispose();
                throw;
            }
        }

        public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

        /// <summary>Receives until cancelled. The memory handed to the handler is only valid until it returns.</summary>
        public async Task RunAsync(DatagramHandler handler, CancellationToken cancellationToken)
        {
            byte[] buffer = GC.AllocateUninitializedArray<byte>(MaxDatagramSize, pinned: true);
            EndPoint any = new IPEndPoint(IPAddress.IPv6Any, 0);
            while (!cancellationToken.IsCancellationRequested)
            {
                SocketReceiveFromResult result;
                try
                {
                    result = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, cancellationToken).ConfigureAwait(false);
                }
                catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset
                                                 || ex.SocketErrorCode == SocketError.MessageSize)
                {
                    continue;
                }

                await handler((IPEndPoint)result.RemoteEndPoint, buffer.AsMemory(0, result.ReceivedBytes), cancellationToken)
                    .ConfigureAwait(false);
            }
        }

        public async ValueTask SendToAsync(ReadOnlyMemory<byte> datagram, EndPoint remote, CancellationToken cancellationToken)
        {
            int sent = await _socket.SendToAsync(datagram, SocketFlags.None, remote, cancellationToken).ConfigureAwait(false);
            if (sent != datagram.Length)
            {
                throw new SocketException((int)SocketError.MessageSize);
            }
        }

        /// <summary>Latency probe responder: every datagram is returned to its sender byte-for-byte.</summary>
        public Task RunEchoAsync(CancellationToken cancellationToken) =>
            RunAsync((from, datagram, token) => SendToAsync(datagram, from, token), cancellationToken);

        /// <summary>Blocking variant of the echo used by the headless test harness; serves <paramref name="count"/> probes.</summary>
        public void ServeEchoBlocking(int count)
        {
            byte[] buffer = new byte[MaxDatagramSize];
            for (int served = 0; served < count; served++)
            {
                EndPoint from = new IPEndPoint(IPAddress.IPv6Any, 0);
                int received = _socket.ReceiveFrom(buffer, 0, buffer.Length, SocketFlags.None, ref from);
                int sent = _socket.SendTo(buffer, 0, received, SocketFlags.None, from);
                if (sent != received)
                {
                    throw new SocketException((int)SocketError.MessageSize);
                }
            }
        }

        public void Dispose() => _socket.Dispose();
    }

    public delegate void DatagramCallback(EndPoint from, ReadOnlySpan<byte> datagram);

    /// <summary>
    /// Allocation-free receive loop on SocketAsyncEventArgs. ReceiveFromAsync returns false when it completed
    /// synchronously, in which case Completed is not raised and the loop must handle the result itself.
    /// Takes ownership of the bound socket; Dispose closes it, which ends the pending receive.
    /// </summary>
    public sealed class SaeaReceiver : IDisposable
    {
        private readonly Socket _socket;
        private readonly SocketAsyncEventArgs _args = new SocketAsyncEventArgs();
        private readonly EndPoint _anyEndPoint;
        private readonly DatagramCallback _callback;
        private volatile bool _disposed;

        public SaeaReceiver(Socket boundSocket, DatagramCallback callback, int bufferSize = 1500)
        {
            _socket = boundSocket ?? throw new ArgumentNullException(nameof(boundSocket));
            _callback = callback ?? throw new ArgumentNullException(nameof(callback));
            _anyEndPoint = new IPEndPoint(
                boundSocket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
            _args.SetBuffer(new byte[bufferSize], 0, bufferSize);
            _args.Completed += OnCompleted;
        }

        public SocketError LastError { get; private set; } = SocketError.Success;

        public void Start() => ReceiveLoop();

        private void ReceiveLoop()
        {
            while (!_disposed)
            {
                _args.RemoteEndPoint = _anyEndPoint;
                bool pending;
                try
                {
                    pending = _socket.ReceiveFromAsync(_args);
                }
                catch (ObjectDisposedException)
                {
                    break;
                }

                if (pending)
                {
                    return; // OnCompleted resumes the loop
                }

                if (!Handle(_args))
                {
                    break;
                }
            }

            _args.Dispose();
        }

        private void OnCompleted(object? sender, SocketAsyncEventArgs e)
        {
            if (Handle(e))
            {
                ReceiveLoop();
            }
            else
            {
                e.Dispose();
            }
        }

        private bool Handle(SocketAsyncEventArgs e)
        {
            switch (e.SocketError)
            {
                case SocketError.Success:
                    _callback(e.RemoteEndPoint!, e.Buffer.AsSpan(e.Offset, e.BytesTransferred));
                    return true;
                case SocketError.ConnectionReset:
                case SocketError.MessageSize:
                    return !_disposed;
                default:
                    LastError = e.SocketError; // OperationAborted after Dispose, or a real failure
                    return false;
            }
        }

        public void Dispose()
        {
            _disposed = true;
            _socket.Dispose();
        }
    }

    /// <summary>
    /// LAN server announcements over one long-lived broadcast UdpClient.
    /// Datagram: ['G']['N'][game port u16 BE][server name UTF-8].
    /// </summary>
    public sealed class LanAnnouncer : IDisposable
    {
        public const int DiscoveryPort = 47777;
        public const int HeaderSize = 4;
        public const int MaxNameChars = 48;

        private readonly UdpClient _client;
        private readonly IPEndPoint _broadcast = new IPEndPoint(IPAddress.Broadcast, DiscoveryPort);

        public LanAnnouncer()
        {
            _client = new UdpClient(AddressFamily.InterNetwork) { EnableBroadcast = true };
        }

        public void Announce(string serverName, int gamePort)
        {
            if (gamePort <= 0 || gamePort > ushort.MaxValue)
            {
                throw new ArgumentOutOfRangeException(nameof(gamePort));
            }

            ReadOnlySpan<char> name = serverName.AsSpan(0, Math.Min(serverName.Length, MaxNameChars));
            if (!name.IsEmpty && char.IsHighSurrogate(name[name.Length - 1]))
            {
                name = name.Slice(0, name.Length - 1); // do not cut a surrogate pair in half
            }

            byte[] datagram = ArrayPool<byte>.Shared.Rent(HeaderSize + Encoding.UTF8.GetMaxByteCount(name.Length));
            try
            {
                datagram[0] = (byte)'G';
                datagram[1] = (byte)'N';
                BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(2, 2), (ushort)gamePort);
                int nameBytes = Encoding.UTF8.GetBytes(name, datagram.AsSpan(HeaderSize));
                int length = HeaderSize + nameBytes;
                int sent = _client.Send(datagram, length, _broadcast);
                if (sent != length)
                {
                    throw new SocketException((int)SocketError.MessageSize);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(datagram);
            }
        }

        public static bool TryParse(ReadOnlySpan<byte> datagram, IPAddress sender,
                                    [NotNullWhen(true)] out IPEndPoint? server, [NotNullWhen(true)] out string? name)
        {
            server = null;
            name = null;
            if (datagram.Length < HeaderSize || datagram[0] != (byte)'G' || datagram[1] != (byte)'N')
            {
                return false;
            }

            ushort port = BinaryPrimitives.ReadUInt16BigEndian(datagram.Slice(2, 2));
            if (port == 0)
            {
                return false;
            }

            server = new IPEndPoint(sender, port);
            name = Encoding.UTF8.GetString(datagram.Slice(HeaderSize));
            return true;
        }

        public void Dispose() => _client.Dispose();
    }

    /// <summary>Listens for <see cref="LanAnnouncer"/> datagrams on the discovery port.</summary>
    public sealed class LanDiscovery : IDisposable
    {
        private readonly UdpClient _client = new UdpClient(LanAnnouncer.DiscoveryPort);

        public async Task<KeyValuePair<IPEndPoint, string>?> WaitForServerAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                UdpReceiveResult result = await _client.ReceiveAsync(cancellationToken).ConfigureAwait(false);
                if (LanAnnouncer.TryParse(result.Buffer, result.RemoteEndPoint.Address, out IPEndPoint? server, out string? name))
                {
                    return new KeyValuePair<IPEndPoint, string>(server, name);
                }
            }
        }

        public void Dispose() => _client.Dispose();
    }
}
