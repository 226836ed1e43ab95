using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;

namespace Quiet.Legacy
{
    public enum DiscoveryKind : byte
    {
        Announce = 1,
        Probe = 2,
        Heartbeat = 3,
        Goodbye = 4,
    }

    public sealed class DiscoveredPeer
    {
        public Guid InstanceId;
        public string Name;
        public IPEndPoint ServiceEndPoint;
        public IPEndPoint DiscoveryEndPoint;
        public DateTime LastSeenUtc;
    }

    /// <summary>
    /// Datagram layout (integers big-endian):
    ///   0 magic "LDS1"   4   version 1   5 kind 1   6 service port 2   8 instance id 16
    ///  24 sequence 4    28 name length 1   29 name (utf-8, at most 64 bytes)
    /// </summary>
    public static class DiscoveryPacket
    {
        public const int FixedSize = 29;
        public const int MaxNameBytes = 64;
        public const int MaxSize = FixedSize + MaxNameBytes;
        public const byte Version = 1;

        // Read-only tables: filled by the type initializer and only read afterwards.
        private static readonly byte[] s_magic = { (byte)'L', (byte)'D', (byte)'S', (byte)'1' };
        private static readonly byte[] s_probe = BuildProbe();

        private static byte[] BuildProbe()
        {
            var probe = new byte[FixedSize];
            Write(probe, DiscoveryKind.Probe, 0, Guid.Empty, 0, null);
            return probe;
        }

        /// <summary>A copy of the anonymous probe datagram.</summary>
        public static byte[] CreateProbe()
        {
            return (byte[])s_probe.Clone();
        }

        /// <summary>Writes a datagram into <paramref name="buffer"/> and returns its length.</summary>
        public static int Write(byte[] buffer, DiscoveryKind kind, int servicePort, Guid instanceId, int sequence, byte[] name)
        {
            if (buffer == null) throw new ArgumentNullException("buffer");
            if (servicePort < IPEndPoint.MinPort || servicePort > IPEndPoint.MaxPort)
                throw new ArgumentOutOfRangeException("servicePort");
            int nameLength = name == null ? 0 : name.Length;
            if (nameLength > MaxNameBytes) throw new ArgumentException("Name too long.", "name");
            int total = FixedSize + nameLength;
            if (buffer.Length < total) throw new ArgumentException("Buffer too small.", "buffer");

            Buffer.BlockCopy(s_magic, 0, buffer, 0, s_magic.Length);
            buffer[4] = Version;
            buffer[5] = (byte)kind;
            Wire.WritePort(buffer, 6, servicePort);
            byte[] id = instanceId.ToByteArray();
            Buffer.BlockCopy(id, 0, buffer, 8, 16);
            Wire.WriteInt32(buffer, 24, sequence);
            buffer[28] = (byte)nameLength;
            if (nameLength > 0)
                Buffer.BlockCopy(name, 0, buffer, FixedSize, nameLength);
            return total;
        }

        public static bool TryParse(byte[] data, int length, IPEndPoint from, out DiscoveryKind kind, out DiscoveredPeer peer)
        {
            kind = 0;
            peer = null;
            if (data == null || length < FixedSize || length > data.Length)
                return false;
            for (int i = 0; i < s_magic.Length; i++)
            {
                if (data[i] != s_magic[i])
                    return false;
            }
            if (data[4] != Version)
                return false;

            int nameLength = data[28];
            if (nameLength > MaxNameBytes || FixedSize + nameLength > length)
                return false;

            kind = (DiscoveryKind)data[5];
            int servicePort = Wire.ReadPort(data, 6);
            byte[] id = new byte[16];
            Buffer.BlockCopy(data, 8, id, 0, id.Length);

            peer = new DiscoveredPeer
            {
                InstanceId = new Guid(id),
                Name = Encoding.UTF8.GetString(data, FixedSize, nameLength),
                ServiceEndPoint = new IPEndPoint(from.Address, servicePort),
                DiscoveryEndPoint = from,
                LastSeenUtc = DateTime.UtcNow,
            };
            return true;
        }
    }

    /// <summary>
    /// Announces a local service by UDP broadcast, answers probes, sends heartbeats to known peers and
    /// expires peers that stop talking.
    /// </summary>
    public sealed class DiscoveryService : IDisposable
    {
        private readonly int _discoveryPort;
        private readonly int _servicePort;
        private readonly byte[] _name;
        private readonly Guid _instanceId = Guid.NewGuid();
        private readonly int _intervalMs;
        private readonly object _sendLock = new object();
        private readonly byte[] _sendBuffer = new byte[DiscoveryPacket.MaxSize];
        private readonly object _peersLock = new object();
        private readonly Dictionary<Guid, DiscoveredPeer> _peers = new Dictionary<Guid, DiscoveredPeer>();
        private UdpClient _udp;
        private Timer _timer;
        private int _sequence;
        private volatile bool _closed;

        public DiscoveryService(string serviceName, int servicePort, int discoveryPort, int intervalMs)
        {
            if (serviceName == null) throw new ArgumentNullException("serviceName");
            if (servicePort <= 0 || servicePort > IPEndPoint.MaxPort) throw new ArgumentOutOfRangeException("servicePort");
            if (discoveryPort <= 0 || discoveryPort > IPEndPoint.MaxPort) throw new ArgumentOutOfRangeException("discoveryPort");
            if (intervalMs < 100) throw new ArgumentOutOfRangeException("intervalMs");

            _name = Encoding.UTF8.GetBytes(serviceName);
            if (_name.Length > DiscoveryPacket.MaxNameBytes)
                throw new ArgumentException("The service name is longer than 64 UTF-8 bytes.", "serviceName");
            _servicePort = servicePort;
            _discoveryPort = discoveryPort;
            _intervalMs = intervalMs;
        }

        public event Action<DiscoveredPeer> PeerFound;
        public event Action<DiscoveredPeer> PeerLost;

        public DiscoveredPeer[] Peers
        {
            get
            {
                lock (_peersLock)
                {
                    var copy = new DiscoveredPeer[_peers.Count];
                    _peers.Values.CopyTo(copy, 0);
                    return copy;
                }
            }
        }

        public void Start()
        {
            var udp = new UdpClient(AddressFamily.InterNetwork);
            udp.Client.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            udp.Client.Bind(new IPEndPoint(IPAddress.Any, _discoveryPort));
            udp.EnableBroadcast = true;
            _udp = udp;

            BeginReceive();
            _timer = new Timer(OnTimer, null, 0, _intervalMs);
        }

        private void SendPacket(DiscoveryKind kind, IPEndPoint target)
        {
            lock (_sendLock)
            {
                if (_closed)
                    return;
                int length = DiscoveryPacket.Write(_sendBuffer, kind, _servicePort, _instanceId,
                                                   Interlocked.Increment(ref _sequence), _name);
                try
                {
                    int sent = _udp.Send(_sendBuffer, length, target);
                    if (sent != length)
                        Trace("short datagram to " + target + ": " + sent + " of " + length);
                }
                catch (SocketException ex)
                {
                    // Broadcast can fail while an interface is going down; the next tick tries again.
                    Trace("send to " + target + " failed: " + ex.SocketErrorCode);
                }
                catch (ObjectDisposedException)
                {
                }
            }
        }

        private void OnTimer(object state)
        {
            if (_closed)
                return;

            SendPacket(DiscoveryKind.Announce, new IPEndPoint(IPAddress.Broadcast, _discoveryPort));

            DateTime cutoff = DateTime.UtcNow.AddMilliseconds(-3.0 * _intervalMs);
            var lost = new List<DiscoveredPeer>();
            var alive = new List<IPEndPoint>();
            lock (_peersLock)
            {
                foreach (DiscoveredPeer peer in _peers.Values)
                {
                    if (peer.LastSeenUtc < cutoff)
                        lost.Add(peer);
                    else
                        alive.Add(peer.DiscoveryEndPoint);
                }
                foreach (DiscoveredPeer peer in lost)
                    _peers.Remove(peer.InstanceId);
            }

            foreach (IPEndPoint endPoint in alive)
                SendPacket(DiscoveryKind.Heartbeat, endPoint);

            Action<DiscoveredPeer> handler = PeerLost;
            if (handler != null)
            {
                foreach (DiscoveredPeer peer in lost)
                    handler(peer);
            }
        }

        private void BeginReceive()
        {
            try
            {
                _udp.BeginReceive(OnReceive, null);
            }
            catch (ObjectDisposedException)
            {
            }
        }

        private void OnReceive(IAsyncResult ar)
        {
            IPEndPoint from = null;
            byte[] datagram;
            try
            {
                datagram = _udp.EndReceive(ar, ref from);
            }
            catch (ObjectDisposedException)
            {
                return; // closed
            }
            catch (SocketException ex)
            {
                // ICMP "port unreachable" from an earlier send surfaces here as ConnectionReset; keep listening.
                Trace("receive: " + ex.SocketErrorCode);
                if (!_closed)
                    BeginReceive();
                return;
            }

            try
            {
                Handle(datagram, from);
            }
            finally
            {
                if (!_closed)
                    BeginReceive();
            }
        }

        private void Handle(byte[] datagram, IPEndPoint from)
        {
            DiscoveryKind kind;
            DiscoveredPeer peer;
            if (!DiscoveryPacket.TryParse(datagram, datagram.Length, from, out kind, out peer))
                return;

            if (kind == DiscoveryKind.Probe)
            {
                SendPacket(DiscoveryKind.Announce, from);
                return;
            }

            if (peer.InstanceId == _instanceId || peer.InstanceId == Guid.Empty)
                return;

            if (kind == DiscoveryKind.Goodbye)
            {
                bool removed;
                lock (_peersLock)
                    removed = _peers.Remove(peer.InstanceId);
                Action<DiscoveredPeer> lostHandler = PeerLost;
                if (removed && lostHandler != null)
                    lostHandler(peer);
                return;
            }

            bool isNew;
            lock (_peersLock)
            {
                isNew = !_peers.ContainsKey(peer.InstanceId);
                _peers[peer.InstanceId] = peer;
            }

            Action<DiscoveredPeer> foundHandler = PeerFound;
            if (isNew && foundHandler != null)
                foundHandler(peer);
        }

        private static void Trace(string message)
        {
            System.Diagnostics.Trace.WriteLine("discovery: " + message);
        }

        public void Dispose()
        {
            if (_closed || _udp == null)
                return;

            SendPacket(DiscoveryKind.Goodbye, new IPEndPoint(IPAddress.Broadcast, _discoveryPort));
            lock (_sendLock)
                _closed = true;

            using (var stopped = new ManualResetEvent(false))
            {
                if (_timer.Dispose(stopped))
                    stopped.WaitOne(2000);
            }
            _udp.Close();
        }

        // ------------------------------------------------------------------ one-shot query

        private static readonly object s_queryLock = new object();
        private static readonly byte[] s_queryBuffer = new byte[DiscoveryPacket.MaxSize + 1];

        /// <summary>
        /// Broadcasts one probe from an ephemeral port and collects the announcements that come back within
        /// <paramref name="waitMs"/>. Queries are serialized: the static receive buffer is only touched under the lock.
        /// </summary>
        public static List<DiscoveredPeer> Query(int discoveryPort, int waitMs)
        {
            if (discoveryPort <= 0 || discoveryPort > IPEndPoint.MaxPort) throw new ArgumentOutOfRangeException("discoveryPort");

            var found = new Dictionary<Guid, DiscoveredPeer>();
            lock (s_queryLock)
            {
                using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
                {
                    socket.EnableBroadcast = true;
                    socket.Bind(new IPEndPoint(IPAddress.Any, 0));

                    byte[] probe = DiscoveryPacket.CreateProbe();
                    socket.SendTo(probe, 0, probe.Length, SocketFlags.None, new IPEndPoint(IPAddress.Broadcast, discoveryPort));

                    int deadline = Environment.TickCount + waitMs;
                    while (true)
                    {
                        int remaining = unchecked(deadline - Environment.TickCount);
                        if (remaining <= 0 || !socket.Poll(SocketHelpers.ToMicroseconds(remaining), SelectMode.SelectRead))
                            break;

                        EndPoint sender = new IPEndPoint(IPAddress.Any, 0);
                        int length;
                        try
                        {
                            length = socket.ReceiveFrom(s_queryBuffer, 0, s_queryBuffer.Length, SocketFlags.None, ref sender);
                        }
                        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset ||
                                                         ex.SocketErrorCode == SocketError.MessageSize)
                        {
                            continue;
                        }

                        DiscoveryKind kind;
                        DiscoveredPeer peer;
                        if (DiscoveryPacket.TryParse(s_queryBuffer, length, (IPEndPoint)sender, out kind, out peer) &&
                            kind == DiscoveryKind.Announce)
                        {
                            found[peer.InstanceId] = peer;
                        }
                    }
                }
            }
            return new List<DiscoveredPeer>(found.Values);
        }
    }
}
