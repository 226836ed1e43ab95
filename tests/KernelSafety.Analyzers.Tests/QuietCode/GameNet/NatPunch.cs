using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace GameNet.Punch
{
    /// <summary>Wire encoding of an endpoint: [address length 4|16][address bytes][port u16 big-endian].</summary>
    public static class EndPointCodec
    {
        public const int MaxEncodedLength = 1 + 16 + 2;

        public static int Write(Span<byte> destination, IPEndPoint endPoint)
        {
            Span<byte> address = stackalloc byte[16];
            if (!endPoint.Address.TryWriteBytes(address, out int addressLength))
            {
                throw new ArgumentException("Unsupported address family.", nameof(endPoint));
            }

            int length = 1 + addressLength + 2;
            if (destination.Length < length)
            {
                throw new ArgumentException($"Destination needs {length} bytes.", nameof(destination));
            }

            destination[0] = (byte)addressLength;
            address.Slice(0, addressLength).CopyTo(destination.Slice(1, addressLength));
            BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(1 + addressLength, 2), (ushort)endPoint.Port);
            return length;
        }

        public static bool TryRead(ReadOnlySpan<byte> source, [NotNullWhen(true)] out IPEndPoint? endPoint, out int consumed)
        {
            endPoint = null;
            consumed = 0;
            if (source.IsEmpty)
            {
                return false;
            }

            int addressLength = source[0];
            if ((addressLength != 4 && addressLength != 16) || source.Length < 1 + addressLength + 2)
            {
                return false;
            }

            ushort port = BinaryPrimitives.ReadUInt16BigEndian(source.Slice(1 + addressLength, 2));
            if (port == 0)
            {
                return false;
            }

            endPoint = new IPEndPoint(new IPAddress(source.Slice(1, addressLength)), port);
            consumed = 1 + addressLength + 2;
            return true;
        }
    }

    public enum PunchType : byte
    {
        Probe = 1,
        ProbeAck = 2,
    }

    /// <summary>Punch datagram: ['P'][type][session token u64 BE]; always exactly <see cref="Size"/> bytes.</summary>
    public static class PunchPacket
    {
        public const byte Magic = 0x50;
        public const int Size = 10;

        public static byte[] Create(PunchType type, ulong sessionToken)
        {
            var packet = new byte[Size];
            packet[0] = Magic;
            packet[1] = (byte)type;
            BinaryPrimitives.WriteUInt64BigEndian(packet.AsSpan(2, 8), sessionToken);
            return packet;
        }

        public static bool TryParse(ReadOnlySpan<byte> datagram, out PunchType type, out ulong sessionToken)
        {
            type = default;
            sessionToken = 0;
            if (datagram.Length != Size || datagram[0] != Magic)
            {
                return false;
            }

            type = (PunchType)datagram[1];
            if (type != PunchType.Probe && type != PunchType.ProbeAck)
            {
                return false;
            }

            sessionToken = BinaryPrimitives.ReadUInt64BigEndian(datagram.Slice(2, 8));
            return true;
        }
    }

    /// <summary>
    /// UDP hole punching over the caller's UdpClient: the same bound client must carry the game traffic
    /// afterwards, because the NAT mapping belongs to its local port.
    /// </summary>
    public sealed class NatPuncher
    {
        private readonly UdpClient _client;

        public NatPuncher(UdpClient client)
        {
            _client = client ?? throw new ArgumentNullException(nameof(client));
        }

        public TimeSpan ProbeInterval { get; init; } = TimeSpan.FromMilliseconds(100);

        /// <summary>
        /// Sends probes to every candidate until a probe or probe-ack carrying the session token arrives.
        /// Returns the endpoint it arrived from (which may differ from every candidate behind a symmetric NAT),
        /// or null on timeout.
        /// </summary>
        public async Task<IPEndPoint?> PunchAsync(IReadOnlyList<IPEndPoint> candidates, ulong sessionToken, TimeSpan timeout,
                                                  CancellationToken cancellationToken = default)
        {
            if (candidates.Count == 0)
            {
                throw new ArgumentException("At least one candidate endpoint is required.", nameof(candidates));
            }

            byte[] probe = PunchPacket.Create(PunchType.Probe, sessionToken);
            byte[] probeAck = PunchPacket.Create(PunchType.ProbeAck, sessionToken);

            using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeoutSource.CancelAfter(timeout);
            CancellationToken token = timeoutSource.Token;
            Task<UdpReceiveResult>? pending = null;
            try
            {
                while (true)
                {
                    token.ThrowIfCancellationRequested();
                    foreach (IPEndPoint candidate in candidates)
                    {
                        await SendExactAsync(probe, candidate, token).ConfigureAwait(false);
                    }

                    Task delay = Task.Delay(ProbeInterval, token);
                    while (true)
                    {
                        pending ??= _client.ReceiveAsync(token).AsTask();
                        Task finished = await Task.WhenAny(pending, delay).ConfigureAwait(false);
                        if (finished != pending)
                        {
                            break; // time for the next burst of probes
                        }

                        Task<UdpReceiveResult> completed = pending;
                        pending = null;
                        UdpReceiveResult result;
                        try
                        {
                            result = await completed.ConfigureAwait(false);
                        }
                        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
                        {
                            continue; // ICMP port unreachable from a dead candidate
                        }

                        if (!PunchPacket.TryParse(result.Buffer, out PunchType type, out ulong received) || received != sessionToken)
                        {
                            continue;
                        }

                        if (type == PunchType.Probe)
                        {
                            await SendExactAsync(probeAck, result.RemoteEndPoint, token).ConfigureAwait(false);
                        }

                        return result.RemoteEndPoint;
                    }
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return null;
            }
            finally
            {
                if (pending != null)
                {
                    // The receive was cancelled with the token; observe any fault so it is not reported as unobserved.
                    _ = pending.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
                        TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                }
            }
        }

        /// <summary>Keeps the NAT mapping open with one small datagram per interval on the same client.</summary>
        public async Task KeepAliveAsync(IPEndPoint peer, ulong sessionToken, TimeSpan interval, CancellationToken cancellationToken)
        {
            byte[] keepAlive = PunchPacket.Create(PunchType.ProbeAck, sessionToken);
            using var timer = new PeriodicTimer(interval);
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                await SendExactAsync(keepAlive, peer, cancellationToken).ConfigureAwait(false);
            }
        }

        private async ValueTask SendExactAsync(byte[] datagram, IPEndPoint target, CancellationToken cancellationToken)
        {
            int sent = await _client.SendAsync(datagram, target, cancellationToken).ConfigureAwait(false);
            if (sent != datagram.Length)
            {
                throw new SocketException((int)SocketError.MessageSize);
            }
        }
    }

    public static class LocalAddressProbe
    {
        private const int DiscardPort = 9;

        /// <summary>
        /// The local address the OS would use to reach <paramref name="destination"/>. Connecting a UDP socket only
        /// selects a route; no datagram is sent, so nothing is written here at all.
        /// </summary>
        public static IPAddress GetOutboundAddress(IPAddress destination)
        {
            using var socket = new Socket(destination.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            socket.Connect(new IPEndPoint(destination, DiscardPort));
            return ((IPEndPoint)socket.LocalEndPoint!).Address;
        }

        /// <summary>Private candidate to publish to the rendezvous server for peers on the same LAN.</summary>
        public static IPEndPoint GetPrivateCandidate(UdpClient boundClient, IPAddress rendezvousAddress)
        {
            var local = (IPEndPoint)boundClient.Client.LocalEndPoint!;
            return new IPEndPoint(GetOutboundAddress(rendezvousAddress), local.Port);
        }
    }

    /// <summary>
    /// Local cache of peers that were reachable last session. This is a file format, not a wire format:
    /// like the rest of the save data it is little-endian throughout, and it is only ever read back by
    /// <see cref="Read"/> with the matching little-endian readers.
    /// Layout: [magic u32][version u16][count u16] then per peer [addr len][addr][port u16][last success unix ms i64].
    /// </summary>
    public static class PeerCacheFile
    {
        public const uint Magic = 0x43524550;
        public const ushort Version = 1;
        public const int HeaderSize = 8;
        public const int MaxRecordSize = 1 + 16 + 2 + 8;

        public static int MaxFileSize(int peerCount) => HeaderSize + peerCount * MaxRecordSize;

        public static int Write(Span<byte> destination, IReadOnlyList<KeyValuePair<IPEndPoint, long>> peers)
        {
            if (peers.Count > ushort.MaxValue)
            {
                throw new ArgumentException("Too many peers for one cache file.", nameof(peers));
            }

            if (destination.Length < MaxFileSize(peers.Count))
            {
                throw new ArgumentException("Destination is smaller than MaxFileSize(peers.Count).", nameof(destination));
            }

            BinaryPrimitives.WriteUInt32LittleEndian(destination.Slice(0, 4), Magic);
            BinaryPrimitives.WriteUInt16LittleEndian(destination.Slice(4, 2), Version);
            BinaryPrimitives.WriteUInt16LittleEndian(destination.Slice(6, 2), (ushort)peers.Count);
            int position = HeaderSize;
            Span<byte> address = stackalloc byte[16];
            foreach (KeyValuePair<IPEndPoint, long> peer in peers)
            {
                if (!peer.Key.Address.TryWriteBytes(address, out int addressLength))
                {
                    throw new ArgumentException("Unsupported address family.", nameof(peers));
                }

                destination[position++] = (byte)addressLength;
                address.Slice(0, addressLength).CopyTo(destination.Slice(position, addressLength));
                position += addressLength;
                BinaryPrimitives.WriteUInt16LittleEndian(destination.Slice(position, 2), (ushort)peer.Key.Port);
                position += 2;
                BinaryPrimitives.WriteInt64LittleEndian(destination.Slice(position, 8), peer.Value);
                position += 8;
            }

            return position;
        }

        public static List<KeyValuePair<IPEndPoint, long>> Read(ReadOnlySpan<byte> file)
        {
            if (file.Length < HeaderSize
                || BinaryPrimitives.ReadUInt32LittleEndian(file.Slice(0, 4)) != Magic
                || BinaryPrimitives.ReadUInt16LittleEndian(file.Slice(4, 2)) != Version)
            {
                throw new InvalidDataException("Not a peer cache file.");
            }

            int count = BinaryPrimitives.ReadUInt16LittleEndian(file.Slice(6, 2));
            var peers = new List<KeyValuePair<IPEndPoint, long>>(count);
            int position = HeaderSize;
            for (int i = 0; i < count; i++)
            {
                if (file.Length - position < 1)
                {
                    throw new InvalidDataException("Truncated peer record.");
                }

                int addressLength = file[position];
                if ((addressLength != 4 && addressLength != 16) || file.Length - position < 1 + addressLength + 2 + 8)
                {
                    throw new InvalidDataException("Corrupt peer record.");
                }

                position++;
                var address = new IPAddress(file.Slice(position, addressLength));
                position += addressLength;
                ushort port = BinaryPrimitives.ReadUInt16LittleEndian(file.Slice(position, 2));
                position += 2;
                long lastSuccess = BinaryPrimitives.ReadInt64LittleEndian(file.Slice(position, 8));
                position += 8;
                peers.Add(new KeyValuePair<IPEndPoint, long>(new IPEndPoint(address, port), lastSuccess));
            }

            return peers;
        }
    }

    /// <summary>
    /// Persistent TCP connection to the rendezvous server. One connection per session; every register/introduce
    /// exchange reuses it. Frame: [body length u16 BE][type][body...].
    /// </summary>
    public sealed class RendezvousClient : IAsyncDisposable
    {
        private const byte TypeRegister = 1;
        private const byte TypeIntroduce = 2;
        private const byte TypeError = 0x7F;
        private const int MaxBodyLength = 4096;

        private readonly NetworkStream _stream;
        private readonly SemaphoreSlim _writeLock = new SemaphoreSlim(1, 1);
        private readonly byte[] _lengthPrefix = new byte[2]; // only used by the single reader

        private RendezvousClient(Socket connected)
        {
            _stream = new NetworkStream(connected, ownsSocket: true);
        }

        public static async Task<RendezvousClient> ConnectAsync(string host, int port, TimeSpan timeout,
                                                                CancellationToken cancellationToken = default)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeoutSource.CancelAfter(timeout);
            try
            {
                await socket.ConnectAsync(new DnsEndPoint(host, port), timeoutSource.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                socket.Dispose();
                throw new TimeoutException($"Connecting to rendezvous server {host}:{port} took longer than {timeout}.");
            }
            catch
            {
                socket.Dispose();
                throw;
            }

            return new RendezvousClient(socket);
        }

        public async Task RegisterAsync(ulong sessionToken, IPEndPoint privateCandidate, CancellationToken cancellationToken = default)
        {
            byte[] frame = ArrayPool<byte>.Shared.Rent(2 + 1 + 8 + EndPointCodec.MaxEncodedLength);
            try
            {
                int frameLength = BuildRegisterFrame(frame, sessionToken, privateCandidate);
                await WriteFrameAsync(frame.AsMemory(0, frameLength), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(frame);
            }
        }

        private static int BuildRegisterFrame(Span<byte> frame, ulong sessionToken, IPEndPoint privateCandidate)
        {
            frame[2] = TypeRegister;
            BinaryPrimitives.WriteUInt64BigEndian(frame.Slice(3, 8), sessionToken);
            int endPointLength = EndPointCodec.Write(frame.Slice(11), privateCandidate);
            int bodyLength = 1 + 8 + endPointLength;
            BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(0, 2), (ushort)bodyLength);
            return 2 + bodyLength;
        }

        /// <summary>Waits for the server to introduce the peer; returns its candidate endpoints.</summary>
        public async Task<List<IPEndPoint>> ReceiveIntroductionAsync(ulong sessionToken, CancellationToken cancellationToken = default)
        {
            await ReadExactAsync(_lengthPrefix, cancellationToken).ConfigureAwait(false);
            int bodyLength = BinaryPrimitives.ReadUInt16BigEndian(_lengthPrefix);
            if (bodyLength == 0 || bodyLength > MaxBodyLength)
            {
                throw new InvalidDataException($"Rendezvous frame length {bodyLength} is out of range.");
            }

            byte[] body = ArrayPool<byte>.Shared.Rent(bodyLength);
            try
            {
                await ReadExactAsync(body.AsMemory(0, bodyLength), cancellationToken).ConfigureAwait(false);
                if (body[0] == TypeError)
                {
                    string reason = Encoding.UTF8.GetString(body, 1, bodyLength - 1);
                    throw new InvalidOperationException($"Rendezvous server refused the session: {reason}");
                }

                return ParseIntroduction(body.AsSpan(0, bodyLength), sessionToken);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(body);
            }
        }

        private static List<IPEndPoint> ParseIntroduction(ReadOnlySpan<byte> body, ulong sessionToken)
        {
            if (body.Length < 1 + 8 + 1 || body[0] != TypeIntroduce)
            {
                throw new InvalidDataException("Expected an introduction frame.");
            }

            if (BinaryPrimitives.ReadUInt64BigEndian(body.Slice(1, 8)) != sessionToken)
            {
                throw new InvalidDataException("Introduction is for a different session.");
            }

            int count = body[9];
            var candidates = new List<IPEndPoint>(count);
            ReadOnlySpan<byte> rest = body.Slice(10);
            for (int i = 0; i < count; i++)
            {
                if (!EndPointCodec.TryRead(rest, out IPEndPoint? candidate, out int consumed))
                {
                    throw new InvalidDataException("Malformed candidate endpoint.");
                }

                candidates.Add(candidate);
                rest = rest.Slice(consumed);
            }

            return candidates;
        }

        private async ValueTask WriteFrameAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
        {
            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await _stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _writeLock.Release();
            }
        }

        private async ValueTask ReadExactAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            int total = 0;
            while (total < buffer.Length)
            {
                int read = await _stream.ReadAsync(buffer.Slice(total), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new EndOfStreamException("Rendezvous server closed the connection mid-frame.");
                }

                total += read;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
            _writeLock.Dispose();
        }
    }
}
