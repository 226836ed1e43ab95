using System;
using System.Buffers;
using System.Buffers.Binary;
using System.IO;
using System.Net;
using System.Net.Sockets;
using GameNet.Compression;

namespace GameNet.Diagnostics
{
    /// <summary>
    /// Writes game datagrams as a classic pcap file with LINKTYPE_RAW, synthesizing IPv4 and UDP headers so that
    /// capture tools show the real endpoints. pcap's own headers are written little-endian (the magic tells readers
    /// which order was used); the synthesized IPv4/UDP headers are big-endian, as on the wire.
    /// </summary>
    public sealed class PcapWriter : IDisposable
    {
        public const int GlobalHeaderSize = 24;
        public const int RecordHeaderSize = 16;
        public const int Ipv4HeaderSize = 20;
        public const int UdpHeaderSize = 8;
        public const int MaxUdpPayload = ushort.MaxValue - Ipv4HeaderSize - UdpHeaderSize;
        public const uint Magic = 0xA1B2C3D4;
        public const uint LinkTypeRaw = 101;

        private readonly Stream _stream;
        private readonly object _gate = new object();
        private readonly int _snapLength;
        private ushort _nextIpId;

        public PcapWriter(Stream stream, int snapLength = 2048)
        {
            if (snapLength < Ipv4HeaderSize + UdpHeaderSize)
            {
                throw new ArgumentOutOfRangeException(nameof(snapLength));
            }

            _stream = stream ?? throw new ArgumentNullException(nameof(stream));
            _snapLength = snapLength;

            Span<byte> header = stackalloc byte[GlobalHeaderSize];
            BinaryPrimitives.WriteUInt32LittleEndian(header.Slice(0, 4), Magic);
            BinaryPrimitives.WriteUInt16LittleEndian(header.Slice(4, 2), 2);   // version 2.4
            BinaryPrimitives.WriteUInt16LittleEndian(header.Slice(6, 2), 4);
            BinaryPrimitives.WriteInt32LittleEndian(header.Slice(8, 4), 0);    // UTC
            BinaryPrimitives.WriteUInt32LittleEndian(header.Slice(12, 4), 0);  // sigfigs
            BinaryPrimitives.WriteUInt32LittleEndian(header.Slice(16, 4), (uint)snapLength);
            BinaryPrimitives.WriteUInt32LittleEndian(header.Slice(20, 4), LinkTypeRaw);
            _stream.Write(header);
        }

        public void Record(DateTimeOffset timestamp, IPEndPoint source, IPEndPoint destination, ReadOnlySpan<byte> payload)
        {
            if (payload.Length > MaxUdpPayload)
            {
                throw new ArgumentException("Payload exceeds the largest IPv4 UDP datagram.", nameof(payload));
            }

            long unixMicroseconds = (timestamp.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
            if (unixMicroseconds < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(timestamp), "pcap cannot represent times before 1970.");
            }

            IPAddress sourceAddress = ToIPv4(source.Address);
            IPAddress destinationAddress = ToIPv4(destination.Address);
            int originalLength = Ipv4HeaderSize + UdpHeaderSize + payload.Length;
            int includedPayload = Math.Min(payload.Length, _snapLength - Ipv4HeaderSize - UdpHeaderSize);

            Span<byte> headers = stackalloc byte[RecordHeaderSize + Ipv4HeaderSize + UdpHeaderSize];
            BinaryPrimitives.WriteUInt32LittleEndian(headers.Slice(0, 4), (uint)(unixMicroseconds / 1_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(headers.Slice(4, 4), (uint)(unixMicroseconds % 1_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(headers.Slice(8, 4), (uint)(Ipv4HeaderSize + UdpHeaderSize + includedPayload));
            BinaryPrimitives.WriteUInt32LittleEndian(headers.Slice(12, 4), (uint)originalLength);

            Span<byte> udp = headers.Slice(RecordHeaderSize + Ipv4HeaderSize, UdpHeaderSize);
            BinaryPrimitives.WriteUInt16BigEndian(udp.Slice(0, 2), (ushort)source.Port);
            BinaryPrimitives.WriteUInt16BigEndian(udp.Slice(2, 2), (ushort)destination.Port);
            BinaryPrimitives.WriteUInt16BigEndian(udp.Slice(4, 2), (ushort)(UdpHeaderSize + payload.Length));
            BinaryPrimitives.WriteUInt16BigEndian(udp.Slice(6, 2), 0); // "no checksum" is legal for UDP over IPv4

            lock (_gate)
            {
                ushort id = _nextIpId;
                _nextIpId = unchecked((ushort)(id + 1));
                WriteIpv4Header(headers.Slice(RecordHeaderSize, Ipv4HeaderSize), (ushort)originalLength, id,
                                sourceAddress, destinationAddress);
                _stream.Write(headers);
                _stream.Write(payload.Slice(0, includedPayload));
            }
        }

        private static IPAddress ToIPv4(IPAddress address)
        {
            if (address.IsIPv4MappedToIPv6)
            {
                return address.MapToIPv4();
            }

            if (address.AddressFamily != AddressFamily.InterNetwork)
            {
                throw new NotSupportedException("Only IPv4 traffic can be written with LINKTYPE_RAW here.");
            }

            return address;
        }

        private static void WriteIpv4Header(Span<byte> ip, ushort totalLength, ushort id, IPAddress source, IPAddress destination)
        {
            ip[0] = 0x45;                                             // version 4, 5 words
            ip[1] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(2, 2), totalLength);
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(4, 2), id);
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(6, 2), 0x4000); // don't fragment
            ip[8] = 64;                                               // TTL
            ip[9] = 17;                                               // UDP
            ip[10] = 0;
            ip[11] = 0;
            if (!source.TryWriteBytes(ip.Slice(12, 4), out _) || !destination.TryWriteBytes(ip.Slice(16, 4), out _))
            {
                throw new ArgumentException("IPv4 address expected.");
            }

            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(10, 2), InternetChecksum(ip));
        }

        /// <summary>RFC 1071 ones'-complement sum over big-endian 16-bit words (odd tail padded with zero).</summary>
        public static ushort InternetChecksum(ReadOnlySpan<byte> data)
        {
            uint sum = 0;
            int i = 0;
            for (; i + 1 < data.Length; i += 2)
            {
                sum += BinaryPrimitives.ReadUInt16BigEndian(data.Slice(i, 2));
            }

            if (i < data.Length)
            {
                sum += (uint)data[i] << 8;
            }

            while ((sum >> 16) != 0)
            {
                sum = (sum & 0xFFFF) + (sum >> 16);
            }

            return (ushort)(~sum & 0xFFFF);
        }

        public void Flush()
        {
            lock (_gate)
            {
                _stream.Flush();
            }
        }

        public void Dispose() => _stream.Dispose();
    }

    /// <summary>Reads files produced by <see cref="PcapWriter"/> back into (source, destination, payload).</summary>
    public sealed class PcapReader
    {
        private readonly Stream _stream;
        private readonly byte[] _recordHeader = new byte[PcapWriter.RecordHeaderSize];
        private readonly byte[] _packet;

        public PcapReader(Stream stream)
        {
            _stream = stream ?? throw new ArgumentNullException(nameof(stream));
            byte[] header = new byte[PcapWriter.GlobalHeaderSize];
            if (!ReadFully(header, allowCleanEnd: false))
            {
                throw new EndOfStreamException();
            }

            if (BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(0, 4)) != PcapWriter.Magic
                || BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(20, 4)) != PcapWriter.LinkTypeRaw)
            {
                throw new InvalidDataException("Not a little-endian LINKTYPE_RAW pcap file.");
            }

            uint snapLength = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(16, 4));
            if (snapLength < PcapWriter.Ipv4HeaderSize + PcapWriter.UdpHeaderSize || snapLength > ushort.MaxValue)
            {
                throw new InvalidDataException($"Unsupported snap length {snapLength}.");
            }

            _packet = new byte[snapLength];
        }

        /// <summary>
        /// Reads the next record. The payload memory aliases an internal buffer and is valid until the next call.
        /// It may be shorter than the original datagram if the capture truncated it.
        /// </summary>
        public bool TryReadDatagram(out IPEndPoint source, out IPEndPoint destination, out ReadOnlyMemory<byte> payload)
        {
            source = destination = null!;
            payload = default;
            if (!ReadFully(_recordHeader, allowCleanEnd: true))
            {
                return false;
            }

            uint included = BinaryPrimitives.ReadUInt32LittleEndian(_recordHeader.AsSpan(8, 4));
            if (included > (uint)_packet.Length || included < PcapWriter.Ipv4HeaderSize + PcapWriter.UdpHeaderSize)
            {
                throw new InvalidDataException($"Record length {included} is out of range.");
            }

            int length = (int)included;
            if (!ReadFully(_packet.AsSpan(0, length), allowCleanEnd: false))
            {
                throw new EndOfStreamException();
            }

            ReadOnlySpan<byte> ip = _packet.AsSpan(0, PcapWriter.Ipv4HeaderSize);
            if (ip[0] != 0x45 || ip[9] != 17)
            {
                throw new InvalidDataException("Expected an option-less IPv4 header carrying UDP.");
            }

            ReadOnlySpan<byte> udp = _packet.AsSpan(PcapWriter.Ipv4HeaderSize, PcapWriter.UdpHeaderSize);
            int udpLength = BinaryPrimitives.ReadUInt16BigEndian(udp.Slice(4, 2));
            if (udpLength < PcapWriter.UdpHeaderSize)
            {
                throw new InvalidDataException("UDP length is smaller than its header.");
            }

            int available = length - PcapWriter.Ipv4HeaderSize - PcapWriter.UdpHeaderSize;
            int payloadLength = Math.Min(udpLength - PcapWriter.UdpHeaderSize, available);

            source = new IPEndPoint(new IPAddress(ip.Slice(12, 4)), BinaryPrimitives.ReadUInt16BigEndian(udp.Slice(0, 2)));
            destination = new IPEndPoint(new IPAddress(ip.Slice(16, 4)), BinaryPrimitives.ReadUInt16BigEndian(udp.Slice(2, 2)));
            payload = _packet.AsMemory(PcapWriter.Ipv4HeaderSize + PcapWriter.UdpHeaderSize, payloadLength);
            return true;
        }

        private bool ReadFully(Span<byte> buffer, bool allowCleanEnd)
        {
            int total = 0;
            while (total < buffer.Length)
            {
                int read = _stream.Read(buffer.Slice(total));
                if (read == 0)
                {
                    if (allowCleanEnd && total == 0)
                    {
                        return false;
                    }

                    throw new EndOfStreamException($"Capture ended after {total} of {buffer.Length} bytes.");
                }

                total += read;
            }

            return true;
        }
    }

    public static class CaptureTools
    {
        /// <summary>Re-sends every captured datagram addressed to <paramref name="serverPort"/> to a test server.</summary>
        public static int Replay(PcapReader reader, Socket socket, EndPoint target, int serverPort)
        {
            int replayed = 0;
            while (reader.TryReadDatagram(out _, out IPEndPoint destination, out ReadOnlyMemory<byte> payload))
            {
                if (destination.Port != serverPort)
                {
                    continue;
                }

                int sent = socket.SendTo(payload.Span, SocketFlags.None, target);
                if (sent != payload.Length)
                {
                    throw new SocketException((int)SocketError.MessageSize);
                }

                replayed++;
            }

            return replayed;
        }

        /// <summary>Appends a compressed frame holding <paramref name="data"/> to an archive stream.</summary>
        public static int AppendCompressed(Stream archive, ReadOnlySpan<byte> data)
        {
            int length = CompressedFrame.EncodeToRented(data, out byte[] rented);
            try
            {
                archive.Write(rented, 0, length);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }

            return length;
        }

        /// <summary>Hex preview of a datagram for log lines, limited to the first <paramref name="maxBytes"/> bytes.</summary>
        public static string Preview(ReadOnlySpan<byte> datagram, int maxBytes = 32)
        {
            int shown = Math.Min(datagram.Length, Math.Max(0, maxBytes));
            string hex = Convert.ToHexString(datagram.Slice(0, shown));
            return shown < datagram.Length ? $"{hex}... ({datagram.Length} bytes)" : hex;
        }
    }
}
