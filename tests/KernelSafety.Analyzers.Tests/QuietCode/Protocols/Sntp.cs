using System;
using System.Buffers.Binary;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Quiet.Protocols.Common;

namespace Quiet.Protocols.Sntp
{
    /// <summary>NTP 64-bit timestamps: 32 bits of seconds since 1900-01-01 and 32 bits of fraction.</summary>
    public static class NtpTimestamp
    {
        private static readonly DateTime s_era0 = new DateTime(1900, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        private static readonly DateTime s_era1 = s_era0.AddSeconds(4294967296.0);

        /// <summary>
        /// RFC 4330 section 3: if the most significant bit of the seconds is clear, the time is in era 1
        /// (from 2036-02-07); this keeps the client correct for 1968..2104.
        /// </summary>
        public static DateTime ToDateTime(ulong timestamp)
        {
            uint seconds = (uint)(timestamp >> 32);
            uint fraction = (uint)timestamp;
            DateTime epoch = (seconds & 0x8000_0000) != 0 ? s_era0 : s_era1;
            long ticks = seconds * TimeSpan.TicksPerSecond + (long)((fraction * (double)TimeSpan.TicksPerSecond) / 4294967296.0);
            return epoch.AddTicks(ticks);
        }

        public static ulong FromDateTime(DateTime utc)
        {
            if (utc.Kind != DateTimeKind.Utc) throw new ArgumentException("Expected a UTC time.", nameof(utc));
            if (utc < s_era0) throw new ArgumentOutOfRangeException(nameof(utc), "NTP time starts in 1900.");
            DateTime epoch = utc >= s_era1 ? s_era1 : s_era0;
            long ticks = (utc - epoch).Ticks;
            ulong seconds = (ulong)(ticks / TimeSpan.TicksPerSecond);
            ulong fraction = (ulong)((ticks % TimeSpan.TicksPerSecond) * 4294967296.0 / TimeSpan.TicksPerSecond);
            return (seconds << 32) | (fraction & 0xFFFF_FFFF);
        }
    }

    public readonly record struct SntpResult(TimeSpan ClockOffset, TimeSpan RoundTripDelay, byte Stratum, DateTime ServerTransmitTime);

    public static class SntpPacket
    {
        public const int Size = 48;
        public const int ServerPort = 123;

        private const int OriginateOffset = 24;
        private const int ReceiveOffset = 32;
        private const int TransmitOffset = 40;

        /// <summary>
        /// Builds a complete 48-byte client request. The array is exactly one packet: every byte is either set
        /// here or intentionally zero, so sending the whole array sends no stale data.
        /// </summary>
        public static byte[] CreateRequest(ulong transmitTimestamp)
        {
            var packet = new byte[Size];
            packet[0] = (0 << 6) | (4 << 3) | 3; // LI = 0, VN = 4, Mode = 3 (client)
            BinaryPrimitives.WriteUInt64BigEndian(packet.AsSpan(TransmitOffset), transmitTimestamp);
            return packet;
        }

        public static SntpResult ParseReply(ReadOnlySpan<byte> reply, ulong requestTransmit, DateTime requestSentUtc, DateTime replyReceivedUtc)
        {
            if (reply.Length < Size) throw new WireFormatException($"SNTP reply has {reply.Length} bytes; at least {Size} are required.");
            int mode = reply[0] & 0x07;
            int version = (reply[0] >> 3) & 0x07;
            int leap = reply[0] >> 6;
            byte stratum = reply[1];
            if (mode != 4) throw new WireFormatException($"SNTP reply has mode {mode}, expected 4 (server).");
            if (version < 3) throw new WireFormatException($"Unsupported NTP version {version}.");
            if (leap == 3 || stratum == 0 || stratum > 15)
                throw new WireFormatException("The server is unsynchronised or sent a kiss-o'-death packet.");

            ulong originate = BinaryPrimitives.ReadUInt64BigEndian(reply.Slice(OriginateOffset));
            if (originate != requestTransmit) throw new WireFormatException("SNTP reply does not answer our request.");

            ulong receive = BinaryPrimitives.ReadUInt64BigEndian(reply.Slice(ReceiveOffset));
            ulong transmit = BinaryPrimitives.ReadUInt64BigEndian(reply.Slice(TransmitOffset));
            if (transmit == 0) throw new WireFormatException("SNTP reply has no transmit timestamp.");

            DateTime t1 = requestSentUtc;
            DateTime t2 = NtpTimestamp.ToDateTime(receive);
            DateTime t3 = NtpTimestamp.ToDateTime(transmit);
            DateTime t4 = replyReceivedUtc;
            TimeSpan offset = TimeSpan.FromTicks(((t2 - t1) + (t3 - t4)).Ticks / 2);
            TimeSpan delay = (t4 - t1) - (t3 - t2);
            return new SntpResult(offset, delay < TimeSpan.Zero ? TimeSpan.Zero : delay, stratum, t3);
        }
    }

    /// <summary>
    /// SNTP queries are single request/response exchanges minutes apart, so each query uses its own short-lived
    /// UDP socket; there is no stream of writes to amortise a connection over.
    /// </summary>
    public static class SntpClient
    {
        public static SntpResult Query(string server, TimeSpan timeout)
        {
            using var udp = new UdpClient(AddressFamily.InterNetwork);
            udp.Client.ReceiveTimeout = (int)timeout.TotalMilliseconds;
            udp.Connect(server, SntpPacket.ServerPort);

            DateTime sentAt = DateTime.UtcNow;
            ulong transmit = NtpTimestamp.FromDateTime(sentAt);
            byte[] request = SntpPacket.CreateRequest(transmit);
            int sent = udp.Send(request, request.Length);
            if (sent != request.Length) throw new IOException($"Sent {sent} of {request.Length} bytes of the SNTP request.");

            IPEndPoint? from = null;
            byte[] reply = udp.Receive(ref from);
            DateTime receivedAt = DateTime.UtcNow;
            return SntpPacket.ParseReply(reply, transmit, sentAt, receivedAt);
        }

        public static async Task<SntpResult> QueryAsync(IPAddress server, TimeSpan timeout, CancellationToken cancellationToken = default)
        {
            using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            var endPoint = new IPEndPoint(server, SntpPacket.ServerPort);
            using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeoutSource.CancelAfter(timeout);

            DateTime sentAt = DateTime.UtcNow;
            ulong transmit = NtpTimestamp.FromDateTime(sentAt);
            byte[] request = SntpPacket.CreateRequest(transmit);
            int sent = await socket.SendToAsync(request, SocketFlags.None, endPoint, timeoutSource.Token).ConfigureAwait(false);
            if (sent != request.Length) throw new IOException($"Sent {sent} of {request.Length} bytes of the SNTP request.");

            byte[] buffer = new byte[512];
            while (true)
            {
                SocketReceiveFromResult result;
                try
                {
                    result = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(server.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0), timeoutSource.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException($"No SNTP reply from {endPoint} within {timeout}.");
                }
                DateTime receivedAt = DateTime.UtcNow;
                // Ignore datagrams from anyone but the server we asked.
                if (!endPoint.Equals(result.RemoteEndPoint)) continue;
                return SntpPacket.ParseReply(buffer.AsSpan(0, result.ReceivedBytes), transmit, sentAt, receivedAt);
            }
        }
    }

    /// <summary>
    /// Polls one server at a fixed interval over one long-lived connected UDP socket. The 48-byte request buffer
    /// is reused: it is cleared before each fill, so it is always a complete, fully defined packet.
    /// </summary>
    public sealed class SntpPoller : IDisposable
    {
        private readonly Socket _socket;
        private readonly byte[] _request = new byte[SntpPacket.Size];
        private readonly byte[] _reply = new byte[512];
        private readonly SemaphoreSlim _gate = new SemaphoreSlim(1, 1);

        public SntpPoller(IPEndPoint server)
        {
            _socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            _socket.Connect(server);
        }

        public async Task<SntpResult> PollOnceAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
        {
            // The request and reply buffers belong to one poll at a time.
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await PollCoreAsync(timeout, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _gate.Release();
            }
        }

        private async Task<SntpResult> PollCoreAsync(TimeSpan timeout, CancellationToken cancellationToken)
        {
            DateTime sentAt = DateTime.UtcNow;
            ulong transmit = NtpTimestamp.FromDateTime(sentAt);
            FillRequest(transmit);
            int sent = await _socket.SendAsync(_request, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (sent != _request.Length) throw new IOException($"Sent {sent} of {_request.Length} bytes of the SNTP request.");

            using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeoutSource.CancelAfter(timeout);
            while (true)
            {
                int received;
                try
                {
                    received = await _socket.ReceiveAsync(_reply, SocketFlags.None, timeoutSource.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException($"No SNTP reply within {timeout}.");
                }
                DateTime receivedAt = DateTime.UtcNow;
                try
                {
                    return SntpPacket.ParseReply(_reply.AsSpan(0, received), transmit, sentAt, receivedAt);
                }
                catch (WireFormatException) when (received >= SntpPacket.Size && BinaryPrimitives.ReadUInt64BigEndian(_reply.AsSpan(24)) != transmit)
                {
                    // A late answer to an earlier poll: wait for the one that matches this request.
                }
            }
        }

        private void FillRequest(ulong transmit)
        {
            Array.Clear(_request);
            _request[0] = (4 << 3) | 3;
            BinaryPrimitives.WriteUInt64BigEndian(_request.AsSpan(40), transmit);
        }

        public void Dispose()
        {
            _socket.Dispose();
            _gate.Dispose();
        }
    }
}
